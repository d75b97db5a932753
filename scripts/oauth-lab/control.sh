#!/usr/bin/env bash
# Control the mail lab's OAuth server from a test or by hand: play the person (approve a device
# code, sign in at an authorization URL), change token lifetimes, expire or revoke tokens, read the
# counters and events. Talks to the test-only endpoints under MAILLAB_OAUTH_ADMIN_URL over HTTPS
# (verified with the lab CA); the admin token goes to curl through stdin, never on a command line.
#
# Usage: control.sh [-d LAB_DIR] COMMAND [ARGS]     (LAB_DIR defaults to $MAILLAB_DIR)
#   approve USER_CODE|latest MAILBOX      the person approves a device code as MAILBOX
#   deny USER_CODE|latest MAILBOX         the person refuses it (the client gets access_denied)
#   pending                               device codes waiting for the person
#   authorize URL MAILBOX [--follow]      the person signs in as MAILBOX at an authorization URL: prints
#                                         {"location": redirect}; --follow also sends the browser's GET to
#                                         the client's loopback redirect ("followed_status")
#   deny-authorize URL [--follow]         the person clicks Deny (redirect with error=access_denied)
#   lifetime SECONDS                      access-token lifetime of tokens issued from now on
#   settings [KEY=VALUE...]               show or change: access_token_lifetime, refresh_token_lifetime,
#                                         device_interval, device_code_lifetime (seconds), app_user,
#                                         device_slow_down_polls (the first N polls get slow_down),
#                                         token_prefix (put before every token issued: a canary)
#   expire [--user U] [--client C] [--refresh]   their access tokens (and refresh tokens) expire now
#   revoke [--user U] [--client C]        every token of theirs is revoked (no filter: every token)
#   counters                              per client and user: issued, refresh_ok, refresh_refused, errors
#   tokens [--user U] [--client C]        every token without its value: user, client, state
#   events [--after N] [--type T[,T]] [--wait SECONDS]   the event log (JSON), waiting for one if asked
#   wait-event TYPE [--after N] [--timeout SECONDS]      wait for an event (default 30 s); exit 1 if none
#   reset                                 clear counters and events
# Output: the server's JSON on stdout. Exit 0 on success, 1 on a refusal or an error, 2 on bad usage.
set -euo pipefail

die() { echo "oauth-lab control: $*" >&2; exit "${2:-1}"; }
usage() { sed -n '/^# Usage:/,/^# Output:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

lab=${MAILLAB_DIR:-}
if [[ ${1:-} == -d ]]; then
    [[ $# -ge 2 ]] || usage
    lab=$2
    shift 2
fi
[[ $# -ge 1 ]] || usage
[[ -n $lab ]] || die "no lab: pass -d LAB_DIR or set MAILLAB_DIR" 2
[[ -r $lab/env ]] || die "$lab/env: not a running lab"

# Read the lab's env file without sourcing it.
declare -A ENV=()
while IFS= read -r line; do
    if [[ $line =~ ^(MAILLAB_[A-Z0-9_]+)=\'(.*)\'$ || $line =~ ^(MAILLAB_[A-Z0-9_]+)=(.*)$ ]]; then
        ENV[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
    fi
done <"$lab/env"
ADMIN=${ENV[MAILLAB_OAUTH_ADMIN_URL]:-}
[[ -n $ADMIN ]] || die "$lab was not started with MAILLAB_OAUTH=1"

# call METHOD PATH [--data-urlencode k=v ...]: the admin token through curl's config on stdin.
call() {
    local method=$1 path=$2 out code
    shift 2
    out=$(printf 'header = "X-Lab-Admin-Token: %s"\n' "${ENV[MAILLAB_OAUTH_ADMIN_TOKEN]}" |
        curl -q -sS --max-time 150 --cacert "${ENV[MAILLAB_CA]}" -K - -X "$method" \
            -w '\n%{http_code}' "$@" "$ADMIN/$path") || die "cannot reach $ADMIN/$path"
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    printf '%s\n' "${out%$'\n'}"
    [[ $code == 2* ]]
}

filters() { # --user U --client C --refresh -> curl args in FILTER
    FILTER=()
    while (($#)); do
        case $1 in
            --user) [[ $# -ge 2 ]] || usage; FILTER+=(--data-urlencode "user=$2"); shift 2 ;;
            --client) [[ $# -ge 2 ]] || usage; FILTER+=(--data-urlencode "client=$2"); shift 2 ;;
            --refresh) FILTER+=(--data-urlencode "refresh=1"); shift ;;
            --after) [[ $# -ge 2 ]] || usage; FILTER+=(--data-urlencode "after=$2"); shift 2 ;;
            --type) [[ $# -ge 2 ]] || usage; FILTER+=(--data-urlencode "type=$2"); shift 2 ;;
            --wait|--timeout) [[ $# -ge 2 ]] || usage; FILTER+=(--data-urlencode "wait=$2"); shift 2 ;;
            --follow) FILTER+=(--data-urlencode "follow=1"); shift ;;
            *) usage ;;
        esac
    done
}

cmd=$1
shift
case $cmd in
    approve|deny)
        [[ $# -eq 2 ]] || usage
        extra=()
        [[ $cmd == deny ]] && extra=(--data-urlencode deny=1)
        call POST device --data-urlencode "user_code=$1" --data-urlencode "user=$2" "${extra[@]}" ;;
    pending)
        [[ $# -eq 0 ]] || usage
        call GET device ;;
    authorize)
        [[ $# -ge 2 ]] || usage
        url=$1 user=$2
        shift 2
        filters "$@"
        call POST authorize --data-urlencode "url=$url" --data-urlencode "user=$user" "${FILTER[@]}" ;;
    deny-authorize)
        [[ $# -ge 1 ]] || usage
        url=$1
        shift
        filters "$@"
        call POST authorize --data-urlencode "url=$url" --data-urlencode deny=1 "${FILTER[@]}" ;;
    lifetime)
        [[ $# -eq 1 && $1 =~ ^[0-9]+$ ]] || usage
        call POST settings --data-urlencode "access_token_lifetime=$1" ;;
    settings)
        if (($# == 0)); then call GET settings; else
            args=()
            for kv in "$@"; do [[ $kv == *=* ]] || usage; args+=(--data-urlencode "$kv"); done
            call POST settings "${args[@]}"
        fi ;;
    expire|revoke)
        filters "$@"
        call POST "$cmd" "${FILTER[@]}" ;;
    counters)
        [[ $# -eq 0 ]] || usage
        call GET counters ;;
    tokens)
        filters "$@"
        call GET tokens -G "${FILTER[@]}" ;;
    events)
        filters "$@"
        call GET events -G "${FILTER[@]}" ;;
    wait-event)
        [[ $# -ge 1 ]] || usage
        type=$1
        shift
        FILTER=()
        filters "$@"
        have_wait=0
        for a in "${FILTER[@]}"; do [[ $a == wait=* ]] && have_wait=1; done
        ((have_wait)) || FILTER+=(--data-urlencode wait=30)
        out=$(call GET events -G --data-urlencode "type=$type" "${FILTER[@]}") || { printf '%s\n' "$out"; exit 1; }
        printf '%s\n' "$out"
        [[ $out == *'"seq":'* ]] ;;
    reset)
        [[ $# -eq 0 ]] || usage
        call POST reset ;;
    -h|--help|help) usage ;;
    *) usage ;;
esac
