#!/bin/bash
# Counts syscalls per edit of a mailsh binary on PostgreSQL and SQLite: rt.sh BINARY LABEL EDITS
set -e
bin=$1 label=$2 n=${3:-100}
work=$(mktemp -d)
export HOME=$work MAILSH_KEY_FILE=$work/key
pg=$(scripts/postgres/start.sh | tail -n 1)
trap 'scripts/postgres/stop.sh "$pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
base=$(sed -n "s/^MAILSH_TEST_POSTGRES_URL='\(.*\)'$/\1/p" "$pg/env")
url=${base%%\?*}
psql -q "$url" -c "CREATE DATABASE rt" >/dev/null
store="${url%/*}/rt?sslmode=disable"
$bin store init --store "$store" >/dev/null
echo "account create Box0 incoming.host=imap.example.com" | $bin --store "$store" >/dev/null
for ((i = 0; i < n; i++)); do echo "account set Box0 outgoing.display_name=E$i incoming.port=$((10000 + i))"; done > $work/e.txt
head -1 $work/e.txt > $work/one.txt
for f in one e; do
  strace -f -c -o $work/st-$f.txt $bin --store "$store" < $work/$f.txt > /dev/null
done
echo "== $label PostgreSQL: syscalls for $n edits minus 1 edit, per edit"
join <(awk 'NR>2 && $NF!="total" && NF>=5 {print $NF, $4}' $work/st-e.txt | sort) <(awk 'NR>2 && $NF!="total" && NF>=5 {print $NF, $4}' $work/st-one.txt | sort) \
  | awk -v n=$n '{d=($2-$3)/(n-1); if (d>=0.5) printf "%-16s %6.1f\n", $1, d}' | sort -k2 -nr
psql -tA "$url" -c "SELECT xact_commit FROM pg_stat_database WHERE datname='rt'"
sq=$work/s.db
$bin store init --store "$sq" >/dev/null
echo "account create Box0 incoming.host=imap.example.com" | $bin --store "$sq" >/dev/null
for f in one e; do
  strace -f -c -o $work/sq-$f.txt $bin --store "$sq" < $work/$f.txt > /dev/null
done
echo "== $label SQLite: syscalls per edit"
join <(awk 'NR>2 && $NF!="total" && NF>=5 {print $NF, $4}' $work/sq-e.txt | sort) <(awk 'NR>2 && $NF!="total" && NF>=5 {print $NF, $4}' $work/sq-one.txt | sort) \
  | awk -v n=$n '{d=($2-$3)/(n-1); if (d>=0.5) printf "%-16s %6.1f\n", $1, d}' | sort -k2 -nr
