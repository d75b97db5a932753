#!/usr/bin/env bash
# Install Debian's postgresql when missing. Idempotent: a no-op (no apt-get update) when it is installed.
# The package's own cluster is never left running: the tests start their own server from a temp folder.
set -euo pipefail

status=$(dpkg-query -W -f='${db:Status-Status}' postgresql 2>/dev/null || true)
if [[ $status == installed ]]; then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "postgres deps: postgresql is missing; run as root (or install it by hand)" >&2
    exit 1
fi
echo "postgres deps: installing postgresql" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep maintainer scripts from starting the system cluster (exit 101 = action forbidden).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
fi
cleanup() { if ((own_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends postgresql >/dev/null
status=$(dpkg-query -W -f='${db:Status-Status}' postgresql 2>/dev/null || true)
[[ $status == installed ]] || { echo "postgres deps: postgresql still not installed" >&2; exit 1; }
echo "postgres deps: done" >&2
