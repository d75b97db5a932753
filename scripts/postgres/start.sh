#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the store tests: Debian's postgresql binaries, a cluster
# initialised in a temp folder as the postgres OS user (PostgreSQL refuses to run as root), listening on
# 127.0.0.1 only (and 127.0.0.2, also loopback: an address its certificate does not name), on a free high port,
# with its unix socket in the folder. Usage: start.sh [DIR]
#
# The bootstrap role is `mailsh` (a superuser, trust authentication on loopback only: the tests create and
# drop a database per test). A second role, `mailsh_pw`, may log in only with its (random) password
# (scram-sha-256). The server speaks TLS and plain TCP both: TLS with a certificate for IP:127.0.0.1 and
# DNS:localhost signed by a throw-away CA made here (DIR/tls/ca.crt); DIR/tls/wrong-ca.crt is another CA that
# signed nothing. Prints the folder as its last stdout line and writes DIR/env (KEY=value lines,
# shell-sourceable) with MAILSH_TEST_POSTGRES_URL (plain TCP, sslmode=disable), MAILSH_TEST_POSTGRES_CA,
# MAILSH_TEST_POSTGRES_WRONG_CA, MAILSH_TEST_POSTGRES_PASSWORD_USER and MAILSH_TEST_POSTGRES_PASSWORD.
# Stop it with stop.sh DIR (which removes the folder, keys included).
# Tunables (environment): PGLAB_PORT (a fixed port), PGLAB_START_TIMEOUT (30 s), PGLAB_KEEP=1 (keep the
# folder when start fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "postgres start: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it runs the server as the postgres OS user)"
"$HERE/install-deps.sh" >&2

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -n $BIN && -x $BIN/initdb && -x $BIN/pg_ctl ]] || die "no PostgreSQL binaries in /usr/lib/postgresql/*/bin"
id postgres >/dev/null 2>&1 || die "no postgres OS user (Debian's postgresql-common creates it)"
TIMEOUT=${PGLAB_START_TIMEOUT:-30}

# ---------------------------------------------------------------- folder
if [[ $# -ge 1 && -n $1 ]]; then
    DIR=$1
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd -P)
    [[ -e $DIR/env ]] && die "$DIR already holds a server (its env exists): stop it with stop.sh, or use another folder"
else
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/mailsh-pg.XXXXXX")
    DIR=$(cd "$DIR" && pwd -P)
fi
((${#DIR} <= 80)) || die "folder path too long for a unix socket: $DIR"
chown postgres:postgres "$DIR"
chmod 0700 "$DIR"
fail() {
    echo "postgres start: $*" >&2
    [[ -r $DIR/log ]] && tail -n 20 "$DIR/log" >&2
    if [[ ${PGLAB_KEEP:-0} != 1 ]]; then "$HERE/stop.sh" "$DIR" >&2 || true; fi
    exit 1
}
# From /: the caller's folder (often under /root) may be closed to the postgres user, which psql reports.
as_postgres() { (cd / && runuser -u postgres -- "$@"); }

as_postgres "$BIN/initdb" -D "$DIR/data" -U mailsh --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
    fail "initdb failed: $(tail -n 5 "$DIR/initdb.log")"
# Loopback only; nothing else may connect at all. mailsh_pw must give its password (the first matching line
# wins); everyone else is trusted. `host` lines match TLS and plain TCP alike. (A client connecting to
# 127.0.0.2 comes from 127.0.0.1: Linux picks that source for the loopback network.)
cat >"$DIR/data/pg_hba.conf" <<'HBA'
local all all trust
host  all mailsh_pw 127.0.0.1/32 scram-sha-256
host  all all 127.0.0.1/32 trust
HBA

# ---------------------------------------------------------------- TLS: a throw-away CA, a server certificate
TLS=$DIR/tls
mkdir -p "$TLS"
cat >"$TLS/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
ossl() { openssl "$@" >>"$TLS/openssl.log" 2>&1 || fail "openssl $1 failed: $(tail -n 5 "$TLS/openssl.log")"; }
EC=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
for ca in ca wrong-ca; do
    ossl req -config "$TLS/openssl.cnf" -x509 "${EC[@]}" -keyout "$TLS/$ca.key" -out "$TLS/$ca.crt" -days 7 \
        -subj "/CN=mailsh test $ca $(basename "$DIR")" -extensions ca
done
ossl req -config "$TLS/openssl.cnf" -new "${EC[@]}" -keyout "$TLS/server.key" -out "$TLS/server.csr" -subj "/CN=localhost"
ossl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days 7 -extfile "$TLS/openssl.cnf" -extensions server -out "$TLS/server.crt"
rm -f "$TLS/ca.key" "$TLS/wrong-ca.key" "$TLS/server.csr" # nothing more is ever signed
chown -R postgres:postgres "$TLS"
chmod 0700 "$TLS"
chmod 0600 "$TLS/server.key"
chmod 0644 "$TLS/ca.crt" "$TLS/wrong-ca.crt" "$TLS/server.crt"
cat >>"$DIR/data/postgresql.conf" <<CONF

# start.sh: TLS (plain TCP still accepted: pg_hba's host lines match both)
ssl = on
ssl_cert_file = '$TLS/server.crt'
ssl_key_file = '$TLS/server.key'
CONF

port_in_use() { # LISTEN on any address of IPv4 or IPv6
    awk -v p="$(printf '%04X' "$1")" 'FNR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) found = 1 }
        END { exit found ? 0 : 1 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# ---------------------------------------------------------------- start on a free port (a few tries: races)
started=0
for attempt in 1 2 3 4 5; do
    PORT=${PGLAB_PORT:-$((20000 + RANDOM % 40000))}
    port_in_use "$PORT" && { [[ -n ${PGLAB_PORT:-} ]] && fail "port $PORT is in use"; continue; }
    if as_postgres "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t "$TIMEOUT" \
        -o "-c listen_addresses=127.0.0.1,127.0.0.2 -p $PORT -c unix_socket_directories=$DIR -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
        started=1
        break
    fi
    [[ -n ${PGLAB_PORT:-} ]] && break
done
((started)) || fail "the server did not start"

# ---------------------------------------------------------------- the password role
PASSWORD=$(openssl rand -hex 16)
# Over the unix socket as mailsh (trusted); the password goes through stdin, never on a command line.
as_postgres "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U mailsh -d postgres >"$DIR/psql.log" 2>&1 <<SQL ||
SET password_encryption = 'scram-sha-256';
CREATE ROLE mailsh_pw LOGIN PASSWORD '$PASSWORD';
SQL
    fail "creating the role mailsh_pw failed: $(tail -n 5 "$DIR/psql.log")"

URL="postgres://mailsh@127.0.0.1:$PORT/postgres?sslmode=disable"
{
    echo "PGLAB_DIR=$DIR"
    echo "PGLAB_PORT=$PORT"
    echo "PGLAB_BIN=$BIN"
    echo "MAILSH_TEST_POSTGRES_URL='$URL'"
    echo "MAILSH_TEST_POSTGRES_CA='$TLS/ca.crt'"
    echo "MAILSH_TEST_POSTGRES_WRONG_CA='$TLS/wrong-ca.crt'"
    echo "MAILSH_TEST_POSTGRES_PASSWORD_USER='mailsh_pw'"
    echo "MAILSH_TEST_POSTGRES_PASSWORD='$PASSWORD'"
} >"$DIR/env"
chmod 0600 "$DIR/env"
echo "postgres start: $("$BIN/postgres" --version | head -n 1) on 127.0.0.1:$PORT (TLS and plain), folder $DIR" >&2
echo "$DIR"
