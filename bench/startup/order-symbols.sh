#!/usr/bin/env bash
# Writes the start-up symbol order that the release link of mailsh gives lld (--symbol-ordering-file, Package.swift):
# the functions and data the one-shot commands of bench/startup/run.sh touch, in the order they first touch them, so
# lld places them together at the start of .text, .data, .bss and .rodata instead of scattered over 30 MB of code and
# 1.5 MB of zeroed data. The program then takes fewer page faults to start (bench/RESULTS.md, Start-up, "pages").
#
# How: each command runs once under Valgrind's lackey tool (--trace-mem=yes: the address of every instruction and
# every load and store); the addresses inside the program are mapped to the symbols of its symbol table (nm), and the
# names are written once each, first touch first. The order only moves code and data: a symbol that is missing (renamed
# since) is skipped by lld, so a stale list costs pages, never correctness. Regenerate it when start-up code changes:
#     MAILSH_SCRATCH_PATH=.build-release scripts/mailsh --version     # the release program, symbols kept
#     bench/startup/order-symbols.sh .build/mailsh > bench/startup/symbol-order.txt
# then relink (touch a source of the mailsh target, or remove .build*/release/mailsh) and rerun bench/startup/run.sh.
# Needs valgrind (Debian's valgrind package; a developer's tool, not needed to build) and mailsh-bench beside the
# program or built by the same scratch path (for the 10-account store).
# Usage: bench/startup/order-symbols.sh PROGRAM > ORDER_FILE
set -euo pipefail
program=$(readlink -f "$1")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
command -v valgrind >/dev/null || { echo "order-symbols: needs valgrind (apt-get install valgrind)" >&2; exit 69; }
bench=$(dirname "$program")/mailsh-bench
if [[ ! -x $bench ]]; then
    flags=(-c release --static-swift-stdlib --package-path "$root" --scratch-path "${MAILSH_SCRATCH_PATH:-$root/.build}")
    swift build "${flags[@]}" --product mailsh-bench >&2
    bench=$(swift build "${flags[@]}" --show-bin-path)/mailsh-bench
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bench" seed "$work/small.db" 10 >/dev/null
# Valgrind 3.19 cannot read Swift 6's DWARF 5: trace a copy without debug information (same addresses).
objcopy --strip-debug --remove-section=.gnu_debuglink "$program" "$work/mailsh"
# Only code (.text), constants (.rodata) and zeroed data (.bss): every page of .data and .data.rel.ro is written by
# the dynamic loader's relocations anyway, so their order buys nothing, and the Swift metadata sections (swift5_*)
# are left as the compiler wrote them.
sections=$(readelf -SW "$work/mailsh" | awk '{ sub(/^ *\[ *[0-9]+\] */, "") }
    $1 == ".text" || $1 == ".rodata" || $1 == ".bss" { printf "%s %s ", $3, $5 }')
# Symbols with their sizes, by address: "address size name" (hex), names without spaces only. (Thread-local
# symbols, whose values are offsets, not addresses, fall below 0x1000 and are left out.)
nm -n -S --defined-only "$work/mailsh" |
    awk 'NF == 4 && $2 != "0000000000000000" && length($1) == 16 && $1 >= "0000000000001000" { print $1, $2, $4 }' \
    > "$work/symbols"
entry=$(readelf -h "$work/mailsh" | awk '/Entry point/ { print $4 }')
export HOME=$work XDG_DATA_HOME=$work
store=$work/small.db
commands=(
    "--store $store account list --format csv"
    "--version"
    "---completion account show -- positional@0 5 4 mailsh --store $store account show Acct"
)
for i in "${!commands[@]}"; do
    # shellcheck disable=SC2086 # the commands above are word lists without spaces inside a word
    valgrind --tool=lackey --trace-mem=yes --log-file="$work/trace.$i" "$work/mailsh" ${commands[$i]} >/dev/null 2>&1
done
# Valgrind loads a position-independent program at 0x108000 on amd64; checked against the entry point's first run.
awk -v entry="$entry" -v sections="$sections" -v files="${#commands[@]}" -v work="$work" '
function hex(s,   n, i, c) { n = 0; s = tolower(s); sub(/^0x/, "", s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); n = n * 16 + c - 1 }
    return n }
BEGIN {
    base = 1081344   # 0x108000
    while ((getline line < (work "/symbols")) > 0) {
        split(line, f, " "); n++; start[n] = hex(f[1]); size[n] = hex(f[2]); name[n] = f[3]
    }
    limit = start[n] + size[n]
    ranges = split(sections, r, " ")
    for (i = 1; i < ranges; i += 2) { from[i] = hex(r[i]); to[i] = from[i] + hex(r[i + 1]) }
    entryat = sprintf("%08x", base + hex(entry))
    for (k = 0; k < files; k++) {
        file = work "/trace." k; sawentry = 0
        while ((getline line < file) > 0) {
            if (line !~ /^( [LSM]|I ) /) continue
            a = substr(line, 4); sub(/,.*/, "", a)
            if (a == entryat) sawentry = 1
            if (a in seen) continue
            seen[a] = 1
            v = hex(a) - base
            if (v < 0 || v >= limit) continue
            for (i = 1; i < ranges; i += 2) if (from[i] <= v && v < to[i]) break
            if (i >= ranges) continue
            lo = 1; hi = n
            while (lo < hi) { mid = int((lo + hi + 1) / 2); if (start[mid] <= v) lo = mid; else hi = mid - 1 }
            if (start[lo] <= v && v < start[lo] + size[lo] && !(name[lo] in written)) {
                written[name[lo]] = 1; print name[lo]
            }
        }
        close(file)
        if (!sawentry) { print "order-symbols: the program was not at 0x108000 under valgrind" > "/dev/stderr"; exit 70 }
    }
}' </dev/null
