#!/usr/bin/env bash
# Install what the mail lab needs (Debian 12: Dovecot 2.3, Postfix 3.7, openssl, curl, and python3
# with authlib and Flask for its OAuth server).
# Idempotent: a no-op (no apt-get update) when everything is already installed.
# The packages' own system daemons are never left running: the lab starts its own
# instances from a temp folder (see start.sh).
set -euo pipefail

# python3 + authlib + Flask: the OAuth 2.0 authorization server of MAILLAB_OAUTH=1 (scripts/oauth-lab/);
# nginx: the gate that plays a token endpoint that is down (scripts/oauth-lab/gate.sh).
PKGS=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl curl python3 python3-authlib python3-flask nginx)

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$st" == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "mail-lab deps: all present (${PKGS[*]})"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "mail-lab deps: missing ${missing[*]}; run as root (or install them by hand)" >&2
    exit 1
fi

echo "mail-lab deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Postfix: do not let debconf ask; "No configuration" leaves /etc/postfix unconfigured.
if command -v debconf-set-selections >/dev/null; then
    printf '%s\n' \
        'postfix postfix/main_mailer_type select No configuration' \
        'postfix postfix/mailname string localhost' | debconf-set-selections
fi

# Keep maintainer scripts from starting services (invoke-rc.d honours policy-rc.d,
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

# Other developers' installs may hold the dpkg lock: wait for it rather than fail.
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
          --no-install-recommends)
apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
apt-get install "${apt_opts[@]}" "${missing[@]}"

# Belt and braces: if anything started the system daemons anyway, stop them.
stopped=0
if [[ -s /run/dovecot/master.pid ]] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    echo "mail-lab deps: stopping system dovecot started by the package install"
    doveadm -c /etc/dovecot/dovecot.conf stop 2>/dev/null || kill "$(cat /run/dovecot/master.pid)" || true
    stopped=1
fi
pm=/var/spool/postfix/pid/master.pid
if [[ -s $pm ]] && kill -0 "$(tr -d ' ' <"$pm")" 2>/dev/null; then
    echo "mail-lab deps: stopping system postfix started by the package install"
    postfix stop 2>/dev/null || kill "$(tr -d ' ' <"$pm")" || true
    stopped=1
fi
if ((stopped)); then
    for _ in $(seq 50); do
        if ! { [[ -s /run/dovecot/master.pid ]] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; } &&
           ! { [[ -s $pm ]] && kill -0 "$(tr -d ' ' <"$pm")" 2>/dev/null; }; then
            break
        fi
        sleep 0.1
    done
fi

for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$st" == installed ]] || { echo "mail-lab deps: $p still not installed" >&2; exit 1; }
done
echo "mail-lab deps: done"
