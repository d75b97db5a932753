#!/usr/bin/env bash
# Store benchmark: throughput of account edits with 1, 4 and 8 concurrent writers, on SQLite and on PostgreSQL,
# each against a peer doing the same work in the same run.
#
#   bench/store/run.sh [EDITS_PER_WRITER]     (default 500; MAILSH_BIN=path to use a binary already built)
#
# mailsh: W processes of `mailsh` reading EDITS lines of `account set BoxK outgoing.display_name=… incoming.port=…`
# from standard input (the way admins pipe changes in), each writer editing its own account: every edit is a
# transaction that reads the account, checks the rights, validates, writes the new version and an audit entry.
# Peers, the same writes without mailsh: W sqlite3 CLI processes each running EDITS transactions of the same
# work on a copy of the same store, synced as mailsh syncs it (SQLite); pgbench with W clients running the same
# transaction EDITS times each (PostgreSQL, a throw-away server from scripts/postgres/): the whole row read (locked
# FOR UPDATE on PostgreSQL), one audit INSERT per changed field with old and new value, the UPDATE checked against
# the version read, new values every edit. Each run checks that nothing was lost. CPU: the client
# processes' user + system time (mailsh's writers; sqlite3's, which include SQLite's own work; pgbench's), never
# the PostgreSQL server's, which both sides share.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
edits=${1:-500}
writers_list=(1 4 8)
if [[ -z "${MAILSH_BIN:-}" ]]; then
    # mailsh hands the shell, PostgreSQL stores and the monitor to mailsh-full beside it (ProgramChoice).
    (cd "$root" && swift build -c release --scratch-path .build-release --product mailsh-full >&2)
    (cd "$root" && swift build -c release --scratch-path .build-release --product mailsh >&2)
    MAILSH_BIN="$root/.build-release/release/mailsh"
fi
command -v sqlite3 >/dev/null || { echo "bench/store/run.sh needs the sqlite3 CLI (apt-get install sqlite3)" >&2; exit 1; }

