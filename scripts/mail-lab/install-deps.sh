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

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mapfile -t missing < <(deps_missing "${PKGS[@]}")
if ((${#missing[@]} == 0)); then
    echo "mail-lab deps: all present (${PKGS[*]})"
    exit 0
fi

# Postfix: do not let debconf ask; "No configuration" leaves /etc/postfix unconfigured.
if [[ $(id -u) -eq 0 ]] && command -v debconf-set-selections >/dev/null; then
    printf '%s\n' \
        'postfix postfix/main_mailer_type select No configuration' \
        'postfix postfix/mailname string localhost' | debconf-set-selections
fi
deps_apt_install mail-lab "${missing[@]}"

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

deps_check_installed mail-lab "${PKGS[@]}"
echo "mail-lab deps: done"
