#!/usr/bin/env bash
# Start a throw-away mail lab of the second server family: real Cyrus IMAP (IMAP, IMAPS, POP3, POP3S, LMTP)
# and Exim (submission, smtps) on 127.0.0.1 high ports, every file in one folder. Usage: start.sh [DIR]
#
# Mail submitted to Exim is delivered over LMTP (a unix socket in DIR) into the Cyrus mailboxes.
# The servers run from the private folder install-deps.sh unpacked them into (they conflict with the
# Dovecot/Postfix packages of the first lab). Nothing in /etc or /var is touched, no systemd.
#
# Prints the lab folder as its last stdout line and writes DIR/env (KEY=value lines, shell-sourceable,
# the same MAILLAB_* names as scripts/mail-lab where the meaning is the same). Stop it with stop.sh DIR.
#
# Tunables (environment): MAILLAB_BASE_PORT, MAILLAB_USER_COUNT (5), MAILLAB_DOMAIN (mailsh.test),
# MAILLAB_START_TIMEOUT (20 s), MAILLAB_CYRUS_ROOT (/opt/mailsh-mail-lab/cyrus-exim), MAILLAB_VERBOSE=1,
# MAILLAB_KEEP=1 (keep the folder when start fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../mail-lab/lib.sh
. "$HERE/../mail-lab/lib.sh"
T0=$(date +%s.%N)
ROOT=${MAILLAB_CYRUS_ROOT:-/opt/mailsh-mail-lab/cyrus-exim}
CYRBIN=$ROOT/usr/lib/cyrus/bin
EXIM=$ROOT/usr/sbin/exim4
LIBPATH=$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/usr/lib

