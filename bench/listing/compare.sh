#!/usr/bin/env bash
# Golden comparison: every listing (account list, audit, record list, export) in every format and with each listing
# option, printed by two mailsh binaries on the same store; any difference is shown and fails.
#   bench/listing/compare.sh OLD_MAILSH NEW_MAILSH STORE [NEW_STORE]
# (exported_at, the time of the export, is the one value that may differ.) NEW_STORE: a copy of STORE for the new
# binary, when it adds a migration the old one would refuse (bench/listing/make-compare-store.sh makes STORE).
set -uo pipefail
old=$1 new=$2 store=$3 newstore=${4:-$3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 runs=0
check() {
    runs=$((runs + 1))
    "$old" "$@" --store "$store" >"$work/old" 2>"$work/old.err"; local a=$?
    "$new" "$@" --store "$newstore" >"$work/new" 2>"$work/new.err"; local b=$?
    sed -i 's/"exported_at" : "[^"]*"/"exported_at" : "X"/' "$work/old" "$work/new"
    if [[ $a != "$b" ]] || ! cmp -s "$work/old" "$work/new" || ! cmp -s "$work/old.err" "$work/new.err"; then
        failures=$((failures + 1))
        echo "DIFFERENT: $* (status $a vs $b)"
        diff "$work/old" "$work/new" | head -10
        diff "$work/old.err" "$work/new.err" | head -4
    fi
}
options=("" "--json-lines" "--columns name,status" "--columns status,name --no-header" "--limit 3" "--limit 0"
         "--no-header" "--sort name" "--sort status --limit 4" "--columns nosuch" "--limit -1")
for format in table csv json; do
    for option in "${options[@]}"; do
        # shellcheck disable=SC2086
        check account list --format "$format" $option
        check audit --format "$format" ${option//name/account}
        check record list --format "$format" ${option//name/number}
    done
    check account list --format "$format" --match 'Desk00000*'
    check account list --format "$format" --protocol pop3 --limit 7
    check account list --format "$format" --owner global --columns name
    check account list --format "$format" --owner bob
    check account list --format "$format" --match 'Nothing*'
    check audit Desk0000004 --format "$format"
    check audit Desk0000001 --format "$format" --limit 2
    check audit NoSuchAccount --format "$format"
    check record list --format "$format" --account Desk0000002
    check record list --format "$format" --status open --limit 5
    check record list --format "$format" --account NoSuch
done
check export
check export -
check export --with-secrets
check export --format csv
check export --format csv --with-secrets
check export --as bob
for file in "$work/e.json" "$work/e.csv"; do
    runs=$((runs + 1))
    format=json; [[ $file == *.csv ]] && format=csv
    "$old" export "$file" --format $format --store "$store" 2>"$work/old.err"; mv "$file" "$file.old"
    "$new" export "$file" --format $format --store "$newstore" 2>"$work/new.err"
    sed -i 's/"exported_at" : "[^"]*"/"exported_at" : "X"/' "$file" "$file.old"
    if ! cmp -s "$file" "$file.old" || ! cmp -s "$work/old.err" "$work/new.err" \
        || [[ $(stat -c %a "$file") != $(stat -c %a "$file.old") ]]; then
        failures=$((failures + 1)); echo "DIFFERENT: export $file"; diff "$file.old" "$file" | head
    fi
done
echo "$runs comparisons, $failures different"
[[ $failures == 0 ]]