work=$(mktemp -d)
pg_dir=""
cleanup() {
    [[ -n $pg_dir ]] && "$root/scripts/postgres/stop.sh" "$pg_dir" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work" MAILSH_KEY_FILE="$work/key"
now() { date +%s.%N; }
# The CPU seconds (user + system) of the children this shell has waited for.
# (`times` runs in this shell, never in a pipeline's or substitution's subshell, which has no children.)
children_cpu() {
    local file="$work/times.$BASHPID"
    times > "$file"
    tail -n 1 "$file" | awk '{ n = 0; for (f = 1; f <= 2; f++) { split($f, p, /[ms]/); n += p[1] * 60 + p[2] } print n }'
}

# The scripts each writer pipes into mailsh.
for ((k = 0; k < 8; k++)); do
    for ((i = 0; i < edits; i++)); do
        echo "account set Box$k outgoing.display_name=W${k}E$i incoming.port=$((10000 + i))"
    done > "$work/edits-$k.txt"
done

# Runs W mailsh writers against a store; prints the seconds and the writers' CPU seconds.
mailsh_run() {
    local store=$1 writers=$2 start pids=()
    start=$(now)
    for ((k = 0; k < writers; k++)); do
        "$MAILSH_BIN" --store "$store" < "$work/edits-$k.txt" > /dev/null &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    local seconds
    seconds=$(echo "$(now) - $start" | bc)
    children_cpu > "$work/cpu"
    echo "$seconds $(cat "$work/cpu")"
}

# Makes a store with accounts Box0..Box7 (and the first user).
prepare() {
    local store=$1
    "$MAILSH_BIN" store init --store "$store" > /dev/null
    for ((k = 0; k < 8; k++)); do
        echo "account create Box$k incoming.host=imap$k.example.com outgoing.from=box$k@example.com"
    done | "$MAILSH_BIN" --store "$store" > /dev/null
}

report() {  # name writers "mailsh_seconds mailsh_cpu" "peer_seconds peer_cpu"
    local total=$(($2 * edits)) m=($3) p=($4)
    printf '%-10s %2d writers  mailsh %7.1f edits/s (%6.2f s, CPU %6.2f s)   peer %7.1f edits/s (%6.2f s, CPU %6.2f s)   ratio %.2fx (CPU %.2fx)\n' \
        "$1" "$2" "$(echo "$total / ${m[0]}" | bc -l)" "${m[0]}" "${m[1]}" "$(echo "$total / ${p[0]}" | bc -l)" "${p[0]}" "${p[1]}" \
        "$(echo "${m[0]} / ${p[0]}" | bc -l)" "$(echo "${m[1]} / ${p[1]}" | bc -l)"
}

echo "account edits, $edits per writer, each writer on its own account"
stamp=$(date +%s)
# ---------------------------------------------------------------- SQLite
for writers in "${writers_list[@]}"; do
    store="$work/sqlite-$writers.db"
    prepare "$store"
    sqlite3 "$store" 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
    cp "$store" "$work/peer-$writers.db"
    mailsh_seconds=$(mailsh_run "$store" "$writers")
    version=$(sqlite3 "$store" "SELECT max(version) FROM account WHERE name = 'Box0'")
    [[ $version == $((1 + edits)) ]] || { echo "SQLite: Box0 is at version $version, not $((1 + edits))" >&2; exit 1; }
    audits=$(sqlite3 "$store" "SELECT count(*) FROM audit WHERE account = 'Box0' AND field IN ('outgoing.display_name', 'incoming.port')")
    [[ $audits == $((2 * edits)) ]] || { echo "SQLite: Box0 has $audits audit entries of edits, not $((2 * edits))" >&2; exit 1; }
    pids=()
    for ((k = 0; k < writers; k++)); do
        {
            # mailsh's own settings (SQLiteStore): the WAL the copied store keeps, synced at checkpoints, not at
            # every commit (the CLI's default, FULL, would make the peer wait for the disk where mailsh does not).
            echo ".timeout 10000"
            echo "PRAGMA synchronous = NORMAL;"
            for ((i = 0; i < edits; i++)); do
                # The whole row read (as mailsh reads the account), one audit entry per changed field with its
                # old and new value, the update refused unless the version is still the one read.
                cat <<SQL
BEGIN IMMEDIATE;
SELECT * FROM account WHERE name = 'Box$k';
INSERT INTO audit (at, actor, account, account_id, field, old_value, new_value)
    SELECT $stamp, 'bench', name, id, 'outgoing.display_name', out_display_name, 'W${k}E$i' FROM account WHERE name = 'Box$k';
INSERT INTO audit (at, actor, account, account_id, field, old_value, new_value)
    SELECT $stamp, 'bench', name, id, 'incoming.port', in_port, '$((10000 + i))' FROM account WHERE name = 'Box$k';
UPDATE account SET out_display_name = 'W${k}E$i', in_port = $((10000 + i)), version = version + 1,
    modified_at = $stamp, modified_by = 'bench' WHERE name = 'Box$k' AND version = $((1 + i));
COMMIT;
SQL
            done
        } > "$work/peer-$k-$writers.sql"
    done
    peer_seconds=$(
        start=$(now)
        for ((k = 0; k < writers; k++)); do
            sqlite3 "$work/peer-$writers.db" < "$work/peer-$k-$writers.sql" > /dev/null &
            pids+=($!)
        done
        for pid in "${pids[@]}"; do wait "$pid"; done
        seconds=$(echo "$(now) - $start" | bc)
        children_cpu > "$work/cpu"
        echo "$seconds $(cat "$work/cpu")")
    version=$(sqlite3 "$work/peer-$writers.db" "SELECT max(version) FROM account WHERE name = 'Box0'")
    [[ $version == $((1 + edits)) ]] || { echo "SQLite peer: Box0 is at version $version, not $((1 + edits))" >&2; exit 1; }
    report SQLite "$writers" "$mailsh_seconds" "$peer_seconds"
done

# ---------------------------------------------------------------- PostgreSQL
if [[ ! -x $root/scripts/postgres/start.sh ]]; then
    echo "PostgreSQL: scripts/postgres/start.sh is missing; skipped" >&2
    exit 0
fi
pg_dir=$("$root/scripts/postgres/start.sh" | tail -n 1)
base=$(sed -n "s/^MAILSH_TEST_POSTGRES_URL='\(.*\)'$/\1/p" "$pg_dir/env")
psql_url=${base%%\?*}
command -v pgbench >/dev/null || { echo "bench/store/run.sh needs pgbench (Debian's postgresql-contrib or postgresql)" >&2; exit 1; }
for writers in "${writers_list[@]}"; do
    for db in "mailsh_$writers" "peer_$writers"; do psql -q "$psql_url" -c "CREATE DATABASE $db" > /dev/null; done
    store="${psql_url%/*}/mailsh_$writers?sslmode=disable"
    prepare "$store"
    # The peer's database: the same schema and accounts, copied from mailsh's before any edit.
    pg_dump "${psql_url%/*}/mailsh_$writers" | psql -q "${psql_url%/*}/peer_$writers" > /dev/null
    mailsh_seconds=$(mailsh_run "$store" "$writers")
    version=$(psql -tA "${psql_url%/*}/mailsh_$writers" -c "SELECT max(version) FROM account WHERE name = 'Box0'")
    [[ $version == $((1 + edits)) ]] || { echo "PostgreSQL: Box0 is at version $version, not $((1 + edits))" >&2; exit 1; }
    audits=$(psql -tA "${psql_url%/*}/mailsh_$writers" -c "SELECT count(*) FROM audit WHERE account = 'Box0' AND field IN ('outgoing.display_name', 'incoming.port')")
    [[ $audits == $((2 * edits)) ]] || { echo "PostgreSQL: Box0 has $audits audit entries of edits, not $((2 * edits))" >&2; exit 1; }
    # The same work as mailsh's edit: the whole row read and locked, one audit entry per changed field with its
    # old and new value, the update refused unless the version is still the one read (\gset keeps it), new
    # values every time.
    cat > "$work/pgbench.sql" <<'SQL'
\set i random(0, 9999)
BEGIN;
SELECT *, version AS read_version FROM account WHERE name = 'Box' || (:client_id)::text FOR UPDATE \gset
INSERT INTO audit (at, actor, account, account_id, field, old_value, new_value)
    SELECT extract(epoch from now()), 'bench', name, id, 'outgoing.display_name', out_display_name,
    'W' || :client_id || 'E' || :i FROM account WHERE name = 'Box' || (:client_id)::text;
INSERT INTO audit (at, actor, account, account_id, field, old_value, new_value)
    SELECT extract(epoch from now()), 'bench', name, id, 'incoming.port', in_port::text, (10000 + :i)::text
    FROM account WHERE name = 'Box' || (:client_id)::text;
UPDATE account SET out_display_name = 'W' || :client_id || 'E' || :i, in_port = 10000 + :i, version = version + 1,
    modified_at = extract(epoch from now()), modified_by = 'bench'
    WHERE name = 'Box' || (:client_id)::text AND version = :read_version;
COMMIT;
SQL
    peer_seconds=$(
        start=$(now)
        pgbench -n -c "$writers" -j "$writers" -t "$edits" -f "$work/pgbench.sql" "${psql_url%/*}/peer_$writers" \
            > "$work/pgbench.out" 2>&1 || { cat "$work/pgbench.out" >&2; exit 1; }
        seconds=$(echo "$(now) - $start" | bc)
        children_cpu > "$work/cpu"
        echo "$seconds $(cat "$work/cpu")") || exit 1
    version=$(psql -tA "${psql_url%/*}/peer_$writers" -c "SELECT max(version) FROM account WHERE name = 'Box0'")
    [[ $version == $((1 + edits)) ]] || { echo "PostgreSQL peer: Box0 is at version $version, not $((1 + edits))" >&2; exit 1; }
    report PostgreSQL "$writers" "$mailsh_seconds" "$peer_seconds"
done