die() { echo "mail-lab-cyrus start: $*" >&2; exit 1; }
note() { [[ -n ${MAILLAB_VERBOSE:-} ]] && echo "mail-lab-cyrus start: +$(elapsed) s: $*" >&2 || true; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

[[ $(id -u) -eq 0 ]] || die "must run as root (Cyrus and Exim drop privileges themselves)"
for b in "$CYRBIN/master" "$CYRBIN/imapd" "$CYRBIN/pop3d" "$CYRBIN/lmtpd" "$CYRBIN/ctl_cyrusdb" "$EXIM" \
    "$ROOT/usr/sbin/saslpasswd2"; do
    [[ -x $b ]] || die "$b not found: run $HERE/install-deps.sh"
done
command -v openssl >/dev/null || die "openssl not found: run $HERE/install-deps.sh"
getent passwd cyrus >/dev/null && getent passwd Debian-exim >/dev/null ||
    die "users cyrus and Debian-exim missing: run $HERE/install-deps.sh"

DOMAIN=${MAILLAB_DOMAIN:-mailsh.test}
USER_COUNT=${MAILLAB_USER_COUNT:-5}
START_TIMEOUT=${MAILLAB_START_TIMEOUT:-20}
[[ $USER_COUNT =~ ^[0-9]+$ ]] || die "MAILLAB_USER_COUNT must be a number"
[[ $DOMAIN =~ ^[A-Za-z0-9.-]+$ ]] || die "MAILLAB_DOMAIN: bad domain '$DOMAIN'"

# ---------------------------------------------------------------- folder
lab_folder cyruslab "${1:-}"
ID=${INSTANCE#cyruslab-}

CY=$DIR/cyrus
EX=$DIR/exim
TLS=$DIR/tls
mkdir -p "$TLS" "$DIR/log" "$CY"/{config,spool,run} "$EX/spool"

fail() { start_failed "mail-lab-cyrus start" "$@"; }
trap 'fail "failed at line $LINENO"' ERR
die() { trap - ERR; fail "$@"; }

# ---------------------------------------------------------------- ports
# Offsets from the base port. stop.sh reads them from env.
PORT_NAMES=(IMAP IMAPS POP3 POP3S SUBMISSION SMTPS IMAPS_CLIENTCERT SMTPS_CLIENTCERT IMAPS_CLIENTCERT_TLS12)
NPORTS=${#PORT_NAMES[@]}

declare -A USED=() TRIED=() PORT=()
FIXED_BASE=0
[[ -n ${MAILLAB_BASE_PORT:-} ]] && FIXED_BASE=1
# ---------------------------------------------------------------- users
PASSWORD=$(openssl rand -hex 12)
USERS=()
for ((i = 1; i <= USER_COUNT; i++)); do USERS+=("user$i@$DOMAIN"); done
DESK="desk@$DOMAIN"
USERS+=("$DESK")

# Cyrus: SASL's sasldb (auxprop), one entry per user in realm DOMAIN; the password only through a pipe.
for u in "${USERS[@]}"; do
    printf '%s' "$PASSWORD" | LD_LIBRARY_PATH=$LIBPATH "$ROOT/usr/sbin/saslpasswd2" -p -c \
        -f "$CY/sasldb2" -u "$DOMAIN" "${u%@*}"
done
chown cyrus:mail "$CY/sasldb2"
chmod 0600 "$CY/sasldb2"
# Exim: "address: password" for its plaintext authenticators, "address" alone for its recipient check.
printf '%s\n' "${USERS[@]}" | awk -v pw="$PASSWORD" '{ print $0 ": " pw }' >"$EX/passwd"
chown root:Debian-exim "$EX/passwd"
chmod 0640 "$EX/passwd"

# ---------------------------------------------------------------- TLS (the mail lab's way)
note "folder, ports and users ready"
(umask 077
 genkey "$TLS/ca.key" ec & genkey "$TLS/server.key" rsa & genkey "$TLS/client.key" ec & wait)
for f in ca.key server.key client.key; do [[ -s $TLS/$f ]] || fail "could not create $TLS/$f"; done
SAN="DNS:localhost,IP:127.0.0.1,IP:::1"
cat >"$TLS/ca.ext" <<EOF
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
cat >"$TLS/server.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
client_ext "$TLS/client.ext"
openssl req -new -x509 -key "$TLS/ca.key" -subj "/O=mailsh mail lab/CN=mailsh cyrus lab CA $ID" \
    -days 30 -sha256 -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat "$TLS/ca.ext") \
    -out "$TLS/ca.crt" 2>/dev/null
sign() { # name subject
    openssl req -new -key "$TLS/$1.key" -subj "$2" -out "$TLS/$1.csr" 2>/dev/null
    openssl x509 -req -in "$TLS/$1.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
        -days 30 -sha256 -extfile "$TLS/$1.ext" -out "$TLS/$1.crt" 2>/dev/null
}
sign server "/O=mailsh mail lab/CN=localhost"
sign client "/O=mailsh mail lab/CN=user1@$DOMAIN"
openssl verify -CAfile "$TLS/ca.crt" "$TLS/server.crt" >/dev/null || fail "server certificate does not verify"
chmod 0644 "$TLS"/*.crt
# Each server reads the key as its own user.
install -m 0600 -o cyrus -g mail "$TLS/server.key" "$TLS/cyrus.key"
install -m 0600 -o Debian-exim -g Debian-exim "$TLS/server.key" "$TLS/exim.key"
note "TLS ready"

# ---------------------------------------------------------------- configuration
write_configs() {
cat >"$CY/imapd.conf" <<EOF
# Cyrus IMAP of the mail lab, generated by scripts/mail-lab-cyrus/start.sh
configdirectory: $CY/config
partition-default: $CY/spool
defaultpartition: default
servername: mail.$DOMAIN
syslog_prefix: $INSTANCE
lmtpsocket: $CY/run/lmtp
idlesocket: $CY/run/idle
notifysocket: $CY/run/notify
idlemethod: poll
virtdomains: userid
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $CY/sasldb2
sasl_mech_list: PLAIN LOGIN
autocreate_quota: 0
autocreate_post: 1
popminpoll: 0
tls_server_cert: $TLS/server.crt
tls_server_key: $TLS/cyrus.key
tls_client_ca_file: $TLS/ca.crt
tls_versions: tls1_2 tls1_3
tls_client_certs: off
imapsclientcert_tls_client_certs: require
imapsclientcert12_tls_client_certs: require
imapsclientcert12_tls_versions: tls1_2
EOF
# cmd paths absolute: the binaries live in the private folder. -U: reuse a service process for 30 sessions.
cat >"$CY/cyrus.conf" <<EOF
# Cyrus master of the mail lab, generated by scripts/mail-lab-cyrus/start.sh
START {
  recover cmd="$CYRBIN/ctl_cyrusdb -C $CY/imapd.conf -r"
}
SERVICES {
  imap cmd="$CYRBIN/imapd -C $CY/imapd.conf -U 30" listen="127.0.0.1:${PORT[IMAP]}" prefork=1 maxchild=500
  imaps cmd="$CYRBIN/imapd -C $CY/imapd.conf -s -U 30" listen="127.0.0.1:${PORT[IMAPS]}" prefork=1 maxchild=500
  pop3 cmd="$CYRBIN/pop3d -C $CY/imapd.conf -U 30" listen="127.0.0.1:${PORT[POP3]}" prefork=1 maxchild=500
  pop3s cmd="$CYRBIN/pop3d -C $CY/imapd.conf -s -U 30" listen="127.0.0.1:${PORT[POP3S]}" prefork=1 maxchild=500
  imapsclientcert cmd="$CYRBIN/imapd -C $CY/imapd.conf -s -U 30" listen="127.0.0.1:${PORT[IMAPS_CLIENTCERT]}" prefork=0 maxchild=50
  imapsclientcert12 cmd="$CYRBIN/imapd -C $CY/imapd.conf -s -U 30" listen="127.0.0.1:${PORT[IMAPS_CLIENTCERT_TLS12]}" prefork=0 maxchild=50
  lmtpunix cmd="$CYRBIN/lmtpd -C $CY/imapd.conf" listen="$CY/run/lmtp" prefork=1 maxchild=50
}
EVENTS {
}
DAEMON {
}
EOF

cat >"$EX/exim.conf" <<EOF
# Exim of the mail lab, generated by scripts/mail-lab-cyrus/start.sh
exim_path = $EXIM
primary_hostname = mail.$DOMAIN
domainlist local_domains = $DOMAIN
# gone.DOMAIN: accepted at RCPT, then failed by the router: Exim itself bounces it to the sender (real bounces)
domainlist bounce_domains = gone.$DOMAIN
spool_directory = $EX/spool
log_file_path = $DIR/log/exim-%s.log
pid_file_path = $EX/exim.pid
local_interfaces = 127.0.0.1
daemon_smtp_ports = ${PORT[SUBMISSION]} : ${PORT[SMTPS]} : ${PORT[SMTPS_CLIENTCERT]}
tls_on_connect_ports = ${PORT[SMTPS]} : ${PORT[SMTPS_CLIENTCERT]}
smtp_banner = \$primary_hostname ESMTP mailsh cyrus lab (Exim \$version_number)
tls_advertise_hosts = *
tls_certificate = $TLS/server.crt
tls_privatekey = $TLS/exim.key
tls_verify_certificates = $TLS/ca.crt
# only the client-certificate port requires one
tls_verify_hosts = \${if eq{\$received_port}{${PORT[SMTPS_CLIENTCERT]}}{*}{}}
auth_advertise_hosts = \${if eq{\$tls_in_cipher}{}{}{*}}
acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt
host_lookup =
rfc1413_hosts =
never_users = root
keep_environment =
smtp_accept_max = 500
smtp_accept_max_per_host = 500
smtp_accept_queue_per_connection = 0
smtp_enforce_sync = false
message_size_limit = 50M
queue_run_max = 5
timeout_frozen_after = 1h
ignore_bounce_errors_after = 0s
delay_warning =
smtputf8_advertise_hosts =

begin acl
acl_check_mail:
  deny    message = STARTTLS required
          !encrypted = *
  accept

acl_check_rcpt:
  deny    message = authentication required
          !authenticated = *
  deny    message = relaying is disabled in the mail lab
          !domains = +local_domains : +bounce_domains
  accept  domains = +bounce_domains
  require verify = recipient
  accept

begin routers
cyrus:
  driver = accept
  domains = +local_domains
  condition = \${lookup{\$local_part@\$domain}lsearch{$EX/passwd}{yes}{no}}
  transport = cyrus_lmtp
  no_more
gone:
  driver = redirect
  domains = +bounce_domains
  allow_fail
  data = :fail: no mailbox here by that name
  no_more

begin transports
cyrus_lmtp:
  driver = lmtp
  socket = $CY/run/lmtp
  user = Debian-exim
  batch_max = 100

begin retry
*  *  F,10m,5s

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{!eq{\$auth3}{}}{eq{\$auth3}{\${lookup{\$auth2}lsearch{$EX/passwd}}}}}}
  server_set_id = \$auth2
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if and{{!eq{\$auth2}{}}{eq{\$auth2}{\${lookup{\$auth1}lsearch{$EX/passwd}}}}}}
  server_set_id = \$auth1
EOF
chmod 0644 "$CY"/*.conf "$EX/exim.conf"

{
    echo "# Cyrus + Exim mail lab environment, generated by scripts/mail-lab-cyrus/start.sh; source it with: set -a; . $DIR/env; set +a"
    envq MAILLAB_FLAVOUR cyrus-exim
    envq MAILLAB_BOUNCE_DOMAIN "gone.$DOMAIN"
    envq MAILLAB_DIR "$DIR"
    envq MAILLAB_INSTANCE "$INSTANCE"
    envq MAILLAB_HOST 127.0.0.1
    envq MAILLAB_DOMAIN "$DOMAIN"
    envq MAILLAB_CA "$TLS/ca.crt"
    envq MAILLAB_SERVER_CERT "$TLS/server.crt"
    envq MAILLAB_CLIENT_CERT "$TLS/client.crt"
    envq MAILLAB_CLIENT_KEY "$TLS/client.key"
    for n in "${PORT_NAMES[@]}"; do envq "MAILLAB_${n}_PORT" "${PORT[$n]}"; done
    envq MAILLAB_PORTS "$(for n in "${PORT_NAMES[@]}"; do printf '%s ' "${PORT[$n]}"; done | sed 's/ $//')"
    envq MAILLAB_USER_COUNT "$USER_COUNT"
    envq MAILLAB_USERS "${USERS[*]}"
    envq MAILLAB_DESK_USER "$DESK"
    envq MAILLAB_PASSWORD "$PASSWORD"
    envq MAILLAB_SPOOL "$CY/spool"
    envq MAILLAB_LMTP_SOCKET "$CY/run/lmtp"
    envq MAILLAB_LOG_DIR "$DIR/log"
    envq MAILLAB_CYRUS_ROOT "$ROOT"
} >"$DIR/env.tmp"
mv "$DIR/env.tmp" "$DIR/env"
}

# Ownership: Cyrus runs as cyrus:mail, Exim as Debian-exim; logs are pre-created for Exim's users.
chown -R cyrus:mail "$CY/config" "$CY/spool" "$CY/run"
chmod 0750 "$CY/config" "$CY/spool"
chmod 0755 "$CY/run"
chown -R Debian-exim:Debian-exim "$EX/spool"
chmod 0750 "$EX/spool"
for f in main reject panic; do
    install -m 0640 -o Debian-exim -g Debian-exim /dev/null "$DIR/log/exim-$f.log"
done

# ---------------------------------------------------------------- start and readiness
declare -A EXPECT=([IMAP]='* OK' [IMAPS]='* OK' [POP3]='+OK' [POP3S]='+OK' [SUBMISSION]='220 '
    [SMTPS]='220 ' [IMAPS_CLIENTCERT]='* OK' [SMTPS_CLIENTCERT]='220 ' [IMAPS_CLIENTCERT_TLS12]='* OK')
declare -A TLSPORT=([IMAPS]=1 [POP3S]=1 [SMTPS]=1 [IMAPS_CLIENTCERT]=c [SMTPS_CLIENTCERT]=c [IMAPS_CLIENTCERT_TLS12]=c)

wait_greeting() { # port name -> 0 once it greets as expected, 1 at the deadline
    local n=$1 g='' t
    while :; do
        t=${TLSPORT[$n]:-}
        if [[ $t == c ]]; then g=$(greet_tls "${PORT[$n]}" -cert "$TLS/client.crt" -key "$TLS/client.key")
        elif [[ -n $t ]]; then g=$(greet_tls "${PORT[$n]}")
        else g=$(greet_plain "${PORT[$n]}"); fi
        if [[ $g == "${EXPECT[$n]}"* ]]; then note "$n ${PORT[$n]}: $g"; return 0; fi
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}
wait_socket() { # path -> 0 once it exists as a socket
    while [[ ! -S $1 ]]; do ((SECONDS < deadline)) || return 1; sleep 0.05; done
}

launch() {
    local n
    LAUNCH_ERR=
    # Both in the foreground of their own (so their pids are ours), output to files, never a pipe of ours.
    # The environment names the lab, so that stop.sh can tell the lab's processes from any other.
    (cd "$DIR" && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LD_LIBRARY_PATH="$LIBPATH" \
        MAILLAB_DIR="$DIR" CYRUS_VERBOSE=0 \
        "$CYRBIN/master" -C "$CY/imapd.conf" -M "$CY/cyrus.conf" -p "$CY/run/master.pid" -l 128 \
        </dev/null >>"$DIR/log/cyrus.log" 2>&1) &
    (cd "$DIR" && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin MAILLAB_DIR="$DIR" \
        "$EXIM" -C "$EX/exim.conf" -bdf -q30s </dev/null >>"$DIR/log/exim-daemon.log" 2>&1) &
    deadline=$((SECONDS + START_TIMEOUT))
    declare -A waiter=()
    for n in "${PORT_NAMES[@]}"; do
        wait_greeting "$n" &
        waiter[$n]=$!
    done
    wait_socket "$CY/run/lmtp" & waiter[LMTP]=$!
    local pending=()
    for n in "${PORT_NAMES[@]}" LMTP; do
        wait "${waiter[$n]}" || pending+=("$n")
    done
    if ((${#pending[@]})); then
        LAUNCH_ERR="no greeting within ${START_TIMEOUT}s from: $(for n in "${pending[@]}"; do printf '%s(%s) ' "$n" "${PORT[$n]:-socket}"; done)"
        return 1
    fi
    return 0
}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
attempt=0
while :; do
    attempt=$((attempt + 1))
    pick_ports
    write_configs
    note "configuration written (ports $BASE..$((BASE + NPORTS - 1)))"
    "$EXIM" -C "$EX/exim.conf" -bV >"$DIR/log/exim-check.log" 2>&1 || die "Exim refuses its configuration"
    launch && break
    if ((!FIXED_BASE && attempt < 5)) && grep -qsiE 'address already in use|unable to bind' "$DIR"/log/*; then
        echo "mail-lab-cyrus start: a port of $BASE..$((BASE + NPORTS - 1)) was taken meanwhile; trying another range" >&2
        MAILLAB_QUIET=1 MAILLAB_KEEP=1 MAILLAB_STOP_SKIP_PORTS=1 "$HERE/stop.sh" "$DIR" >&2 || true
        rm -f "$DIR"/log/cyrus.log "$DIR"/log/exim-daemon.log "$DIR/env"
        continue
    fi
    trap - ERR
    fail "$LAUNCH_ERR"
done
trap - ERR

T1=$(date +%s.%N)
echo "mail-lab-cyrus: started $INSTANCE in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }') s;" \
    "IMAP ${PORT[IMAP]} IMAPS ${PORT[IMAPS]} POP3 ${PORT[POP3]} POP3S ${PORT[POP3S]}" \
    "SUBMISSION ${PORT[SUBMISSION]} SMTPS ${PORT[SMTPS]}; env: $DIR/env" >&2
echo "$DIR"
