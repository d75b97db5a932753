# Shell functions both mail labs use (scripts/mail-lab: Dovecot + Postfix, scripts/mail-lab-cyrus: Cyrus + Exim).
# Sourced by their start.sh and stop.sh; nothing here runs by itself.

# ---------------------------------------------------------------- ports (start.sh)
# The caller declares PORT_NAMES, NPORTS, FIXED_BASE, the associative arrays USED, TRIED and PORT, and die();
# PORT_STEP (default 20) is the spacing of randomly picked ranges.

used_ports() { # every local TCP port in any state (listening or connected), decimal
    awk 'function hex(h,   i, n) { n = 0; for (i = 1; i <= length(h); i++)
             n = n * 16 + index("0123456789ABCDEF", toupper(substr(h, i, 1))) - 1; return n }
         FNR > 1 { split($2, a, ":"); print hex(a[2]) }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -un
}
range_free() { # base -> 0 if base..base+NPORTS-1 are all unused
    local b=$1 p
    for ((p = b; p < b + NPORTS; p++)); do
        [[ -n ${USED[$p]:-} ]] && return 1
    done
    return 0
}
pick_ports() { # sets BASE and PORT[name]: MAILLAB_BASE_PORT, or a free random range below the ephemeral ports
    local p b i
    USED=()
    while read -r p; do USED[$p]=1; done < <(used_ports)
    if ((FIXED_BASE)); then
        BASE=$MAILLAB_BASE_PORT
        [[ $BASE =~ ^[0-9]+$ ]] && ((BASE >= 1024 && BASE + NPORTS <= 65535)) ||
            die "MAILLAB_BASE_PORT must be a port number between 1024 and $((65535 - NPORTS))"
        range_free "$BASE" || die "a port in $BASE..$((BASE + NPORTS - 1)) is in use"
    else
        # Below Linux's ephemeral range (32768+) so outgoing connections do not take them; ranges start on
        # multiples of PORT_STEP (20: wide enough for either lab), so two labs never overlap.
        local step=${PORT_STEP:-20}
        BASE=
        for _ in $(seq 300); do
            b=$((20000 + (RANDOM % (12700 / step)) * step))
            [[ -n ${TRIED[$b]:-} ]] && continue
            if range_free "$b"; then BASE=$b; break; fi
        done
        [[ -n $BASE ]] || die "no free port range found in 20000..32700"
    fi
    TRIED[$BASE]=1
    for i in "${!PORT_NAMES[@]}"; do PORT[${PORT_NAMES[$i]}]=$((BASE + i)); done
}

# ---------------------------------------------------------------- TLS and env (start.sh)
genkey() { # file type: ec (P-256) or rsa (2048)
    if [[ $2 == ec ]]; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    else
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
    fi
}
client_ext() { # file -> the X.509 extensions of a client certificate (TLS client authentication)
    cat >"$1" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
}
envq() { # KEY VALUE -> KEY=value, quoted only when needed
    if [[ $2 =~ ^[A-Za-z0-9@%+=:,./_-]*$ ]]; then
        printf '%s=%s\n' "$1" "$2"
    else
        printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
    fi
}

# ---------------------------------------------------------------- readiness (start.sh)
greet_plain() { # port -> first line, or nothing
    local line='' fd
    { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
    IFS= read -r -t 2 -u "$fd" line || true
    exec {fd}>&-
    printf '%s' "${line%$'\r'}"
}
greet_tls() { # port [openssl s_client arguments] -> first line after the TLS handshake, or nothing
    local line='' fd pid port=$1
    shift
    exec {fd}< <(exec timeout 4 openssl s_client -quiet -connect "127.0.0.1:$port" -servername localhost "$@" \
        </dev/null 2>/dev/null)
    pid=$!
    IFS= read -r -t 3 -u "$fd" line || true
    kill "$pid" 2>/dev/null || true
    exec {fd}<&-
    wait "$pid" 2>/dev/null || true
    printf '%s' "${line%$'\r'}"
}

# ---------------------------------------------------------------- stopping (stop.sh)
# The caller sets PORTS (the lab's ports).
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
describe() { # pid... -> "pid(comm)" list
    local p
    for p in "$@"; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null || echo gone)"; done
}

