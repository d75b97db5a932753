#!/usr/bin/env bash
# Start-up benchmark (issue 17): a one-shot `mailsh account list --format csv` on a 10-account store against
# `sqlite3 -csv` reading the same rows, with `mailsh --version`, the account names a completion script asks for
# (`mailsh ---completion account show …`, run at every Tab) and `mailsh completion bash` beside them. Median of RUNS alternating runs after one warm-up, wall time and the child's CPU time (user + system, from
# wait4), on the release build the README's command makes (scripts/mailsh's flags), or on the binaries given
# (for example one linked with --static-swift-stdlib beside it).
# Usage: bench/startup/run.sh [RUNS] [MAILSH_BINARY...]   (default 30 runs, the release build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${1:-30}
shift || true
cd "$root"
if [[ $# -eq 0 ]]; then
    scripts/mailsh --version >/dev/null   # builds .build/mailsh as the README's command does
    set -- "$root/.build/mailsh"
fi
bench=$(dirname "$1")/mailsh-bench
if [[ ! -x $bench ]]; then
    flags=(-c release --static-swift-stdlib --scratch-path "${MAILSH_SCRATCH_PATH:-$root/.build}")
    swift build "${flags[@]}" --product mailsh-bench >&2
    bench=$(swift build "${flags[@]}" --show-bin-path)/mailsh-bench
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" seed "$work/small.db" 10 >/dev/null

python3 - "$runs" "$work/small.db" "$@" <<'PY'
import os, statistics, subprocess, sys, time
runs, store, binaries = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
env = dict(os.environ, HOME=os.path.dirname(store), XDG_DATA_HOME=os.path.dirname(store))

def once(cmd):
    start = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, env, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                                                        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000

query = ("SELECT name, protocol, in_host, in_port, in_security, out_host, out_port, out_security "
         "FROM account ORDER BY name")
sqlite3 = subprocess.run(["sh", "-c", "command -v sqlite3"], capture_output=True, text=True).stdout.strip()
commands = {"sqlite3 -csv (peer)": [sqlite3, "-csv", store, query]}
for binary in binaries:
    commands[f"{binary} account list --format csv"] = [binary, "--store", store, "account", "list", "--format", "csv"]
    commands[f"{binary} --version"] = [binary, "--version"]
    # What bash asks when Tab follows `mailsh --store S account show Acct`.
    commands[f"{binary} ---completion account show (names)"] = [binary, "---completion", "account", "show", "--",
        "positional@0", "5", "4", "mailsh", "--store", store, "account", "show", "Acct"]
    commands[f"{binary} completion bash"] = [binary, "completion", "bash"]
samples = {name: ([], []) for name in commands}
for name, cmd in commands.items():
    once(cmd)  # warm-up
for _ in range(runs):
    for name, cmd in commands.items():
        wall, cpu = once(cmd)
        samples[name][0].append(wall)
        samples[name][1].append(cpu)
peer_wall = statistics.median(samples["sqlite3 -csv (peer)"][0])
peer_cpu = statistics.median(samples["sqlite3 -csv (peer)"][1])
print(f"median of {runs} runs; load average {os.getloadavg()[0]:.1f}")
print(f"| command | wall ms | CPU ms | wall ratio | CPU ratio |")
print(f"| --- | --- | --- | --- | --- |")
for name, (walls, cpus) in samples.items():
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(f"| `{name}` | {wall:.1f} | {cpu:.1f} | {wall / peer_wall:.2f}x | {cpu / max(peer_cpu, 0.001):.2f}x |")
PY
