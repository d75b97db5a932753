#!/usr/bin/env bash
# Listing benchmark: mailsh's listings of N accounts (and N records, 2N audit entries) against the sqlite3 CLI
# reading the same rows in the same run: wall time, CPU time (user+system) and peak memory (max RSS, from
# /usr/bin/time -v), with the ratios. Output goes to /dev/null for both.
#
#   bench/listing/run.sh [N ...]     (default: 100000 1000000; MAILSH_BIN=a binary already built; REPEAT=3 runs,
#                                     the median is reported; STORE_DIR=a folder where each size's store is made
#                                     once and kept, to be reused by later runs)
#
# The store is made by bench/listing/make-store.lua: global accounts as admins create them (hosts, ports, users,
# from addresses, display names, some POP3, STARTTLS, test accounts, reply-to addresses), N records.
# Peers (`sqlite3 -csv` / `-json` on a copy of the same store):
#   account list (csv, table) - the listing's columns' rows: SELECT name, protocol, hosts, ports, security modes,
#                               last test and padlocks ORDER BY name, owner
#   account list --format json, export - every column of every account (sqlite3 -json)
#   audit                     - every audit column, by id;  record list - every record column, newest first
#   (--sort created: by the second, newest first within it)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(100000 1000000)
repeat=${REPEAT:-3}
if [[ -z "${MAILSH_BIN:-}" ]]; then
    # mailsh hands the shell, PostgreSQL stores and the monitor to mailsh-full beside it (ProgramChoice).
    (cd "$root" && swift build -c release --scratch-path .build-release --product mailsh-full >&2)
    (cd "$root" && swift build -c release --scratch-path .build-release --product mailsh >&2)
    MAILSH_BIN="$root/.build-release/release/mailsh"
fi
missing=()
[[ -x /usr/bin/time ]] || missing+=(time)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
if [[ ${#missing[@]} -gt 0 ]]; then
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work" MAILSH_KEY_FILE="${STORE_DIR:-$work}/key"

# measure LABEL CMD...: runs CMD $repeat times (stdout to /dev/null); prints "wall cpu maxrss_kib" of the median run.
measure() {
    local label=$1; shift
    local runs=()
    for ((r = 0; r < repeat; r++)); do
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
            echo "$label failed:" >&2; cat "$work/err" >&2; exit 1; }
        read -r wall user sys rss < "$work/time"
        runs+=("$wall $(echo "$user + $sys" | bc) $rss")
    done
    printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p"
}

row() { # LABEL MAILSH_RESULT PEER_RESULT
    read -r mw mc mr <<< "$2"
    read -r pw pc pr <<< "$3"
    printf '%-34s %7.2f s %7.2f s %7.1f MiB | %7.2f s %7.2f s %6.1f MiB | %5.2fx %5.2fx %6.1fx\n' "$1" \
        "$mw" "$mc" "$(echo "$mr / 1024" | bc -l)" "$pw" "$pc" "$(echo "$pr / 1024" | bc -l)" \
        "$(echo "$mw / ($pw + 0.0001)" | bc -l)" "$(echo "$mc / ($pc + 0.0001)" | bc -l)" "$(echo "$mr / ($pr + 1)" | bc -l)"
}

command -v bc >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends bc >&2

order="ORDER BY name, ifnull(owner, '')"
list_sql="SELECT name, owner, protocol, in_host, in_port, in_security, out_host, out_port, out_security, last_test_verdict, last_test_ms, last_test_at, lock_in_server, lock_in_credentials, lock_out_server, lock_out_credentials FROM account $order"
for n in "${counts[@]}"; do
    store="${STORE_DIR:-$work}/store-$n.db"
    if [[ -z "${STORE_DIR:-}" || ! -e "$store.made" ]]; then
        rm -f "$store"*
        "$MAILSH_BIN" store init --store "$store" >/dev/null
        "$MAILSH_BIN" run --store "$store" --max-instructions 0 --max-memory 0 \
            "$root/bench/listing/make-store.lua" "$n" Desk plain "$n" >&2
        [[ -z "${STORE_DIR:-}" ]] || touch "$store.made"
    fi
    echo
    echo "== $n accounts, $n records, $((2 * n)) audit entries (median of $repeat; mailsh $MAILSH_BIN)"
    printf '%-34s %9s %9s %11s | %9s %9s %10s | %6s %6s %7s\n' "work" "wall" "cpu" "peak" "sqlite3" "cpu" "peak" \
        "wall" "cpu" "memory"
    row "account list --format csv" "$(measure a "$MAILSH_BIN" account list --format csv --store "$store")" \
        "$(measure b sqlite3 -csv -header "$store" "$list_sql")"
    row "account list (table)" "$(measure a "$MAILSH_BIN" account list --store "$store")" \
        "$(measure b sqlite3 -column -header "$store" "$list_sql")"
    row "account list --format json" "$(measure a "$MAILSH_BIN" account list --format json --store "$store")" \
        "$(measure b sqlite3 -json "$store" "SELECT * FROM account $order")"
    row "account list --json-lines" "$(measure a "$MAILSH_BIN" account list --format json --json-lines --store "$store")" \
        "$(measure b sqlite3 -json "$store" "SELECT * FROM account $order")"
    row "export (json)" "$(measure a "$MAILSH_BIN" export --store "$store")" \
        "$(measure b sqlite3 -json "$store" "SELECT * FROM account $order")"
    row "export --format csv" "$(measure a "$MAILSH_BIN" export --format csv --store "$store")" \
        "$(measure b sqlite3 -csv -header "$store" "SELECT * FROM account WHERE owner IS NULL $order")"
    row "audit --format csv" "$(measure a "$MAILSH_BIN" audit --format csv --store "$store")" \
        "$(measure b sqlite3 -csv -header "$store" "SELECT at, actor, account, field, old_value, new_value FROM audit ORDER BY id")"
    row "audit --format json" "$(measure a "$MAILSH_BIN" audit --format json --store "$store")" \
        "$(measure b sqlite3 -json "$store" "SELECT at, actor, account, field, old_value, new_value FROM audit ORDER BY id")"
    row "record list --format csv" "$(measure a "$MAILSH_BIN" record list --format csv --store "$store")" \
        "$(measure b sqlite3 -csv -header "$store" "SELECT * FROM record ORDER BY created_at DESC, number DESC")"
    row "record list --format json" "$(measure a "$MAILSH_BIN" record list --format json --store "$store")" \
        "$(measure b sqlite3 -json "$store" "SELECT * FROM record ORDER BY created_at DESC, number DESC")"
    row "record list --sort created (csv)" "$(measure a "$MAILSH_BIN" record list --format csv --sort created --store "$store")" \
        "$(measure b sqlite3 -csv -header "$store" "SELECT * FROM record ORDER BY CAST(created_at AS INTEGER), created_at DESC, number DESC")"
    [[ -n "${STORE_DIR:-}" ]] || rm -f "$store"*
done
