#!/usr/bin/env bash
# A gate in front of the OAuth lab's authorization server, to play a provider whose token endpoint is down for a
# while: nginx from Debian on 127.0.0.1 (HTTPS with the lab's certificate) passes every request to the lab's server,
# or, while the gate is closed, answers HTTP 503 itself, as a provider's front end does during an outage.
#
# Usage: gate.sh start LAB_DIR     start one (a running lab with MAILLAB_OAUTH=1); prints its folder (GATE_DIR) on
#                                  the first line and its base URL (https://127.0.0.1:PORT, the lab's paths under it)
#                                  on the second
#        gate.sh close GATE_DIR    from now on every request gets 503
#        gate.sh open GATE_DIR     requests reach the lab's server again
#        gate.sh stop GATE_DIR     stop nginx and remove the folder
# Exit 0 on success, 1 on a failure, 2 on bad usage. GATE_START_TIMEOUT: seconds nginx may take to listen (30).
# Needs nginx (scripts/mail-lab/install-deps.sh installs it).
set -euo pipefail

die() { echo "oauth-lab gate: $*" >&2; exit "${2:-1}"; }
usage() { sed -n '/^# Usage:/,/^# Exit/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -eq 2 ]] || usage

listening() { # port -> 0 when something listens on 127.0.0.1:port
    local hex; hex=$(printf '0100007F:%04X' "$1")
    awk -v a="$hex" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}

case $1 in
start)
    lab=$2
    [[ -r $lab/env ]] || die "$lab: not a running lab"
    command -v nginx >/dev/null || die "nginx is not installed: run scripts/mail-lab/install-deps.sh"
    declare -A ENV=()
    while IFS= read -r line; do
        if [[ $line =~ ^(MAILLAB_[A-Z0-9_]+)=\'(.*)\'$ || $line =~ ^(MAILLAB_[A-Z0-9_]+)=(.*)$ ]]; then
            ENV[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
        fi
    done <"$lab/env"
    upstream=${ENV[MAILLAB_OAUTH_ISSUER]:-}
    [[ $upstream == https://127.0.0.1:* ]] || die "$lab was not started with MAILLAB_OAUTH=1"
    cert=${ENV[MAILLAB_SERVER_CERT]}
    key=${cert%.crt}.key
    gate=$(mktemp -d "${TMPDIR:-/tmp}/oauth-gate.XXXXXX")
    mkdir -p "$gate/tmp"
    # Free ports are tried until nginx binds one (another program may take a port between the check and the bind).
    for _ in $(seq 1 20); do
        port=$((20000 + RANDOM % 40000))
        listening "$port" && continue
        cat >"$gate/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $gate/nginx.pid;
error_log $gate/error.log info;
events { worker_connections 64; }
http {
    access_log $gate/access.log;
    client_body_temp_path $gate/tmp/body;
    proxy_temp_path $gate/tmp/proxy;
    fastcgi_temp_path $gate/tmp/fastcgi;
    uwsgi_temp_path $gate/tmp/uwsgi;
    scgi_temp_path $gate/tmp/scgi;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        location / {
            if (-f $gate/closed) {
                return 503 "the token service is temporarily unavailable\n";
            }
            # The lab's own server on loopback, with the lab's certificate.
            proxy_pass $upstream;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ${ENV[MAILLAB_CA]};
            proxy_ssl_name localhost;
        }
    }
}
CONF
        # Its own session, no fd of ours kept; stop.sh-style: the pid is nginx itself.
        (cd "$gate" && exec setsid nginx -e "$gate/error.log" -p "$gate" -c "$gate/nginx.conf" \
            </dev/null >>"$gate/start.log" 2>&1) &
        echo $! >"$gate/daemon.pid"
        # Wait for the listener as the other lab scripts do: up to GATE_START_TIMEOUT (30 s) on a busy machine.
        deadline=$((SECONDS + ${GATE_START_TIMEOUT:-30}))
        while ((SECONDS < deadline)); do
            listening "$port" && break
            kill -0 "$(cat "$gate/daemon.pid")" 2>/dev/null || break
            sleep 0.05
        done
        if listening "$port" && kill -0 "$(cat "$gate/daemon.pid")" 2>/dev/null; then
            printf '%s\nhttps://127.0.0.1:%s\n' "$gate" "$port"
            exit 0
        fi
        kill "$(cat "$gate/daemon.pid")" 2>/dev/null || true
    done
    cat "$gate/error.log" >&2 2>/dev/null || true
    rm -rf "$gate"
    die "nginx did not start" ;;
close)
    [[ -r $2/nginx.conf ]] || die "$2: not a gate"
    : >"$2/closed" ;;
open)
    [[ -r $2/nginx.conf ]] || die "$2: not a gate"
    rm -f "$2/closed" ;;
stop)
    [[ -r $2/nginx.conf && -r $2/daemon.pid ]] || die "$2: not a gate"
    pid=$(cat "$2/daemon.pid")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$2" ;;
*) usage ;;
esac