# ---------------------------------------------------------------- stop_lab (stop.sh)
# Sends SIGTERM to every master at once, waits until no lab process is left and no lab port listens
# (terminating children whose master is gone, killing what outlives TIMEOUT), verifies, then removes DIR
# (kept with MAILLAB_KEEP=1). The caller defines masters(), lab_pids(), say(), err() and sets DIR, TIMEOUT,
# T0 (date +%s%N) and PORTS. Returns non-zero, saying what is left, if something remains.
stop_lab() {
    local m left lports acc deadline orphans_termed=0 gone_since= T1 secs
    m=($(masters))
    if ((${#m[@]})); then
        say "stopping masters $(describe "${m[@]}")"
        kill -TERM "${m[@]}" 2>/dev/null
    fi

    # Wait until no lab process is left and no lab port listens.
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
        # Children left with no master: a master may exit before children that still hold client
        # connections, and a master killed hard leaves all of them. Stop them directly.
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

    # Verify.
    left=($(lab_pids))
    acc=($(accepting_ports))
    if ((${#left[@]} || ${#acc[@]})); then
        ((${#left[@]})) && err "processes of the lab still running: $(describe "${left[@]}")"
        if ((${#acc[@]})); then
            if ((${#left[@]})); then err "lab ports still accepting connections: ${acc[*]}"
            else err "lab ports accepting connections, though no process of the lab is left (another program?): ${acc[*]}"; fi
        fi
        err "lab folder kept: $DIR"
        return 1
    fi

    T1=$(date +%s%N)
    secs=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    if [[ ${MAILLAB_KEEP:-0} == 1 ]]; then
        say "stopped in ${secs} s; folder kept: $DIR"
    else
        rm -rf -- "$DIR" || { err "could not remove $DIR"; return 1; }
        say "stopped in ${secs} s; removed $DIR"
    fi
    return 0
}

# ---------------------------------------------------------------- selftest.sh
# ok NAME / bad NAME [DETAILS] count into PASS and FAIL; expect RC NAME CMD... runs CMD and checks its exit
# code (its output in OUT); greeting PORT reads the first line from $H:PORT.
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() {
    FAIL=$((FAIL + 1))
    echo "FAIL - $1"
    [[ -z ${2:-} ]] || printf '%s\n' "$2" | head -n 15 | sed 's/^/       /'
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
expect() {
    local want=$1 name=$2 got
    shift 2
    OUT=$("$@" 2>&1)
    got=$?
    if ((got == want)); then ok "$name (exit $got)"; else bad "$name: exit $got, expected $want" "$OUT"; fi
    return $((got != want))
}
greeting() {
    local fd line=''
    { exec {fd}<>"/dev/tcp/$H/$1"; } 2>/dev/null || return 0
    IFS= read -r -t 5 -u "$fd" line
    exec {fd}>&-
    printf '%s' "${line%$'\r'}"
}

# ---------------------------------------------------------------- shared by both labs' start, stop and selftest

lab_folder() { # PREFIX [DIR]: the lab folder (DIR, or a new mktemp one named PREFIX.XXXXXX), made traversable;
    # sets DIR, created (1 when this start made it) and INSTANCE (PREFIX-ID, unique per folder). Uses the caller's die.
    local prefix=$1 id
    created=0
    if [[ $# -ge 2 && -n $2 ]]; then
        DIR=$2
        if [[ ! -d $DIR ]]; then mkdir -p "$DIR"; created=1; fi
        DIR=$(cd "$DIR" && pwd -P)
        [[ -e $DIR/env ]] && die "$DIR already holds a lab (its env exists): stop it with stop.sh, or remove it, or use another folder"
    else
        DIR=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX")
        DIR=$(cd "$DIR" && pwd -P)
        created=1
    fi
    chmod 0755 "$DIR"
    # Unix socket paths are limited to 107 bytes; the servers' longest is about 40 below the folder.
    ((${#DIR} <= 60)) || die "lab folder path too long for unix sockets (${#DIR} > 60): $DIR"
    id=$(basename "$DIR"); id=${id#"$prefix".}; id=$(printf '%s' "$id" | tr -c 'A-Za-z0-9' '-')
    INSTANCE="$prefix-${id:0:24}"
}

start_failed() { # WHO MESSAGE...: a start that gives up says why with the tail of each log, stops what it started
    # and removes the folder it made (kept with MAILLAB_KEEP=1), then exits 1.
    local who=$1 f
    shift
    echo "$who: $*" >&2
    for f in "$DIR"/log/*; do
        [[ -f $f && -s $f ]] || continue
        echo "---- tail of $f" >&2
        tail -n 25 "$f" >&2
    done
    MAILLAB_QUIET=1 MAILLAB_KEEP=1 "$HERE/stop.sh" "$DIR" >&2 || true
    if ((created)) && [[ ${MAILLAB_KEEP:-0} != 1 ]]; then
        rm -rf "$DIR"
    else
        echo "$who: lab folder kept: $DIR" >&2
    fi
    exit 1
}

stop_folder() { # WHAT SUBFOLDER1 SUBFOLDER2 [ARG...]: stop.sh's argument checked; exits 0 when there is no such
    # folder (idempotent), 2 when it is not a lab. Sets DIR, T0, TIMEOUT and PORTS (from DIR/env, unless
    # MAILLAB_STOP_SKIP_PORTS=1, used by start.sh on a port clash: judge by processes only). Uses the caller's say, err.
    local what=$1 one=$2 two=$3
    shift 3
    [[ $# -eq 1 && -n $1 ]] || { err "usage: stop.sh DIR"; exit 2; }
    if [[ ! -d $1 ]]; then
        say "$1: no such lab folder, nothing to stop"
        exit 0
    fi
    DIR=$(cd "$1" && pwd -P)
    [[ $DIR != / && ${#DIR} -gt 4 ]] || { err "refusing to act on '$DIR'"; exit 2; }
    if [[ ! -e $DIR/env && ! -d $DIR/$one && ! -d $DIR/$two ]]; then
        err "$DIR does not look like $what (no env, $one/ or $two/): not touching it"
        exit 2
    fi
    T0=$(date +%s%N)
    TIMEOUT=${MAILLAB_STOP_TIMEOUT:-10}
    PORTS=()
    if [[ -r $DIR/env && ${MAILLAB_STOP_SKIP_PORTS:-0} != 1 ]]; then
        PORTS=($(sed -n "s/^MAILLAB_PORTS='\{0,1\}\([0-9 ]*\)'\{0,1\}$/\1/p" "$DIR/env"))
    fi
}

selftest_finish() { # the end of a selftest.sh: stops the lab ($LAB) with its stop.sh and checks that nothing is left
    # (the folder, a process: the caller's `leftovers` prints any, a port that accepts), that a second stop is a
    # no-op and that nothing changed in the system's mail folders ($SYS_PATHS newer than $MARK); prints the totals.
    local t errs rc procs p changed
    local -a ports=($MAILLAB_PORTS) open=()
    t=$(now)
    errs=$("$HERE/stop.sh" "$LAB" 2>&1)
    rc=$?
    STOP_SECS=$(since "$t")
    if ((rc == 0)); then ok "stop.sh in ${STOP_SECS} s"; else bad "stop.sh (exit $rc)" "$errs"; fi
    [[ ! -e $LAB ]] && ok "lab folder removed" || bad "lab folder still there: $LAB"
    procs=$(leftovers)
    [[ -z $procs ]] && ok "no process of the lab left" || bad "processes left" "$procs"
    for p in "${ports[@]}"; do
        if timeout 2 bash -c "exec 3<>/dev/tcp/$H/$p" 2>/dev/null; then open+=("$p"); fi
    done
    ((${#open[@]} == 0)) && ok "no lab port accepts (${#ports[@]} ports)" || bad "ports still accepting: ${open[*]}"
    expect 0 "stop.sh again is a no-op" "$HERE/stop.sh" "$LAB"
    LAB=
    changed=$(find "${SYS_PATHS[@]}" -newer "$MARK" 2>/dev/null)
    [[ -z $changed ]] && ok "nothing changed in /etc or /var mail folders" || bad "system files changed" "$changed"
    echo "timing: start ${START_SECS} s, stop ${STOP_SECS} s"
    echo "$PASS passed, $FAIL failed"
    ((FAIL == 0))
}

# ---------------------------------------------------------------- apt (install-deps.sh of the labs and of postgres)
# The steps every install-deps.sh takes: which packages are missing, installing them as root without letting their
# maintainer scripts start a system daemon (policy-rc.d: exit 101 = action forbidden; ours only if none exists,
# removed afterwards), waiting for other apt users' dpkg lock, and checking the result.

deps_missing() { # PKG... -> prints each package that is not installed, one per line
    local p st
    for p in "$@"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [[ $st == installed ]] || printf '%s\n' "$p"
    done
}

deps_apt_install() { # LABEL PKG...: installs PKG... (root only); returns apt-get's status
    local label=$1
    shift
    if [[ $(id -u) -ne 0 ]]; then
        echo "$label deps: missing $*; run as root (or install them by hand)" >&2
        return 1
    fi
    echo "$label deps: installing $*" >&2
    (
        export DEBIAN_FRONTEND=noninteractive
        policy=/usr/sbin/policy-rc.d
        own_policy=0
        if [[ ! -e $policy ]]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy"
            chmod 0755 "$policy"
            own_policy=1
        fi
        trap 'if ((own_policy)); then rm -f "$policy"; fi' EXIT
        apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
        apt-get install -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef \
            -o Dpkg::Options::=--force-confold --no-install-recommends "$@"
    )
}

deps_check_installed() { # LABEL PKG...: fails naming the first package still not installed
    local label=$1 p
    shift
    for p in $(deps_missing "$@"); do
        echo "$label deps: $p still not installed" >&2
        return 1
    done
}
