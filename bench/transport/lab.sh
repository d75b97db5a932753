# The mail lab, the store and curl's config for the connection-test benchmarks (sourced by run.sh and
# callgrind.sh, with `root` and `count` set, in `root`): starts the lab with `count` users, seeds `count` accounts
# Bench0001… (one per lab user) into a new store, and writes curl's config file `config` (one group per login).
# Sets `bin` (MAILSH_BENCH_BIN, else a release build made here), `work`, `lab`, `config`; stops the lab and removes
# `work` on exit.
scripts/ensure-deps.sh
scripts/mail-lab/install-deps.sh >/dev/null
# MAILSH_BENCH_BIN: measure that binary instead of building the release one (say so when recording figures).
if [[ -n ${MAILSH_BENCH_BIN:-} ]]; then
    bin=$MAILSH_BENCH_BIN
else
    # mailsh hands the shell, PostgreSQL stores and the monitor to mailsh-full beside it (ProgramChoice).
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product mailsh-full >&2
    swift build -c release --static-swift-stdlib --scratch-path .build-release --product mailsh >&2
    bin=$root/.build-release/release/mailsh
fi

work=$(mktemp -d)
lab=
cleanup() {
    [[ -n $lab ]] && scripts/mail-lab/stop.sh "$lab" >&2 || true
    rm -rf "$work"
}
trap cleanup EXIT
# The machine's environment may point curl and OpenSSL at other CAs, or at a proxy: the CA is always explicit.
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR all_proxy ALL_PROXY

lab=$(MAILLAB_USER_COUNT=$count scripts/mail-lab/start.sh)
set -a; . "$lab/env"; set +a

export MAILSH_STORE=$work/bench.db MAILSH_KEY_FILE=$work/bench.key
"$bin" store init >/dev/null    # a named store must exist
echo "# seeding $count accounts (one per lab user)" >&2
"$bin" user set "$(id -un)" "email=desk@$MAILLAB_DOMAIN" >/dev/null 2>&1 || true
"$bin" account create Bench0001 incoming.host="$MAILLAB_HOST" incoming.port="$MAILLAB_IMAPS_PORT" \
    incoming.user="user1@$MAILLAB_DOMAIN" incoming.ca_file="$MAILLAB_CA" outgoing.host="$MAILLAB_HOST" \
    outgoing.port="$MAILLAB_SUBMISSION_PORT" outgoing.security=starttls outgoing.user="user1@$MAILLAB_DOMAIN" \
    outgoing.from="user1@$MAILLAB_DOMAIN" outgoing.ca_file="$MAILLAB_CA" >/dev/null
# Passwords only ever through a pipe, never argv.
printf '%s\n' "$MAILLAB_PASSWORD" | "$bin" account password Bench0001 incoming >/dev/null
printf '%s\n' "$MAILLAB_PASSWORD" | "$bin" account password Bench0001 outgoing >/dev/null
for ((i = 2; i <= count; i++)); do
    name=$(printf 'Bench%04d' "$i")
    printf 'account copy Bench0001 %s\naccount set %s incoming.user=user%d@%s\n' "$name" "$name" "$i" "$MAILLAB_DOMAIN"
done | "$bin" >/dev/null

# curl's config file (0600, removed on exit): one group per login, the password inside, never on argv.
# The same trust as mailsh's: the lab CA file only. mailsh sets no CA directory (CURLOPT_CAPATH NULL, "CApath: none");
# Debian's curl adds its built-in /etc/ssl/certs unless told otherwise, and the curl tool can't unset it, so it gets
# an empty directory: no other CA is trusted. (A CA directory also turns off libcurl's CA cache for curl, so curl
# reads the one-certificate CA file once per login where mailsh reads it once per run: see bench/RESULTS.md.)
mkdir "$work/no-ca-dir"
config=$work/curl.conf
(umask 077; for ((i = 1; i <= count; i++)); do
    ((i > 1)) && echo "next"
    printf 'url = "imaps://%s:%s/"\n' "$MAILLAB_HOST" "$MAILLAB_IMAPS_PORT"
    printf 'user = "user%d@%s:%s"\n' "$i" "$MAILLAB_DOMAIN" "$MAILLAB_PASSWORD"
    printf 'request = "STATUS \\"INBOX\\" (MESSAGES UNSEEN UIDNEXT)"\n'
    printf 'cacert = "%s"\ncapath = "%s"\nsasl-ir\nno-sessionid\nsilent\nshow-error\noutput = "/dev/null"\nmax-time = 20\n' "$MAILLAB_CA" "$work/no-ca-dir"
done >"$config")

