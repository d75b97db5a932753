#!/usr/bin/env bash
# Stop a Cyrus + Exim mail lab started by start.sh: both masters at once, wait until no process of the lab
# is left and no lab port listens, then remove the folder (kept with MAILLAB_KEEP=1). Idempotent.
# Usage: stop.sh DIR. Exits non-zero, saying what is left, if something remains.
#
# A process belongs to the lab when it runs a binary of the private package folder and names the lab:
# its command line holds DIR (Exim's re-executions pass `-C DIR/exim/exim.conf`, Cyrus' services
# `-C DIR/cyrus/imapd.conf`) or its initial environment holds MAILLAB_DIR=DIR (set by start.sh).
set -uo pipefail

say() { [[ -n ${MAILLAB_QUIET:-} ]] || echo "mail-lab-cyrus stop: $*" >&2; }
err() { echo "mail-lab-cyrus stop: $*" >&2; }

[[ $# -eq 1 && -n $1 ]] || { err "usage: stop.sh DIR"; exit 2; }
if [[ ! -d $1 ]]; then
    say "$1: no such lab folder, nothing to stop"
    exit 0
fi
DIR=$(cd "$1" && pwd -P)
[[ $DIR != / && ${#DIR} -gt 4 ]] || { err "refusing to act on '$DIR'"; exit 2; }
if [[ ! -e $DIR/env && ! -d $DIR/cyrus && ! -d $DIR/exim ]]; then
    err "$DIR does not look like a Cyrus mail lab (no env, cyrus/ or exim/): not touching it"
    exit 2
fi
T0=$(date +%s%N)
TIMEOUT=${MAILLAB_STOP_TIMEOUT:-10}
ROOT=${MAILLAB_CYRUS_ROOT:-/opt/mailsh-mail-lab/cyrus-exim}
if [[ -r $DIR/env ]]; then
    r=$(sed -n "s/^MAILLAB_CYRUS_ROOT='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$DIR/env")
    [[ -n $r ]] && ROOT=$r
fi

PORTS=()
if [[ -r $DIR/env && ${MAILLAB_STOP_SKIP_PORTS:-0} != 1 ]]; then
    PORTS=($(sed -n "s/^MAILLAB_PORTS='\{0,1\}\([0-9 ]*\)'\{0,1\}$/\1/p" "$DIR/env"))
fi

lab_pids() { # processes of the private binaries that name DIR
    local d pid exe
    for d in /proc/[0-9]*; do
        exe=$(readlink "$d/exe" 2>/dev/null) || continue
        [[ $exe == "$ROOT"/* ]] || continue
        pid=${d#/proc/}
        if tr '\0' '\n' <"$d/cmdline" 2>/dev/null | grep -qF -- "$DIR/" ||
           tr '\0' '\n' <"$d/environ" 2>/dev/null | grep -qxF -- "MAILLAB_DIR=$DIR"; then
            echo "$pid"
        fi
    done
}
listening_ports() {
    ((${#PORTS[@]})) || return 0
    awk -v want=" ${PORTS[*]} " '
        function hex(h,   i, n) { n = 0; for (i = 1; i <= length(h); i++)
            n = n * 16 + index("0123456789ABCDEF", toupper(substr(h, i, 1))) - 1; return n }
        FNR > 1 && $4 == "0A" { split($2, a, ":"); p = hex(a[2]); if (index(want, " " p " ")) print p }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -un
}
accepting_ports() {
    local p
    for p in "${PORTS[@]}"; do
        if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then echo "$p"; fi
    done
}
describe() {
    local p
    for p in "$@"; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null || echo gone)"; done
}
masters() { # the Cyrus master and the Exim daemon, when alive and ours
    local f p
    for f in "$DIR/cyrus/run/master.pid" "$DIR/exim/exim.pid"; do
        [[ -s $f ]] || continue
        p=$({ tr -dc '0-9\n' <"$f" | head -n 1; } 2>/dev/null)
        [[ -n $p && -d /proc/$p ]] || continue
        [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$ROOT"/* ]] && echo "$p"
    done
}

# 1. Both masters at once. Cyrus' master on SIGTERM stops its services; Exim's daemon just exits
#    (its reception and delivery children finish or are found below).
m=($(masters))
all=($(lab_pids))
if ((${#m[@]})); then
    say "stopping masters $(describe "${m[@]}")"
    kill -TERM "${m[@]}" 2>/dev/null
fi

# 2. Wait until no lab process is left and no lab port listens.
deadline=$(($(date +%s) + TIMEOUT))
orphans_termed=0
gone_since=
while :; do
    left=($(lab_pids))
    lports=($(listening_ports))
    ((${#left[@]} == 0 && ${#lports[@]} == 0)) && break
    if ((${#left[@]} == 0)); then
        [[ -n $gone_since ]] || gone_since=$SECONDS
        ((SECONDS - gone_since >= 2)) && break
    fi
    # Children left with no master (a session that still holds a connection, an Exim delivery, or
    # everything after a master was killed hard): stop them directly.
    if ((${#left[@]})) && ((orphans_termed == 0)) && [[ -z $(masters) ]]; then
        sleep 0.2
        left=($(lab_pids))
        if ((${#left[@]})) && [[ -z $(masters) ]]; then
            say "masters gone; terminating their leftover children $(describe "${left[@]}")"
            kill -TERM "${left[@]}" 2>/dev/null
        fi
        orphans_termed=1
    fi
    if (($(date +%s) >= deadline)); then
        if ((${#left[@]})); then
            err "still running after ${TIMEOUT}s, killing: $(describe "${left[@]}")"
            kill -KILL "${left[@]}" 2>/dev/null
            sleep 1
        fi
        break
    fi
    sleep 0.05
done

# 3. Verify.
left=($(lab_pids))
acc=($(accepting_ports))
if ((${#left[@]} || ${#acc[@]})); then
    ((${#left[@]})) && err "processes of the lab still running: $(describe "${left[@]}")"
    if ((${#acc[@]})); then
        if ((${#left[@]})); then err "lab ports still accepting connections: ${acc[*]}"
        else err "lab ports accepting connections, though no process of the lab is left (another program?): ${acc[*]}"; fi
    fi
    err "lab folder kept: $DIR"
    exit 1
fi

T1=$(date +%s%N)
secs=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
if [[ ${MAILLAB_KEEP:-0} == 1 ]]; then
    say "stopped in ${secs} s; folder kept: $DIR"
else
    rm -rf -- "$DIR" || { err "could not remove $DIR"; exit 1; }
    say "stopped in ${secs} s; removed $DIR"
fi
exit 0
