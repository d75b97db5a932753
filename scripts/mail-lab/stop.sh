#!/usr/bin/env bash
# Stop a mail lab started by start.sh: Dovecot (all its instances) and Postfix at once,
# wait until no process of the lab is left and no lab port accepts, then remove the
# folder (kept with MAILLAB_KEEP=1). Idempotent. Usage: stop.sh DIR
# Exits non-zero, saying what is left, if something remains.
#
# A process belongs to the lab when it runs a Dovecot or Postfix binary and its working
# directory or root is inside DIR: Postfix daemons chdir to the queue, Dovecot's to its
# base_dir, login and anvil processes chroot into it, mail processes run in the homes.
# With MAILLAB_OAUTH=1, also the OAuth server: python3 running oauth-lab/server.py in DIR/oauth.
set -uo pipefail

say() { [[ -n ${MAILLAB_QUIET:-} ]] || echo "mail-lab stop: $*" >&2; }
err() { echo "mail-lab stop: $*" >&2; }

[[ $# -eq 1 && -n $1 ]] || { err "usage: stop.sh DIR"; exit 2; }
if [[ ! -d $1 ]]; then
    say "$1: no such lab folder, nothing to stop"
    exit 0
fi
DIR=$(cd "$1" && pwd -P)
[[ $DIR != / && ${#DIR} -gt 4 ]] || { err "refusing to act on '$DIR'"; exit 2; }
if [[ ! -e $DIR/env && ! -d $DIR/dovecot && ! -d $DIR/postfix ]]; then
    err "$DIR does not look like a mail lab (no env, dovecot/ or postfix/): not touching it"
    exit 2
fi
T0=$(date +%s%N)
TIMEOUT=${MAILLAB_STOP_TIMEOUT:-10}

PORTS=()
# MAILLAB_STOP_SKIP_PORTS=1 (used by start.sh on a port clash): judge by processes only.
if [[ -r $DIR/env && ${MAILLAB_STOP_SKIP_PORTS:-0} != 1 ]]; then
    PORTS=($(sed -n "s/^MAILLAB_PORTS='\{0,1\}\([0-9 ]*\)'\{0,1\}$/\1/p" "$DIR/env"))
fi

lab_pids() { # Dovecot and Postfix processes whose cwd or root is DIR or inside it
    local dirs
    dirs=($(find /proc/[0-9]*/ -maxdepth 1 \( -name cwd -o -name root \) \
        \( -lname "$DIR" -o -lname "$DIR/*" \) -printf '%h\n' 2>/dev/null | sort -u))
    ((${#dirs[@]})) || return 0
    # Only the daemons' own binaries: a shell or a client that merely sits in DIR is not ours.
    find "${dirs[@]}" -maxdepth 1 -name exe \( -lname '/usr/sbin/dovecot' -o -lname '/usr/lib/dovecot/*' \
        -o -lname '/usr/lib/postfix/*' -o -lname '/usr/sbin/post*' \) -printf '%h\n' 2>/dev/null |
        sed 's|^/proc/||; s|/$||' | sort -un
    # the OAuth server: a python3 running oauth-lab/server.py (a python client sitting in DIR is not ours)
    local d
    for d in $(find "${dirs[@]}" -maxdepth 1 -name exe -lname '/usr/bin/python3*' -printf '%h\n' 2>/dev/null); do
        tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q 'oauth-lab/server\.py ' && { d=${d#/proc/}; echo "${d%/}"; }
    done
}
listening_ports() { # lab ports in LISTEN state on any address
    ((${#PORTS[@]})) || return 0
    awk -v want=" ${PORTS[*]} " '
        function hex(h,   i, n) { n = 0; for (i = 1; i <= length(h); i++)
            n = n * 16 + index("0123456789ABCDEF", toupper(substr(h, i, 1))) - 1; return n }
        FNR > 1 && $4 == "0A" { split($2, a, ":"); p = hex(a[2]); if (index(want, " " p " ")) print p }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -un
}
accepting_ports() { # lab ports where a connect succeeds
    local p
    for p in "${PORTS[@]}"; do
        if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then echo "$p"; fi
    done
}
describe() { # pid... -> "pid comm" list
    local p
    for p in "$@"; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null || echo gone)"; done
}
masters() { # pids of the lab's master processes that are alive
    local f p
    for f in "$DIR"/dovecot/*/run/master.pid "$DIR/postfix/spool/pid/master.pid" "$DIR/oauth/server.pid"; do
        [[ -s $f ]] || continue
        p=$({ tr -dc '0-9' <"$f"; } 2>/dev/null)
        [[ -n $p ]] || continue
        # only if that pid really is ours (pid files outlive their process)
        if [[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "$DIR"/* ]]; then echo "$p"; fi
    done
}

# 1. Ask every master to stop, all at once. Postfix's master, on SIGTERM, kills its
#    process group (what `postfix stop` does, without its one-second polling).
#    Dovecot's master stops its services and waits for them.
m=($(masters))
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
    # No process of ours is left but a lab port still listens: someone else holds it;
    # give the kernel a moment, then stop waiting (the check below reports it).
    if ((${#left[@]} == 0)); then
        [[ -n $gone_since ]] || gone_since=$SECONDS
        ((SECONDS - gone_since >= 2)) && break
    fi
    # Children left with no master: Dovecot's master may exit before children that still
    # hold client connections, and a master killed hard leaves all of them. Stop them directly.
    if ((${#left[@]})) && ((orphans_termed == 0)) && [[ -z $(masters) ]]; then
        sleep 0.5
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
