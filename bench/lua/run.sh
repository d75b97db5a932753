#!/usr/bin/env bash
# Lua benchmark: `mailsh run create-accounts.lua` creating N accounts (default 100,000) in one transaction, against
# the sqlite3 CLI inserting the very rows mailsh wrote (the accounts and their audit entries) into a copy of the same
# empty store in one transaction, in the same run; then the cost of one call from Lua into Swift.
#
#   bench/lua/run.sh [N [MODES]]   (MAILSH_BIN=path to use a binary already built; REPEAT=runs per mode, default 1)
#
# MODES: "full names" by default. `full`: accounts as an admin creates them (protocol, incoming host/port/security,
# outgoing host/port/security, from address, display name, varied per account); `names`: the name only.
# Builds a release binary in .build-release unless MAILSH_BIN is set. Prints both sides' wall and CPU time and both
# ratios for every run; with REPEAT > 1, each run starts from new stores, mailsh and the peer in turn, and the median
# ratios of the runs (and how many runs met the goal) follow, since the peer's own time moves between runs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${1:-100000}
modes=${2:-full names}
if [[ -z "${MAILSH_BIN:-}" ]]; then
    # mailsh hands the shell, PostgreSQL stores and the monitor to mailsh-full beside it (ProgramChoice).
    (cd "$root" && swift build -c release --static-swift-stdlib --scratch-path .build-release --product mailsh-full >&2)
    (cd "$root" && swift build -c release --static-swift-stdlib --scratch-path .build-release --product mailsh >&2)
    MAILSH_BIN="$root/.build-release/release/mailsh"
fi
command -v sqlite3 >/dev/null || { echo "bench/lua/run.sh needs the sqlite3 CLI (apt-get install sqlite3)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work" MAILSH_KEY_FILE="$work/key"
# Wall and CPU (user + system) seconds of one command, from bash's own `time`: "WALL CPU".
TIMEFORMAT='%R %U %S'
measure() { local t; t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ); tail -n 1 <<<"$t" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'; }

printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
repeat=${REPEAT:-1}
declare -A ratios_wall ratios_cpu
for mode in $modes; do
  for run in $(seq 1 "$repeat"); do
      rm -f "$work"/*.db* "$work/rows.sql"
      # A new store: the schema, the first user, nothing else. The peer starts from a copy of the very same file.
      "$MAILSH_BIN" store init --store "$work/lua.db" >/dev/null
      sqlite3 "$work/lua.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
      cp "$work/lua.db" "$work/peer.db"

      read -r lua_seconds lua_cpu < <(measure "$MAILSH_BIN" run --store "$work/lua.db" \
          "$root/bench/lua/create-accounts.lua" "$count" Bench "$mode")

      # The same rows, as plain INSERTs in one transaction (written out before the clock starts), with the settings
      # mailsh's store opens its connection with (SQLiteStore: synchronous, page cache, temporary storage, foreign
      # keys; WAL is in the file): the sqlite3 CLI's defaults (a 2 MB page cache that spills the transaction's
      # pages to the WAL, FULL sync) would make the peer do more work than mailsh.
      {
          echo "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = ON;"
          echo "BEGIN;"
          sqlite3 "$work/lua.db" ".mode insert account" "SELECT * FROM account;"
          sqlite3 "$work/lua.db" ".mode insert audit" "SELECT * FROM audit WHERE id > 1;"
          echo "COMMIT;"
      } > "$work/rows.sql"
      rows=$(grep -c '^INSERT' "$work/rows.sql")
      read -r peer_seconds peer_cpu < <(measure sqlite3 "$work/peer.db" < "$work/rows.sql")

      made=$(sqlite3 "$work/lua.db" "SELECT count(*) FROM account WHERE name LIKE 'Bench%';")
      [[ "$made" == "$count" ]] || { echo "mailsh made $made accounts, not $count" >&2; exit 1; }
      check=$(sqlite3 "$work/peer.db" "SELECT count(*) FROM account;")
      [[ "$check" == "$(sqlite3 "$work/lua.db" "SELECT count(*) FROM account;")" ]] || { echo "row counts differ" >&2; exit 1; }

      printf '%s: %d accounts (%d rows: accounts and audit entries), run %d of %d\n' "$mode" "$count" "$rows" "$run" "$repeat"
      printf '  mailsh run (Lua):      %.2f s wall, %.2f s CPU\n' "$lua_seconds" "$lua_cpu"
      printf '  sqlite3 CLI INSERTs:   %.2f s wall, %.2f s CPU\n' "$peer_seconds" "$peer_cpu"
      printf '  ratio (Lua / sqlite3): %.2fx wall, %.2fx CPU (goal: <= 0.5x)\n' "$(echo "$lua_seconds / $peer_seconds" | bc -l)" \
          "$(echo "$lua_cpu / $peer_cpu" | bc -l)"
      ratios_wall[$mode]+="$(echo "$lua_seconds / $peer_seconds" | bc -l) "
      ratios_cpu[$mode]+="$(echo "$lua_cpu / $peer_cpu" | bc -l) "
  done
  if (( repeat > 1 )); then
      python3 - "$mode" "$repeat" "${ratios_wall[$mode]}" "${ratios_cpu[$mode]}" <<'PY'
import statistics, sys
mode, runs, walls, cpus = sys.argv[1], sys.argv[2], [float(x) for x in sys.argv[3].split()], [float(x) for x in sys.argv[4].split()]
met = sum(1 for c in cpus if c <= 0.5)
print(f"{mode}: median of {runs} runs: {statistics.median(walls):.2f}x wall, {statistics.median(cpus):.2f}x CPU "
      f"(CPU ratios {min(cpus):.2f}x-{max(cpus):.2f}x; {met} of {runs} runs <= 0.5x)")
PY
  fi
done
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -z "${SKIP_CALL_COST:-}" ]]; then
    echo
    echo "cost of one Lua -> Swift call (1,000,000 calls each):"
    "$MAILSH_BIN" store init --store "$work/calls.db" >/dev/null
    "$MAILSH_BIN" run --store "$work/calls.db" "$root/bench/lua/call-cost.lua" 1000000
fi
