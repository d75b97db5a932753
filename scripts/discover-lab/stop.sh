#!/usr/bin/env bash
# Stop a discovery lab started by start.sh: NSD and nginx (only the processes it started: their pids recorded in
# DIR, checked to run NSD or nginx from DIR), wait until they are gone and no lab port is bound, then remove the
# folder (kept with DISCOVERLAB_KEEP=1). Idempotent. Usage: stop.sh DIR. Exits non-zero saying what is left.
set -uo pipefail
say() { [[ -n ${DISCOVERLAB_QUIET:-} ]] || echo "discover-lab stop: $*" >&2; }
err() { echo "discover-lab stop: $*" >&2; }
[[ $# -eq 1 && -n $1 ]] || { err "usage: stop.sh DIR"; exit 2; }
[[ -d $1 ]] || { say "$1: no such lab folder, nothing to stop"; exit 0; }
DIR=$(cd "$1" && pwd -P)
[[ $DIR != / && -d $DIR/nsd && -d $DIR/nginx ]] || { err "$DIR does not look like a discovery lab: not touching it"; exit 2; }
TIMEOUT=${DISCOVERLAB_STOP_TIMEOUT:-10}

ours() { # pid -> 0 when it runs nsd or nginx with its working directory in DIR
    local exe cwd
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    cwd=$(readlink "/proc/$1/cwd" 2>/dev/null) || return 1
    [[ $exe == /usr/sbin/nsd || $exe == /usr/sbin/nginx ]] && [[ $cwd == "$DIR" || $cwd == "$DIR"/* ]]
}
lab_pids() { # the recorded daemons and their descendants (NSD forks a server and xfrd), if still ours
    local f p c todo=() seen=()
    for f in "$DIR/nsd/daemon.pid" "$DIR/nginx/daemon.pid"; do
        [[ -s $f ]] && todo+=("$(tr -dc 0-9 <"$f")")
    done
    while ((${#todo[@]})); do
        p=${todo[0]}; todo=("${todo[@]:1}")
        [[ -n $p ]] && ours "$p" || continue
        seen+=("$p")
        for c in $(awk -v pp="$p" '$4 == pp { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do todo+=("$c"); done
    done
    ((${#seen[@]})) && printf '%s\n' "${seen[@]}" | sort -un
    return 0
}
PORTS=()
[[ -r $DIR/env ]] && PORTS=($(sed -n "s/^DISCOVERLAB_PORTS='\([0-9 ]*\)'$/\1/p" "$DIR/env"))
bound() {
    local p hex
    for p in "${PORTS[@]}"; do
        hex=$(printf ':%04X' "$p")
        awk -v h="$hex" 'FNR > 1 && substr($2, length($2) - 4) == h && ($4 == "0A" || FILENAME ~ /udp/) { f = 1 } END { exit !f }' \
            /proc/net/tcp /proc/net/udp && echo "$p"
    done
}

pids=($(lab_pids))
((${#pids[@]})) && kill -TERM "${pids[@]}" 2>/dev/null
deadline=$((SECONDS + TIMEOUT))
while :; do
    left=($(lab_pids)); ports=($(bound))
    ((${#left[@]} == 0 && ${#ports[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
        ((${#left[@]})) && { err "still running after ${TIMEOUT}s, killing: ${left[*]}"; kill -KILL "${left[@]}" 2>/dev/null; sleep 0.5; }
        break
    fi
    sleep 0.05
done
left=($(lab_pids)); ports=($(bound))
if ((${#left[@]} || ${#ports[@]})); then
    err "left: processes ${left[*]:-none}, bound ports ${ports[*]:-none}; folder kept: $DIR"
    exit 1
fi
if [[ ${DISCOVERLAB_KEEP:-0} == 1 ]]; then say "stopped; folder kept: $DIR"; else rm -rf -- "$DIR"; say "stopped; removed $DIR"; fi
