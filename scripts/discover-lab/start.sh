#!/usr/bin/env bash
# Start the discovery lab: NSD (authoritative DNS for the test zones) and nginx (Thunderbird autoconfig documents
# over HTTPS with a certificate from the mail lab's throw-away CA, and over plain HTTP) on 127.0.0.1 high ports,
# every file in one private folder, run as the current user. Usage: start.sh MAILLAB_DIR [DIR]
#
# MAILLAB_DIR is a running mail lab (scripts/mail-lab/start.sh): its CA signs nginx's certificate, and its ports
# are what the SRV records and autoconfig documents name (host localhost), so every discovered server answers.
# Prints the lab folder as its last stdout line and writes DIR/env (DISCOVERLAB_* lines). Stop with stop.sh DIR.
# Tunables: DISCOVERLAB_START_TIMEOUT (10 s), DISCOVERLAB_KEEP=1 (keep the folder when start fails).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "discover-lab start: $*" >&2; exit 1; }

[[ $# -ge 1 && -r $1/env ]] || die "usage: start.sh MAILLAB_DIR [DIR] (MAILLAB_DIR: a running mail lab, with its env)"
MAILLAB=$(cd "$1" && pwd -P)
for b in nsd nsd-checkconf nginx openssl; do
    command -v "$b" >/dev/null || die "$b not found: run $HERE/install-deps.sh"
done
[[ -r $MAILLAB/tls/ca.crt && -r $MAILLAB/tls/ca.key ]] || die "$MAILLAB/tls has no ca.crt and ca.key to sign with"
mailenv() { sed -n "s/^$1=//p" "$MAILLAB/env" | tr -d "'"; }
IMAPS=$(mailenv MAILLAB_IMAPS_PORT); IMAP=$(mailenv MAILLAB_IMAP_PORT); POP3S=$(mailenv MAILLAB_POP3S_PORT)
SMTPS=$(mailenv MAILLAB_SMTPS_PORT); SUBMISSION=$(mailenv MAILLAB_SUBMISSION_PORT)
for p in "$IMAPS" "$IMAP" "$POP3S" "$SMTPS" "$SUBMISSION"; do [[ $p =~ ^[0-9]+$ ]] || die "$MAILLAB/env lacks a port"; done
TIMEOUT=${DISCOVERLAB_START_TIMEOUT:-10}

created=0
if [[ $# -ge 2 && -n $2 ]]; then
    DIR=$2; [[ -d $DIR ]] || { mkdir -p "$DIR"; created=1; }
    DIR=$(cd "$DIR" && pwd -P)
    [[ -e $DIR/env ]] && die "$DIR already holds a lab (its env exists)"
else
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/discoverlab.XXXXXX"); DIR=$(cd "$DIR" && pwd -P); created=1
fi
chmod 0700 "$DIR"
mkdir -p "$DIR"/{tls,log,nsd,nginx/tmp,www/https,www/http}

fail() {
    echo "discover-lab start: $*" >&2
    for f in "$DIR"/log/*.log; do [[ -s $f ]] && { echo "---- tail of $f" >&2; tail -n 20 "$f" >&2; }; done
    DISCOVERLAB_QUIET=1 DISCOVERLAB_KEEP=1 "$HERE/stop.sh" "$DIR" >&2 || true
    if ((created)) && [[ ${DISCOVERLAB_KEEP:-0} != 1 ]]; then rm -rf "$DIR"; else echo "discover-lab start: folder kept: $DIR" >&2; fi
    exit 1
}
trap 'fail "failed at line $LINENO"' ERR
die() { trap - ERR; fail "$@"; }

# ---------------------------------------------------------------- ports
# Three ports at offsets 16..18 of a 20-port slot: the mail labs use offsets 0..13 of the same slots, so no
# lab started at the same moment can take them. TCP and UDP are both checked (DNS answers on both).
used_ports() {
    awk 'function hex(h,   i, n) { n = 0; for (i = 1; i <= length(h); i++)
             n = n * 16 + index("0123456789ABCDEF", toupper(substr(h, i, 1))) - 1; return n }
         FNR > 1 { split($2, a, ":"); print hex(a[2]) }' /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null
}
declare -A USED=()
while read -r p; do USED[$p]=1; done < <(used_ports)
BASE=
for _ in $(seq 300); do
    b=$((20000 + (RANDOM % 635) * 20 + 16))
    [[ -z ${USED[$b]:-}${USED[$((b + 1))]:-}${USED[$((b + 2))]:-} ]] && { BASE=$b; break; }
done
[[ -n $BASE ]] || die "no free ports found"
DNS_PORT=$BASE; HTTPS_PORT=$((BASE + 1)); HTTP_PORT=$((BASE + 2))

# ---------------------------------------------------------------- TLS (the mail lab's CA signs)
TLS=$DIR/tls
(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS/server.key" 2>/dev/null)
NAMES=(autoconfig.auto.test auto.test autoconfig.wk.test wk.test autoconfig.example.test example.test
       autoconfig.order.test order.test autoconfig.plain.test mta-sts.good.test mta-sts.bad.test mta-sts.soft.test
       autodiscover-s.outlook.com)
SAN=$(printf 'DNS:%s,' "${NAMES[@]}"); SAN=${SAN%,}
cat >"$TLS/server.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EXT
openssl req -new -key "$TLS/server.key" -subj "/O=mailsh discovery lab/CN=autoconfig.auto.test" -out "$TLS/server.csr" 2>/dev/null
openssl x509 -req -in "$TLS/server.csr" -CA "$MAILLAB/tls/ca.crt" -CAkey "$MAILLAB/tls/ca.key" \
    -CAserial "$TLS/ca.srl" -CAcreateserial -days 30 -sha256 -extfile "$TLS/server.ext" -out "$TLS/server.crt" 2>/dev/null
openssl verify -CAfile "$MAILLAB/tls/ca.crt" "$TLS/server.crt" >/dev/null || die "server certificate does not verify"

# ---------------------------------------------------------------- autoconfig documents
# config NAME SERVERS...: a Thunderbird clientConfig for domain NAME; each server is
# side:type:host:port:socketType (side in|out).
config() {
    local domain=$1 s side type host port sock
    shift
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n'
    printf '  <emailProvider id="%s">\n    <domain>%s</domain>\n    <displayName>%s lab</displayName>\n' "$domain" "$domain" "$domain"
    for s in "$@"; do
        IFS=: read -r side type host port sock <<<"$s"
        [[ $side == in ]] && printf '    <incomingServer type="%s">\n' "$type" || printf '    <outgoingServer type="%s">\n' "$type"
        printf '      <hostname>%s</hostname>\n      <port>%s</port>\n      <socketType>%s</socketType>\n' "$host" "$port" "$sock"
        printf '      <username>%%EMAILADDRESS%%</username>\n      <authentication>password-cleartext</authentication>\n'
        [[ $side == in ]] && printf '    </incomingServer>\n' || printf '    </outgoingServer>\n'
    done
    printf '  </emailProvider>\n</clientConfig>\n'
}
doc() { # scheme host path < xml
    mkdir -p "$DIR/www/$1/$2/$(dirname "$3")"; cat >"$DIR/www/$1/$2/$3"
}
AC=mail/config-v1.1.xml
WK=.well-known/autoconfig/mail/config-v1.1.xml
# auto.test: autoconfig.DOMAIN (IMAPS + a plaintext IMAP that must not be offered, SMTPS) and, different, the
# well-known one (POP3S): the first URL must win.
config auto.test in:imap:localhost:$IMAPS:SSL in:imap:localhost:$IMAP:plain out:smtp:localhost:$SMTPS:SSL |
    doc https autoconfig.auto.test "$AC"
config auto.test in:pop3:localhost:$POP3S:SSL out:smtp:localhost:$SUBMISSION:STARTTLS | doc https auto.test "$WK"
# wk.test: only the well-known URL answers (autoconfig.wk.test has no document: 404).
config wk.test in:pop3:localhost:$POP3S:SSL out:smtp:localhost:$SUBMISSION:STARTTLS | doc https wk.test "$WK"
# order.test: autoconfig and SRV (and an MX of Google) all answer: autoconfig comes first.
config order.test in:imap:localhost:$IMAPS:SSL out:smtp:localhost:$SMTPS:SSL | doc https autoconfig.order.test "$AC"
# plain.test: a document over plain HTTP offering plaintext only: refused.
config plain.test in:imap:localhost:$IMAP:plain out:smtp:localhost:25:plain | doc http autoconfig.plain.test "$AC"

# MTA-STS policy files (RFC 8461): good.test enforces, soft.test is testing, bad.test publishes the TXT record but no
# policy file (404).
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.good.test\r\nmax_age: 86400\r\n' | doc https mta-sts.good.test .well-known/mta-sts.txt
printf 'version: STSv1\nmode: testing\nmx: *.soft.test\nmax_age: 3600\n' | doc https mta-sts.soft.test .well-known/mta-sts.txt

# Microsoft's Autodiscover v2 (JSON), reached with --connect-to autodiscover-s.outlook.com:443:127.0.0.1:PORT: one
# answer per address and ?Protocol= (nginx picks FILE.imap or FILE.smtp). desk@m365.test gets the mail lab's servers;
# gone@m365.test an error answer; any other address a 404.
AD=autodiscover/autodiscover.json/v1.0
printf '{"Protocol":"imap","Url":"localhost:%s"}' "$IMAPS" | doc https autodiscover-s.outlook.com "$AD/desk@m365.test.imap"
printf '{"Protocol":"smtp","Url":"localhost:%s"}' "$SUBMISSION" | doc https autodiscover-s.outlook.com "$AD/desk@m365.test.smtp"
for p in imap smtp; do
    printf '{"ErrorCode":"MailboxNotFound","ErrorMessage":"The mailbox was not found"}' |
        doc https autodiscover-s.outlook.com "$AD/gone@m365.test.$p"
done

# ---------------------------------------------------------------- zones
zone() { # name, then records on stdin
    { printf '$ORIGIN %s.\n$TTL 60\n@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n@ NS ns.%s.\nns A 127.0.0.1\n' "$1" "$1" "$1" "$1"
      cat; } >"$DIR/nsd/$1.zone"
    ZONES+=("$1")
}
ZONES=()
zone example.test <<Z
@ MX 10 mx.example.test.
mx A 127.0.0.1
autoconfig A 127.0.0.1
@ TXT "v=spf1 ip4:127.0.0.1 ip6:::1 -all"
_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.test"
_imaps._tcp SRV 0 3 $IMAPS localhost.
_imaps._tcp SRV 0 1 993 imap-light.example.test.
_imaps._tcp SRV 10 1 993 imap-backup.example.test.
_imap._tcp SRV 0 1 $IMAP localhost.
_pop3s._tcp SRV 0 0 0 .
_submissions._tcp SRV 0 1 $SMTPS localhost.
_submission._tcp SRV 0 1 $SUBMISSION localhost.
Z
zone nodot.test <<Z
_imaps._tcp SRV 0 0 0 .
_imap._tcp SRV 0 0 0 .
_pop3s._tcp SRV 0 0 0 .
_pop3._tcp SRV 0 0 0 .
_submissions._tcp SRV 0 0 0 .
_submission._tcp SRV 0 0 0 .
Z
zone order.test <<Z
@ MX 1 aspmx.l.google.com.
_imaps._tcp SRV 0 1 $POP3S localhost.
_submissions._tcp SRV 0 1 $SMTPS localhost.
Z
zone srvmx.test <<Z
@ MX 1 aspmx.l.google.com.
_imaps._tcp SRV 0 1 $IMAPS localhost.
_submission._tcp SRV 0 1 $SUBMISSION localhost.
Z
zone m365.test <<Z
@ MX 0 m365-test.mail.protection.outlook.com.
@ TXT "v=spf1 include:spf.protection.outlook.com -all"
Z
# The posture zones of `account audit`. localhost: the address SPF's a:localhost finds, and TLSA records for the mail
# lab's ports: IMAPS's names the lab's server certificate (3 0 1: its SHA-256), SMTPS's a certificate it is not.
LABCERT_SHA256=$(openssl x509 -in "$MAILLAB/tls/server.crt" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
[[ $LABCERT_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "could not hash the mail lab's certificate"
zone localhost <<Z
@ A 127.0.0.1
_$IMAPS._tcp TLSA 3 0 1 $LABCERT_SHA256
_$SMTPS._tcp TLSA 3 0 1 $(printf '%064d' 0)
Z
# good.test: SPF passes the lab's 127.0.0.1 through mx (no match) then include: (a:localhost); DMARC reject; a DKIM
# key under selector lab; MTA-STS enforce.
zone good.test <<Z
@ MX 10 mx.good.test.
mx A 192.0.2.25
@ TXT "v=spf1 mx include:_spf.good.test -all"
_spf TXT "v=spf1 a:localhost -all"
_dmarc TXT "v=DMARC1; p=reject"
lab._domainkey TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
_mta-sts TXT "v=STSv1; id=20261205T000000"
Z
# bad.test: SPF fails 127.0.0.1 (-all); DMARC p=none; a revoked DKIM key (p=); _mta-sts without a policy file.
zone bad.test <<Z
@ TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc TXT "v=DMARC1; p=none"
old._domainkey TXT "v=DKIM1; p="
_mta-sts TXT "v=STSv1; id=1"
Z
# soft.test: SPF softfail (~all), MTA-STS testing, no DMARC.
zone soft.test <<Z
@ TXT "v=spf1 ip4:192.0.2.1 ~all"
_mta-sts TXT "v=STSv1; id=2"
Z
# loop.test: SPF that includes itself: over the limit of 10 lookups (permerror).
zone loop.test <<Z
@ TXT "v=spf1 include:loop.test -all"
Z
zone gws.test <<Z
@ MX 1 aspmx.l.google.com.
@ MX 5 alt1.aspmx.l.google.com.
Z
for z in "${ZONES[@]}"; do nsd-checkzone "$z" "$DIR/nsd/$z.zone" >/dev/null || die "zone $z does not check"; done

cat >"$DIR/nsd/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$DNS_PORT
    port: $DNS_PORT
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$DIR/nsd"
    database: ""
    zonelistfile: "$DIR/nsd/zone.list"
    xfrdfile: "$DIR/nsd/xfrd.state"
    xfrdir: "$DIR/nsd"
    pidfile: "$DIR/nsd/nsd.pid"
    logfile: "$DIR/log/nsd.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
    reuseport: no
remote-control:
    control-enable: no
$(for z in "${ZONES[@]}"; do printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n' "$z" "$z"; done)
CONF
nsd-checkconf "$DIR/nsd/nsd.conf" || die "nsd.conf does not check"

cat >"$DIR/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $DIR/nginx/nginx.pid;
error_log $DIR/log/nginx-error.log info;
events { worker_connections 64; }
http {
    access_log $DIR/log/nginx-access.log;
    client_body_temp_path $DIR/nginx/tmp/body;
    proxy_temp_path $DIR/nginx/tmp/proxy;
    fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
    scgi_temp_path $DIR/nginx/tmp/scgi;
    types { application/xml xml; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$HTTPS_PORT ssl default_server;
        server_name _;
        ssl_certificate $TLS/server.crt;
        ssl_certificate_key $TLS/server.key;
        root $DIR/www/https/\$host;
        location / { try_files \$uri =404; }
        location /autodiscover/ { default_type application/json; try_files \$uri.\$arg_protocol =404; }
    }
    server {
        listen 127.0.0.1:$HTTP_PORT default_server;
        server_name _;
        root $DIR/www/http/\$host;
        location / { try_files \$uri =404; }
    }
}
CONF
nginx -t -q -e "$DIR/log/nginx-error.log" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" 2>>"$DIR/log/nginx-error.log" ||
    die "nginx.conf does not check"

# ---------------------------------------------------------------- start and wait
# Each in its own session, in the lab folder (stop.sh finds them by cwd and binary), no fd of ours kept.
(cd "$DIR" && exec setsid nsd -d -c "$DIR/nsd/nsd.conf" </dev/null >>"$DIR/log/nsd.start.log" 2>&1) &
echo $! >"$DIR/nsd/daemon.pid"
(cd "$DIR" && exec setsid nginx -e "$DIR/log/nginx-error.log" -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" \
    </dev/null >>"$DIR/log/nginx.start.log" 2>&1) &
echo $! >"$DIR/nginx/daemon.pid"

listening() { # port proto(tcp|udp) -> 0 when something is bound/listening there on 127.0.0.1
    local hex; hex=$(printf '0100007F:%04X' "$1")
    if [[ $2 == tcp ]]; then awk -v a="$hex" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
    else awk -v a="$hex" '$2 == a { f = 1 } END { exit !f }' /proc/net/udp; fi
}
deadline=$((SECONDS + TIMEOUT))
until grep -qs 'nsd started' "$DIR/log/nsd.log" && listening "$DNS_PORT" udp && listening "$DNS_PORT" tcp &&
      listening "$HTTPS_PORT" tcp && listening "$HTTP_PORT" tcp; do
    ((SECONDS < deadline)) || die "not ready within ${TIMEOUT}s (nsd log line, DNS $DNS_PORT, HTTPS $HTTPS_PORT, HTTP $HTTP_PORT)"
    kill -0 "$(cat "$DIR/nsd/daemon.pid")" 2>/dev/null || die "nsd exited"
    kill -0 "$(cat "$DIR/nginx/daemon.pid")" 2>/dev/null || die "nginx exited"
    sleep 0.05
done
trap - ERR

{
    printf 'DISCOVERLAB_DIR=%s\n' "$DIR"
    printf 'DISCOVERLAB_MAILLAB_DIR=%s\n' "$MAILLAB"
    printf 'DISCOVERLAB_DNS_SERVER=127.0.0.1:%s\n' "$DNS_PORT"
    printf 'DISCOVERLAB_DNS_PORT=%s\n' "$DNS_PORT"
    printf 'DISCOVERLAB_HTTPS_PORT=%s\n' "$HTTPS_PORT"
    printf 'DISCOVERLAB_HTTP_PORT=%s\n' "$HTTP_PORT"
    printf 'DISCOVERLAB_CA=%s\n' "$MAILLAB/tls/ca.crt"
    printf "DISCOVERLAB_ZONES='%s'\n" "${ZONES[*]}"
    printf "DISCOVERLAB_HTTPS_NAMES='%s'\n" "${NAMES[*]}"
    printf "DISCOVERLAB_PORTS='%s'\n" "$DNS_PORT $HTTPS_PORT $HTTP_PORT"
} >"$DIR/env"
echo "discover-lab: started; DNS 127.0.0.1:$DNS_PORT HTTPS $HTTPS_PORT HTTP $HTTP_PORT; env: $DIR/env" >&2
echo "$DIR"
