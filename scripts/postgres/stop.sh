#!/usr/bin/env bash
# Stop a PostgreSQL server started by start.sh (pg_ctl stop -m fast), check that none of its processes is
# left and its port no longer listens, then remove the folder (kept with PGLAB_KEEP=1). Idempotent.
# Usage: stop.sh DIR. Exits non-zero, saying what is left, if something remains.
set -uo pipefail

err() { echo "postgres stop: $*" >&2; }
[[ $# -eq 1 && -n $1 ]] || { err "usage: stop.sh DIR"; exit 2; }
if [[ ! -d $1 ]]; then
    err "$1: no such folder, nothing to stop"
    exit 0
fi
DIR=$(cd "$1" && pwd -P)
[[ $DIR != / && ${#DIR} -gt 4 ]] || { err "refusing to act on '$DIR'"; exit 2; }
if [[ ! -e $DIR/env && ! -d $DIR/data ]]; then
    err "$DIR does not look like a server folder of start.sh (no env, no data/): not touching it"
    exit 2
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PORT=$(sed -n 's/^PGLAB_PORT=\([0-9]*\)$/\1/p' "$DIR/env" 2>/dev/null)

server_pids() { # processes whose working directory is the data folder (the postmaster and its children)
    find /proc/[0-9]*/ -maxdepth 1 -name cwd \( -lname "$DIR/data" -o -lname "$DIR/data/*" \) -printf '%h\n' 2>/dev/null |
        sed 's|^/proc/||; s|/$||' | sort -un
}
listening() {
    [[ -n $PORT ]] || return 1
    awk -v p="$(printf '%04X' "$PORT")" 'FNR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) found = 1 }
        END { exit found ? 0 : 1 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

if [[ -s $DIR/data/postmaster.pid && -n $BIN ]]; then
    runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR/data" stop -m fast -w -t 20 >/dev/null 2>&1 ||
        err "pg_ctl stop failed"
fi
left=($(server_pids))
if ((${#left[@]})); then
    err "still running after pg_ctl stop, killing: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null
    sleep 1
    left=($(server_pids))
fi
if ((${#left[@]})) || listening; then
    ((${#left[@]})) && err "processes of the server still running: ${left[*]}"
    listening && err "port $PORT still listening"
    err "folder kept: $DIR"
    exit 1
fi
if [[ ${PGLAB_KEEP:-0} == 1 ]]; then
    err "stopped; folder kept: $DIR"
else
    rm -rf -- "$DIR" || { err "could not remove $DIR"; exit 1; }
    err "stopped; removed $DIR"
fi
exit 0
