#!/usr/bin/env bash
# Install what the discovery lab (scripts/discover-lab) and the resolver need (Debian 12): NSD (authoritative DNS),
# nginx-light (autoconfig over HTTPS), openssl and curl, and libc-ares-dev (mailsh's DNS resolver library).
# Idempotent: a no-op (no apt-get update) when everything is already installed. The packages' own system daemons are
# never left running: the lab starts its own instances from a private folder (start.sh).
set -euo pipefail

PKGS=(nsd nginx-light openssl curl libc-ares-dev)

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$st" == installed ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "discover-lab deps: all present (${PKGS[*]})"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "discover-lab deps: missing ${missing[*]}; run as root (or install them by hand)" >&2
    exit 1
fi
echo "discover-lab deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Keep maintainer scripts from starting NSD on port 53 or nginx on port 80 (invoke-rc.d honours policy-rc.d,
# exit 101 = action forbidden). Only installed if none exists; removed afterwards.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
fi
cleanup() { if ((own_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT

apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
          --no-install-recommends)
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
apt-get install "${apt_opts[@]}" "${missing[@]}"

# Belt and braces: if the install started the system daemons anyway, stop them (by their own pid files only).
for pidfile in /run/nsd/nsd.pid /run/nginx.pid; do
    if [[ -s $pidfile ]] && kill -0 "$(tr -dc 0-9 <"$pidfile")" 2>/dev/null; then
        echo "discover-lab deps: stopping the system daemon of $pidfile started by the package install"
        kill "$(tr -dc 0-9 <"$pidfile")" || true
    fi
done

for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$st" == installed ]] || { echo "discover-lab deps: $p still not installed" >&2; exit 1; }
done
echo "discover-lab deps: done"
