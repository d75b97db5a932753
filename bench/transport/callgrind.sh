#!/usr/bin/env bash
# Connection-test benchmark in instructions (issue 17): the work of bench/transport/run.sh (N IMAPS logins at
# concurrency 32, mailsh's `account test --all --incoming-only --format json` and `curl --parallel` with the same
# logins), each client run once under `valgrind --tool=callgrind`, which counts the instructions the client process
# executes: a figure that does not depend on the machine's load (the wall times of run.sh do), to compare builds.
# Prints the instructions of each client and their ratio.
# With MAILSH_BENCH_BEFORE=PATH, that mailsh (e.g. a build of main) is measured too, on the same lab, and its JSON
# reports are compared with the measured one's, as text, timings left out (`milliseconds`, `started_at`, the times in
# Dovecot's replies): they must be the same to the byte.
# CALLGRIND_KEEP=DIR keeps the callgrind files there (for callgrind_annotate).
# Usage: bench/transport/callgrind.sh [N]   (default 200 accounts). Needs root (the lab) and valgrind.
# MAILSH_BENCH_BIN=PATH measures that mailsh instead of a release build made here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${1:-200}
cd "$root"
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
# shellcheck source=lab.sh
. "$root/bench/transport/lab.sh"
keep=${CALLGRIND_KEEP:-$work/callgrind}
mkdir -p "$keep"

mailsh=(account test --all --match 'Bench*' --incoming-only --format json --concurrency 32)
# Under valgrind each client runs some fifty times slower: both get 120 s per login instead of 20 (the same work).
sed -i 's/^max-time = 20$/max-time = 120/' "$config"
# Valgrind can't read the DWARF of a Swift release build: it measures a copy without it (symbols kept).
strip --strip-debug -o "$work/mailsh" "$bin"
if [[ -n ${MAILSH_BENCH_BEFORE:-} ]]; then strip --strip-debug -o "$work/mailsh-before" "$MAILSH_BENCH_BEFORE"; fi
# The instructions of a callgrind run: its `summary:` line.
instructions() { awk '/^summary:/ { print $2 }' "$1"; }
grind() { valgrind --tool=callgrind --callgrind-out-file="$1" "${@:2}"; }

# Warm-up without valgrind (Dovecot's login processes, the page cache).
"$bin" "${mailsh[@]}" >/dev/null
curl -q --parallel --parallel-max 32 -K "$config" 2>"$work/warm-up.log" || { cat "$work/warm-up.log" >&2; exit 1; }

grind "$keep/mailsh.cg" "$work/mailsh" "${mailsh[@]}" --timeout 120 >"$work/after.json" 2>"$work/grind.log" ||
    { grep -v "^==" "$work/grind.log" | tail -20 >&2; exit 1; }
grind "$keep/curl.cg" curl -q --parallel --parallel-max 32 -K "$config" 2>"$work/grind.log" ||
    { grep -v "^==" "$work/grind.log" | tail -20 >&2; exit 1; }
ours=$(instructions "$keep/mailsh.cg")
theirs=$(instructions "$keep/curl.cg")
if [[ -n ${MAILSH_BENCH_BEFORE:-} ]]; then
    grind "$keep/before.cg" "$work/mailsh-before" "${mailsh[@]}" --timeout 120 >"$work/before.json" 2>"$work/grind.log" ||
        { grep -v "^==" "$work/grind.log" | tail -20 >&2; exit 1; }
    before=$(instructions "$keep/before.cg")
fi

python3 - "$work" "$count" "$ours" "$theirs" "${before:-}" "$(cat /proc/loadavg)" <<'PY'
import json, os, re, sys
work, count, ours, theirs, before, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]

def reports(name):
    with open(os.path.join(work, name)) as f:
        text = f.read()
    items = json.loads(text)
    bad = [r["account"] for r in items if r.get("verdict") != "ok"]
    if len(items) != count or bad:
        sys.exit(f"{name}: {len(items)} reports of {count}, not ok: {bad[:5]}")
    return text, items

def untimed(text):
    """The text of the reports without what depends on the moment: times and durations."""
    text = re.sub(r'"milliseconds": -?[0-9.e+-]+', '"milliseconds": T', text)
    text = re.sub(r'"started_at": "[^"]*"', '"started_at": T', text)
    # Dovecot's replies say how long it took: `OK Status completed (0.001 + 0.000 secs).`
    return re.sub(r'\((?:[0-9.]+ \+ )*[0-9.]+ secs\)', '(T secs)', text)

after_text, after = reports("after.json")
print(f"accounts: {count}, concurrency 32, under callgrind (load average {' '.join(load.split()[:3])}: no bearing on the counts)")
print(f"mailsh account test --all --incoming-only --format json: {ours:,} instructions ({ours / count:,.0f} per account)")
print(f"curl --parallel --parallel-max 32, same logins:          {theirs:,} instructions ({theirs / count:,.0f} per login)")
print(f"ratio mailsh/curl: {ours / theirs:.2f}x")
if before:
    before = int(before)
    before_text, earlier = reports("before.json")
    same = untimed(before_text) == untimed(after_text)
    print(f"before (MAILSH_BENCH_BEFORE): {before:,} instructions, ratio to curl {before / theirs:.2f}x; "
          f"measured mailsh {100 * (ours - before) / before:+.1f} %")
    print("reports of before and measured, timings left out: " + ("the same" if same else "DIFFERENT"))
    if not same:
        import difflib
        diff = difflib.unified_diff(untimed(before_text).splitlines(), untimed(after_text).splitlines(), "before", "measured", n=2, lineterm="")
        print("\n".join(list(diff)[:40]))
        sys.exit(1)
PY
