#!/usr/bin/env bash
# Install what the discovery lab (scripts/discover-lab) and the resolver need (Debian 12): NSD (authoritative DNS),
# nginx-light (autoconfig over HTTPS), openssl and curl, and libc-ares-dev (mailsh's DNS resolver library).
# Idempotent: a no-op (no apt-get update) when everything is already installed. The packages' own system daemons are
# never left running: the lab starts its own instances from a private folder (start.sh).
set -euo pipefail

PKGS=(nsd nginx-light openssl curl libc-ares-dev)

. "$(dirname "${BASH_SOURCE[0]}")/../mail-lab/lib.sh"
mapfile -t missing < <(deps_missing "${PKGS[@]}")
if ((${#missing[@]} == 0)); then
    echo "discover-lab deps: all present (${PKGS[*]})"
    exit 0
fi
deps_apt_install discover-lab "${missing[@]}"

# Belt and braces: if the install started the system daemons anyway, stop them (by their own pid files only).
for pidfile in /run/nsd/nsd.pid /run/nginx.pid; do
    if [[ -s $pidfile ]] && kill -0 "$(tr -dc 0-9 <"$pidfile")" 2>/dev/null; then
        echo "discover-lab deps: stopping the system daemon of $pidfile started by the package install"
        kill "$(tr -dc 0-9 <"$pidfile")" || true
    fi
done

deps_check_installed discover-lab "${PKGS[@]}"
echo "discover-lab deps: done"
