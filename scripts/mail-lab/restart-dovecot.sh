#!/usr/bin/env bash
# Restart the main Dovecot of a running mail lab under its clients: its master is stopped (every
# IMAP and POP3 connection drops: shutdown_clients = yes), then started again with the same
# configuration. Returns once IMAPS greets again. Usage: restart-dovecot.sh DIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
die() { echo "mail-lab restart: $*" >&2; exit 1; }

DIR=${1:-}
[[ -n $DIR && -f $DIR/env ]] || die "usage: restart-dovecot.sh DIR (a running lab's folder)"
DIR=$(cd "$DIR" && pwd)
set -a
# shellcheck disable=SC1091
. "$DIR/env"
set +a
conf=$DIR/dovecot/main/dovecot.conf
pidfile=$DIR/dovecot/main/run/master.pid
pid=$({ tr -dc '0-9' <"$pidfile"; } 2>/dev/null || true)
# Only the lab's own master (a pid file outlives its process).
[[ -n $pid && $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$DIR"/* ]] || die "the lab's Dovecot is not running"
kill -TERM "$pid"
deadline=$((SECONDS + 30))
while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || die "Dovecot ($pid) did not stop within 30 s"
    sleep 0.05
done
dovecot -c "$conf" </dev/null >>"$DIR/log/dovecot-main.start.log" 2>&1 || die "Dovecot did not start again: $(tail -3 "$DIR/log/dovecot-main.log")"
deadline=$((SECONDS + 30))
until [[ $(greet_tls "$MAILLAB_IMAPS_PORT") == '* OK'* ]]; do
    ((SECONDS < deadline)) || die "IMAPS ($MAILLAB_IMAPS_PORT) does not greet after the restart"
    sleep 0.05
done
