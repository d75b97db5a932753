#!/usr/bin/env bash
# Connection-test benchmark (issue 5), on a release build, against the mail lab (real Dovecot on loopback):
#   1. `mailsh account test --all --incoming-only --concurrency 32` over N accounts (IMAPS login + folder state,
#      each of a distinct lab user), timed as a whole process;
#   2. `curl --parallel --parallel-max 32` doing the same N logins (IMAPS, certificate verified against the lab CA,
#      SASL-IR, STATUS of INBOX, no TLS session reuse: the same work) in the same run;
#   3. the same mailsh command one by one (--concurrency 1).
# The lab's Dovecot reuses its login processes (`service imap-login { service_count = 0 }`, scripts/mail-lab/start.sh),
# so the server is not the bottleneck and the client's own cost shows (issue 17).
# Prints each wall time and the client process's CPU time (user + system, of the process and what it waited for)
# (median of RUNS runs), the ratios mailsh/curl (goal <= 1.1 for the wall time) and the one-by-one time.
# Usage: bench/transport/run.sh [N] [RUNS]   (default 1000 accounts, 3 runs). Needs root (the lab).
# MAILSH_BENCH_BIN=PATH measures that mailsh instead of a release build made here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${1:-1000}
runs=${2:-3}
cd "$root"
# shellcheck source=lab.sh
. "$root/bench/transport/lab.sh"

python3 - "$bin" "$config" "$runs" "$count" "$MAILLAB_LOG_DIR/dovecot-main.log" <<'PY'
import collections, json, os, re, resource, statistics, subprocess, sys, time
bin, config, runs, count, server_log = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def sessions(run):
    """Runs `run` and returns what Dovecot logged of the IMAP sessions it made: per user, how each ended and the
    bytes the client sent (`Disconnected: Logged out in=58 out=571`: `out` varies with the timings Dovecot puts in
    its replies, `in` is the client's commands)."""
    with open(server_log, "rb") as log:
        log.seek(0, os.SEEK_END)
        start = log.tell()
    run()
    # Dovecot logs a session's end once the client has gone: wait for all of them (bounded).
    deadline = time.monotonic() + 60
    while True:
        with open(server_log, "rb") as log:
            log.seek(start)
            text = log.read().decode("utf-8", "replace")
        found = collections.Counter(re.findall(r"imap\(([^)]+)\)<[^>]*><[^>]*>: Info: Disconnected: ([^\n]*?) in=(\d+) out=\d+", text))
        if sum(found.values()) >= count or time.monotonic() > deadline:
            return found, text
        time.sleep(0.2)

def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

def timed(cmd, check):
    """Wall time and the child's CPU time (user + system; children are run one at a time)."""
    before = cpu()
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    spent = cpu() - before
    check(result)
    return elapsed, spent

def mailsh_ok(result):
    # One JSON array of reports (older mailsh: one report per line).
    try:
        lines = json.loads(result.stdout)
        lines = lines if isinstance(lines, list) else [lines]
    except json.JSONDecodeError:
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    bad = [l["account"] for l in lines if l.get("verdict") != "ok"]
    if result.returncode != 0 or len(lines) != count or bad:
        sys.exit(f"mailsh failed (exit {result.returncode}, {len(lines)} reports, not ok: {bad[:5]}): {result.stderr[:500]}")

def curl_ok(result):
    if result.returncode != 0:
        sys.exit(f"curl failed (exit {result.returncode}): {result.stderr[:500]}")

mailsh = [bin, "account", "test", "--all", "--match", "Bench*", "--incoming-only", "--format", "json"]
curl = ["curl", "-q", "--parallel", "--parallel-max", "32", "-K", config]
# Warm-up: Dovecot's login processes, the page cache. It also checks that both clients did the same work: the
# same users, each session ended the same way (LOGOUT) with the same IMAP bytes in and out.
ours_seen, ours_text = sessions(lambda: timed(mailsh + ["--concurrency", "32"], mailsh_ok))
theirs_seen, theirs_text = sessions(lambda: timed(curl, curl_ok))
if ours_seen != theirs_seen or sum(ours_seen.values()) != count:
    # Reported, not fatal: the figures below are still printed, with this line above them.
    only_ours, only_theirs = list((ours_seen - theirs_seen).items())[:3], list((theirs_seen - ours_seen).items())[:3]
    print(f"SESSIONS DIFFER: mailsh {sum(ours_seen.values())}, curl {sum(theirs_seen.values())} of {count}; "
          f"only mailsh: {only_ours}; only curl: {only_theirs}")
    for (user, _, _), _ in (only_ours + only_theirs)[:2]:
        for name, text in (("mailsh", ours_text), ("curl", theirs_text)):
            print(f"  {name} run, server log lines of {user}:",
                  [line[:160] for line in text.splitlines() if f"<{user}>" in line or f"({user})" in line][:4])
else:
    print(f"same sessions on the server: {count} logins each, ended as {sorted(set(k[1] for k in ours_seen))}, "
          f"the client's IMAP bytes per session identical")
ours, theirs = [], []
for _ in range(runs):
    ours.append(timed(mailsh + ["--concurrency", "32"], mailsh_ok))
    theirs.append(timed(curl, curl_ok))
serial, serial_cpu = timed(mailsh + ["--concurrency", "1"], mailsh_ok)
def median(samples, index): return statistics.median(s[index] for s in samples)
def listed(samples, index): return ", ".join(f"{s[index]:.2f}" for s in samples)
m, c = median(ours, 0), median(theirs, 0)
mc, cc = median(ours, 1), median(theirs, 1)
print(f"accounts: {count}, runs: {runs} (median), concurrency 32, load average {open('/proc/loadavg').read().split()[:3]}")
print(f"mailsh account test --all --incoming-only --concurrency 32: wall {m:.2f} s  (runs: {listed(ours, 0)})")
print(f"                                                             CPU  {mc:.2f} s  (runs: {listed(ours, 1)})")
print(f"curl --parallel --parallel-max 32, same logins:             wall {c:.2f} s  (runs: {listed(theirs, 0)})")
print(f"                                                             CPU  {cc:.2f} s  (runs: {listed(theirs, 1)})")
print(f"ratio mailsh/curl: wall {m / c:.2f}x (goal <= 1.10x), CPU {mc / cc:.2f}x")
print(f"mailsh one by one (--concurrency 1): wall {serial:.2f} s, CPU {serial_cpu:.2f} s")
PY
