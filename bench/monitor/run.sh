#!/usr/bin/env bash
# Monitor benchmark (issue 16): one `mailsh monitor --all` process over N lab mailboxes (real Dovecot + Postfix on
# loopback) receiving mail at a steady RATE messages/s over SMTP for SECONDS seconds, once with IMAP IDLE
# (--interval 3600: only IDLE brings mail in time) and once polling (--no-idle --interval POLL).
# For each mode it prints: messages filed per second, the delay from delivery (the SMTP server accepted the
# message) to filing (the monitor's `message` log line), p50 / p99 / max, and the monitor's CPU (share of one core
# over the sending window) and memory (RSS at the end, peak RSS).
# Usage: bench/monitor/run.sh [N] [RATE] [SECONDS] [POLL]   (default 200 mailboxes, 10 msg/s, 60 s, poll every 10 s)
# MODES="idle poll" (the default) or one of them; BENCH_KEEP=1 keeps the work folder (logs).
# BIN=path/to/mailsh to use a given binary (default: a release build in .build-release). Needs root (the lab).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${1:-200}
rate=${2:-10}
seconds=${3:-60}
poll=${4:-10}
cd "$root"
scripts/ensure-deps.sh >/dev/null
scripts/mail-lab/install-deps.sh >/dev/null
if [[ -z ${BIN:-} ]]; then
    # mailsh hands the shell, PostgreSQL stores and the monitor to mailsh-full beside it (ProgramChoice).
    swift build -c release --scratch-path .build-release --product mailsh-full >&2
    swift build -c release --scratch-path .build-release --product mailsh >&2
    BIN=$root/.build-release/release/mailsh
fi
bin=$BIN

