#!/usr/bin/env bash
# Matcher benchmark (mail matching): mailsh's MessageParser + Matcher against Python's email package doing the same
# work on the same files, in the same run, and mailsh's time per KB at message sizes from 10 KB to 10 MB.
#  1. bench/match/generate.py writes N messages (1 to 8 KB; plain, quoted-printable, base64, HTML, multipart/
#     alternative, mixed and related; IDs, references, record numbers, auto-replies …) and their index to a temp dir.
#  2. mailsh-match-bench run: every file read into memory, then parsed and matched (median of ROUNDS rounds).
#  3. bench/match/peer.py: Python's email.parser.BytesParser with policy.compat32 and with policy.default, the same
#     skip rules, text parts, regular expressions for IDs, record numbers and subject keys, and dictionary lookups.
#  4. mailsh-match-bench scale: time per KB for one message of about 10 KB, 100 KB, 1 MB and 10 MB.
# Usage: bench/match/run.sh [N] [ROUNDS]   (default 100000 messages, 5 rounds). Prints each figure and the ratios.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${1:-100000}
rounds=${2:-5}
cd "$root"
swift build -c release --product mailsh-match-bench >&2
bin=$root/.build/release/mailsh-match-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "# generating $count messages in $work"
python3 bench/match/generate.py "$work" "$count"
du -sh "$work" | sed 's/^/# /'

mine=$("$bin" run "$work" "$rounds")
echo "$mine"
compat=$(python3 bench/match/peer.py "$work" compat32)
echo "$compat"
default=$(python3 bench/match/peer.py "$work" default)
echo "$default"
python3 - "$mine" "$compat" "$default" <<'PY'
import re, sys
def rates(line):
    wall = float(re.search(r": ([0-9.]+) messages/s", line).group(1))
    cpu = float(re.search(r": ([0-9.]+) messages per CPU second", line).group(1))
    return wall, cpu
mine = rates(sys.argv[1])
for name, line in (("compat32", sys.argv[2]), ("default", sys.argv[3])):
    peer = rates(line)
    print(f"ratio mailsh / python email ({name} policy): {mine[0] / peer[0]:.1f}x by wall time, "
          f"{mine[1] / peer[1]:.1f}x by CPU time (goal >= 20x)")
PY
"$bin" scale
