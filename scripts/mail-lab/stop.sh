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
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

say() { [[ -n ${MAILLAB_QUIET:-} ]] || echo "mail-lab stop: $*" >&2; }
err() { echo "mail-lab stop: $*" >&2; }

stop_folder "a mail lab" dovecot postfix "$@"

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

# Postfix's master, on SIGTERM, kills its process group (what `postfix stop` does, without its
# one-second polling); Dovecot's master stops its services and waits for them.
stop_lab
