#!/usr/bin/env bash
# Installs the Debian packages mailsh needs that are missing. A no-op when all are present.
#   scripts/ensure-deps.sh            what building and running mailsh needs
#   scripts/ensure-deps.sh --test     also what the test suite needs
set -euo pipefail

# ca-certificates: the system's CA file (/etc/ssl/certs/ca-certificates.crt), which mailsh uses at run time to verify
# real servers when an account names no CA file of its own; Debian's minimal system lacks it.
# libxml2-dev: the headers CXML2Loader is compiled against (libxml2, its runtime library, opened at the first
# autoconfig parse, comes with it). libstdc++-12-dev: the C++ library archive the release build links in
# (scripts/static-libstdc++, Package.swift). libpq-dev: the header CPQLoader is compiled against (libpq5, the client
# library it opens when a PostgreSQL store is opened, comes with it).
packages=(pkg-config binutils ca-certificates libedit-dev liblua5.4-dev libcurl4-openssl-dev libc-ares-dev libssl-dev libsqlite3-dev sqlite3 libxml2-dev libstdc++-12-dev libpq-dev)
if [[ "${1:-}" == "--test" ]]; then
    # The shell tests drive mailsh in tmux and its completion scripts in real bash, zsh and fish.
    packages+=(tmux zsh fish bash-completion less)
    # SystemdUnitsTests checks the units of contrib/systemd with `systemd-analyze verify`. Installing the package
    # starts nothing: in a container or chroot without systemd as PID 1 its scripts only write files.
    packages+=(systemd)
fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "mailsh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
    # MailshMessageTests.RealCorpusTests: real mail unpacked from Debian packages and read by Python's email package
    # (the script installs python3; a no-op once the corpus is there).
    "$(dirname "${BASH_SOURCE[0]}")/../Tests/MailshMessageTests/fetch-real-corpus.sh" >/dev/null
fi