work=$(mktemp -d)
lab=
monitor=
cleanup() {
    [[ -n $monitor ]] && kill "$monitor" 2>/dev/null && wait "$monitor" 2>/dev/null || true
    [[ -n $lab ]] && scripts/mail-lab/stop.sh "$lab" >/dev/null 2>&1 || true
    if [[ -n ${BENCH_KEEP:-} ]]; then echo "# kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR all_proxy ALL_PROXY

lab=$(MAILLAB_USER_COUNT=$count scripts/mail-lab/start.sh)
set -a; . "$lab/env"; set +a

export MAILSH_STORE=$work/bench.db MAILSH_KEY_FILE=$work/bench.key
"$bin" store init >/dev/null
echo "# seeding $count accounts (one per lab user)" >&2
"$bin" account create Mon001 incoming.host="$MAILLAB_HOST" incoming.port="$MAILLAB_IMAPS_PORT" \
    incoming.user="user1@$MAILLAB_DOMAIN" incoming.ca_file="$MAILLAB_CA" outgoing.host="$MAILLAB_HOST" \
    outgoing.port="$MAILLAB_SUBMISSION_PORT" outgoing.security=starttls outgoing.user="user1@$MAILLAB_DOMAIN" \
    outgoing.from="user1@$MAILLAB_DOMAIN" outgoing.ca_file="$MAILLAB_CA" conversation.prefix=MAA >/dev/null
# Passwords only ever through a pipe, never argv.
printf '%s\n' "$MAILLAB_PASSWORD" | "$bin" account password Mon001 incoming >/dev/null
printf '%s\n' "$MAILLAB_PASSWORD" | "$bin" account password Mon001 outgoing >/dev/null
letters=(A B C D E F G H I J K L M N O P Q R S T U V W X Y Z)
for ((i = 2; i <= count; i++)); do
    name=$(printf 'Mon%03d' "$i")
    prefix=M${letters[$(((i - 1) / 26 % 26))]}${letters[$(((i - 1) % 26))]}
    printf 'account copy Mon001 %s\naccount set %s incoming.user=user%d@%s conversation.prefix=%s\n' \
        "$name" "$name" "$i" "$MAILLAB_DOMAIN" "$prefix"
done | "$bin" >/dev/null

ms() { date +%s%3N; }

# One message to a random lab user over SMTP; its Message-ID and the time the server accepted it go to $sent.
send_one() { # n
    local n=$1 user=$((RANDOM % count + 1)) id file
    id="bench-$n-$RANDOM@customer.example"
    file=$work/mail.$n
    printf 'From: Customer <customer@example.org>\r\nTo: <user%d@%s>\r\nSubject: Bench message %d\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nPlease help.\r\n' \
        "$user" "$MAILLAB_DOMAIN" "$n" "$id" "$(date -R)" >"$file"
    if curl -q -sS --max-time 30 "smtp://127.0.0.1:$MAILLAB_SMTP_PLAIN_PORT" --mail-from customer@example.org \
        --mail-rcpt "user$user@$MAILLAB_DOMAIN" -T "$file" >/dev/null 2>>"$work/curl.err"; then
        echo "$id $(ms)" >>"$sent"
    fi
    rm -f "$file"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

run_mode() { # mode arguments...
    local mode=$1; shift
    local log=$work/$mode.log
    sent=$work/$mode.sent
    : >"$sent"
    "$bin" monitor --all --lease 300 --timeout 30 --log-format json "$@" 2>"$log" >/dev/null &
    monitor=$!
    # Ready: every mailbox idles (IDLE), or has been polled once (poll: the `started`… `polled` lines at debug).
    local deadline=$((SECONDS + 300)) ready=0
    while ((SECONDS < deadline)); do
        if [[ $mode == idle ]]; then
            ready=$(grep -c '"event":"idle"' "$log" || true)
        else
            ready=$(grep '"event":"polled"' "$log" | grep -o '"account":"Mon[0-9]*"' | sort -u | wc -l || true)
        fi
        ((ready >= count)) && break
        sleep 0.5
    done
    echo "# $mode: $ready of $count mailboxes ready" >&2
    local total=$((rate * seconds)) start ticks0 n due now
    ticks0=$(cpu_ticks "$monitor")
    start=$(ms)
    for ((n = 1; n <= total; n++)); do
        due=$((start + (n - 1) * 1000 / rate))
        now=$(ms)
        ((due > now)) && sleep "$(awk -v d=$((due - now)) 'BEGIN { printf "%.3f", d / 1000 }')"
        send_one "$n" &
    done
    wait_senders=$(jobs -p | grep -v "^$monitor\$" || true)
    [[ -n $wait_senders ]] && wait $wait_senders 2>/dev/null || true
    local window_ms=$(($(ms) - start)) ticks1 rss hwm
    ticks1=$(cpu_ticks "$monitor")
    # Wait until every message accepted is filed (at most 5 minutes).
    local accepted filed
    accepted=$(wc -l <"$sent")
    deadline=$((SECONDS + 300))
    while ((SECONDS < deadline)); do
        filed=$(grep -c '"event":"message"' "$log" || true)
        ((filed >= accepted)) && break
        sleep 0.5
    done
    rss=$(status_kb "$monitor" VmRSS)
    hwm=$(status_kb "$monitor" VmHWM)
    kill "$monitor"
    wait "$monitor" 2>/dev/null || true
    monitor=
    # Delays: filing time (the log's ISO timestamp, ms) minus acceptance time, per Message-ID.
    grep '"event":"message"' "$log" | sed -n 's/.*"timestamp":"\([^"]*\)".*"message_id":"\([^"]*\)".*/\2 \1/p' \
        >"$work/$mode.filed.raw" || true
    cut -d' ' -f2 "$work/$mode.filed.raw" | date -f - +%s%3N >"$work/$mode.filed.ms"
    paste -d' ' <(cut -d' ' -f1 "$work/$mode.filed.raw") "$work/$mode.filed.ms" | sort >"$work/$mode.filed"
    sort "$sent" >"$work/$mode.sent.sorted"
    join "$work/$mode.sent.sorted" "$work/$mode.filed" | awk '{ print $3 - $2 }' | sort -n >"$work/$mode.delays"
    local matched first last
    matched=$(wc -l <"$work/$mode.delays")
    first=$(cut -d' ' -f2 "$work/$mode.filed" | sort -n | head -1)
    last=$(cut -d' ' -f2 "$work/$mode.filed" | sort -n | tail -1)
    awk -v mode="$mode" -v n="$matched" -v accepted="$accepted" -v first="$first" -v last="$last" \
        -v ticks=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v window="$window_ms" -v rss="$rss" -v hwm="$hwm" '
        { d[NR] = $1 }
        function pct(p) { i = int(p * n + 0.999999); if (i < 1) i = 1; if (i > n) i = n; return d[i] / 1000 }
        END {
            printf "%s: %d of %d accepted messages filed, %.1f filed/s; delay p50 %.2f s, p99 %.2f s, max %.2f s; ", \
                mode, n, accepted, (last > first ? (n - 1) * 1000 / (last - first) : 0), pct(0.5), pct(0.99), d[n] / 1000
            printf "CPU %.1f%% of a core over %.0f s; RSS %.1f MB (peak %.1f MB)\n", \
                ticks / hz * 100000 / window, window / 1000, rss / 1024, hwm / 1024
        }' "$work/$mode.delays"
}

for mode in ${MODES:-idle poll}; do
    case $mode in
        idle) run_mode idle --interval 3600 ;;
        poll) run_mode poll --no-idle --interval "$poll" --log-level debug ;;
        *) echo "unknown mode $mode (MODES: idle, poll)" >&2; exit 2 ;;
    esac
done
