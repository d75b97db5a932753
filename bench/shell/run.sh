#!/usr/bin/env bash
# Shell benchmarks (issue 3), on a release build:
#  1. Tab completion of an account-name prefix in a store of 100,000 accounts, measured in the process
#     (mailsh-bench complete), beside the sqlite3 CLI running the same prefix query as a process.
#  2. Start-up of a one-shot `mailsh account list` against `sqlite3` running the same query on the same store,
#     on a small store (10 accounts) and on the large one.
# Usage: bench/shell/run.sh [ACCOUNTS]   (default 100000). Prints each figure and the ratio.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${1:-100000}
cd "$root"
scripts/ensure-deps.sh
swift build -c release >&2
bin=$root/.build/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MAILSH_STORE=$work/large.db

echo "# seeding $count accounts"
"$bin/mailsh-bench" seed "$work/large.db" "$count"
"$bin/mailsh-bench" seed "$work/small.db" 10

python3 - "$bin" "$work" <<'PY'
import statistics, subprocess, sys, time
bin, work = sys.argv[1], sys.argv[2]

def timed(cmd, runs):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)

out = subprocess.run([f"{bin}/mailsh-bench", "complete", f"{work}/large.db", "account show Acct0999", "2000"],
                     capture_output=True, text=True, check=True).stdout.strip()
print(out)
median_in_process = float(out.split("median ")[1].split(" ms")[0])
peer = timed(["sqlite3", f"{work}/large.db",
              "SELECT DISTINCT name FROM account WHERE name GLOB 'Acct0999*' ORDER BY name LIMIT 200"], 30)
print(f"completion: mailsh in process {median_in_process:.3f} ms (goal < 10 ms); "
      f"sqlite3 CLI process for the same prefix query {peer:.3f} ms; ratio {median_in_process / peer:.3f}x")

query = ("SELECT name, protocol, in_host, in_port, in_security, out_host, out_port, out_security "
         "FROM account ORDER BY name")
for name, runs in (("small", 30), ("large", 5)):
    store = f"{work}/{name}.db"
    mine = timed([f"{bin}/mailsh", "--store", store, "account", "list", "--format", "csv"], runs)
    peer = timed(["sqlite3", "-csv", store, query], runs)
    print(f"account list, {name} store: mailsh {mine:.1f} ms, sqlite3 {peer:.1f} ms, ratio {mine / peer:.2f}x")
PY
