#!/usr/bin/env bash
# Matcher benchmark (mail matching): mailsh's MessageParser + Matcher against Python's email package doing the same
# work on the same files, in the same run, and mailsh's time per KB at message sizes from 10 KB to 10 MB.
#  1. bench/match/generate.py writes N messages (1 to 8 KB; plain, quoted-printable, base64, HTML, multipart/
#     alternative, mixed and related; IDs, references, record numbers, auto-replies …) and their index to a temp dir.
#  2. mailsh-match-bench run: every file read into memory, then parsed and matched (median of ROUNDS rounds).
#  3. bench/match/peer.py: Python's email.parser.BytesParser with policy.compat32 and with policy.default, the same
#     skip rules, text parts, regular expressions for IDs, record numbers and subject keys, and dictionary lookups.
#  4. bench/match/gmime-peer.c (built here with gcc against Debian's libgmime-3.0-dev): GMime, the C MIME library
#     behind notmuch, parsing the same files and decoding their text parts to UTF-8 (median of ROUNDS rounds).
#  5. mailsh-match-bench scale: time per KB for one message of about 10 KB, 100 KB, 1 MB and 10 MB.
# Usage: bench/match/run.sh [N] [ROUNDS]   (default 100000 messages, 5 rounds). Prints each figure and the ratios.
# The release build is the one of every benchmark (.build-release, static Swift runtime, as the lead builds it);
# MAILSH_MATCH_BENCH_BIN=PATH measures that mailsh-match-bench instead. MATCH_SKIP_DEFAULT=1 leaves out the
# policy.default peer (about 7 minutes at 100,000 messages); compat32 and GMime always run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
count=${1:-100000}
rounds=${2:-5}
cd "$root"
if [[ -n ${MAILSH_MATCH_BENCH_BIN:-} ]]; then
    bin=$MAILSH_MATCH_BENCH_BIN
else
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product mailsh-match-bench >&2
    bin=$root/.build-release/release/mailsh-match-bench
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! pkg-config --exists gmime-3.0 2>/dev/null || ! command -v gcc >/dev/null; then
    echo "# installing libgmime-3.0-dev and gcc for the GMime peer" >&2
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends libgmime-3.0-dev gcc pkg-config >&2
fi
gcc -O2 -o "$work/gmime-peer" bench/match/gmime-peer.c $(pkg-config --cflags --libs gmime-3.0)

echo "# generating $count messages in $work"
python3 bench/match/generate.py "$work" "$count"
du -sh "$work" | sed 's/^/# /'

echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
mine=$("$bin" run "$work" "$rounds")
echo "$mine"
compat=$(python3 bench/match/peer.py "$work" compat32)
echo "$compat"
if [[ -n ${MATCH_SKIP_DEFAULT:-} ]]; then
    default=
else
    default=$(python3 bench/match/peer.py "$work" default)
    echo "$default"
fi
gmime=$("$work/gmime-peer" "$work" "$rounds")
echo "$gmime"
python3 - "$mine" "$compat" "$default" "$gmime" <<'PY'
import re, sys
def rates(line):
    wall = float(re.search(r": ([0-9.]+) messages/s", line).group(1))
    cpu = float(re.search(r": ([0-9.]+) messages per CPU second", line).group(1))
    return wall, cpu
mine = rates(sys.argv[1])
for name, line in (("compat32", sys.argv[2]), ("default", sys.argv[3])):
    if not line:
        continue
    peer = rates(line)
    print(f"ratio mailsh / python email ({name} policy): {mine[0] / peer[0]:.1f}x by wall time, "
          f"{mine[1] / peer[1]:.1f}x by CPU time (goal >= 20x)")
peer = rates(sys.argv[4])
print(f"ratio mailsh / GMime: {mine[0] / peer[0]:.2f}x by wall time, {mine[1] / peer[1]:.2f}x by CPU time (goal >= 1x)")
PY
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" scale
