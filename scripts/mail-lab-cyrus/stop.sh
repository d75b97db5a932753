#!/usr/bin/env bash
# Stop a Cyrus + Exim mail lab started by start.sh: both masters at once, wait until no process of the lab
# is left and no lab port listens, then remove the folder (kept with MAILLAB_KEEP=1). Idempotent.
# Usage: stop.sh DIR. Exits non-zero, saying what is left, if something remains.
#
# A process belongs to the lab when it runs a binary of the private package folder and names the lab:
# its command line holds DIR (Exim's re-executions pass `-C DIR/exim/exim.conf`, Cyrus' services
# `-C DIR/cyrus/imapd.conf`) or its initial environment holds MAILLAB_DIR=DIR (set by start.sh).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../mail-lab/lib.sh
. "$HERE/../mail-lab/lib.sh"

say() { [[ -n ${MAILLAB_QUIET:-} ]] || echo "mail-lab-cyrus stop: $*" >&2; }
err() { echo "mail-lab-cyrus stop: $*" >&2; }

stop_folder "a Cyrus mail lab" cyrus exim "$@"
ROOT=${MAILLAB_CYRUS_ROOT:-/opt/mailsh-mail-lab/cyrus-exim}
if [[ -r $DIR/env ]]; then
    r=$(sed -n "s/^MAILLAB_CYRUS_ROOT='\{0,1\}\([^']*\)'\{0,1\}$/\1/p" "$DIR/env")
    [[ -n $r ]] && ROOT=$r
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
masters() { # the Cyrus master and the Exim daemon, when alive and ours
    local f p
    for f in "$DIR/cyrus/run/master.pid" "$DIR/exim/exim.pid"; do
        [[ -s $f ]] || continue
        p=$({ tr -dc '0-9\n' <"$f" | head -n 1; } 2>/dev/null)
        [[ -n $p && -d /proc/$p ]] || continue
        [[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$ROOT"/* ]] && echo "$p"
    done
}

# Cyrus' master on SIGTERM stops its services; Exim's daemon just exits (its reception and delivery
# children finish or are terminated by stop_lab).
stop_lab
