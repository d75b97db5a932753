#!/usr/bin/env bash
# Start a throw-away mail lab: real Dovecot (IMAP, POP3, LMTP) and Postfix (submission)
# on 127.0.0.1 high ports, every file in one folder. Usage: start.sh [DIR]
#
# Prints the lab folder as its last stdout line and writes DIR/env (KEY=value lines,
# shell-sourceable). Stop it with stop.sh DIR. See README.md beside this file.
#
# Tunables (environment): MAILLAB_BASE_PORT, MAILLAB_USER_COUNT (5), MAILLAB_DOMAIN
# (mailsh.test), MAILLAB_MAIL_UID (5000), MAILLAB_START_TIMEOUT (20 s),
# MAILLAB_AUTH_FAILURE_DELAY (Dovecot's "2 secs"), MAILLAB_KEY_TYPE (rsa|ec), MAILLAB_KEEP=1
# (keep the folder when start fails), MAILLAB_IMAP_NO_IDLE=1 (the main Dovecot's IMAP CAPABILITY
# leaves IDLE out: a server without IDLE). Restart the main Dovecot under its clients with
# restart-dovecot.sh DIR.
# MAILLAB_OAUTH=1 also starts the OAuth 2.0 authorization server (scripts/oauth-lab/server.py),
# lets Dovecot take XOAUTH2 and OAUTHBEARER tokens it validates against that server, and adds an
# XOAUTH2-only Dovecot (IMAPS, POP3S) and submission port that play Exchange Online. Its tunables:
# MAILLAB_OAUTH_ACCESS_TOKEN_LIFETIME (3600 s), MAILLAB_OAUTH_DEVICE_INTERVAL (1 s),
# MAILLAB_OAUTH_APP_USER (desk@DOMAIN: the mailbox of client-credentials tokens).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
T0=$(date +%s.%N)

die() { echo "mail-lab start: $*" >&2; exit 1; }
note() { [[ -n ${MAILLAB_VERBOSE:-} ]] && echo "mail-lab start: +$(elapsed) s: $*" >&2 || true; }
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

[[ $(id -u) -eq 0 ]] || die "must run as root (Dovecot and Postfix drop privileges themselves)"
for b in dovecot postfix openssl; do
    command -v "$b" >/dev/null || die "$b not found: run $HERE/install-deps.sh"
done
[[ -x /usr/lib/postfix/sbin/master ]] || die "postfix master not found: run $HERE/install-deps.sh"
[[ -x /usr/lib/dovecot/lmtp ]] || die "dovecot lmtp not found: run $HERE/install-deps.sh"
OAUTH=${MAILLAB_OAUTH:-0}
[[ $OAUTH == 0 || $OAUTH == 1 ]] || die "MAILLAB_OAUTH must be 0 or 1"
# Debian's python3 with Debian's authlib and Flask (not whatever python3 comes first on PATH).
PYTHON=/usr/bin/python3
OAUTH_SERVER=$(cd "$HERE/../oauth-lab" && pwd)/server.py
if ((OAUTH)); then
    [[ -x $PYTHON ]] && "$PYTHON" -c 'import authlib, flask' 2>/dev/null ||
        die "MAILLAB_OAUTH=1 needs $PYTHON with authlib and flask: run $HERE/install-deps.sh"
    command -v curl >/dev/null || die "curl not found: run $HERE/install-deps.sh"
    OAUTH_LIFETIME=${MAILLAB_OAUTH_ACCESS_TOKEN_LIFETIME:-3600}
    OAUTH_INTERVAL=${MAILLAB_OAUTH_DEVICE_INTERVAL:-1}
    [[ $OAUTH_LIFETIME =~ ^[1-9][0-9]*$ ]] || die "MAILLAB_OAUTH_ACCESS_TOKEN_LIFETIME must be a number of seconds"
    [[ $OAUTH_INTERVAL =~ ^[1-9][0-9]*$ ]] || die "MAILLAB_OAUTH_DEVICE_INTERVAL must be a number of seconds"
fi

DOMAIN=${MAILLAB_DOMAIN:-mailsh.test}
USER_COUNT=${MAILLAB_USER_COUNT:-5}
MAIL_UID=${MAILLAB_MAIL_UID:-5000}
START_TIMEOUT=${MAILLAB_START_TIMEOUT:-20}
KEY_TYPE=${MAILLAB_KEY_TYPE:-rsa}
[[ $KEY_TYPE == rsa || $KEY_TYPE == ec ]] || die "MAILLAB_KEY_TYPE must be rsa or ec"
[[ $USER_COUNT =~ ^[0-9]+$ ]] || die "MAILLAB_USER_COUNT must be a number"
[[ $DOMAIN =~ ^[A-Za-z0-9.-]+$ ]] || die "MAILLAB_DOMAIN: bad domain '$DOMAIN'"
[[ $MAIL_UID =~ ^[0-9]+$ && $MAIL_UID -gt 0 ]] || die "MAILLAB_MAIL_UID must be a positive number"

# ---------------------------------------------------------------- folder
lab_folder maillab "${1:-}"
ID=${INSTANCE#maillab-}

mkdir -p "$DIR"/{tls,log,mail} "$DIR"/dovecot/{main,untrusted,notls,clientcert}/{run,state} \
         "$DIR"/postfix/{conf,spool,data}
DOVECOT_KINDS=(main untrusted notls clientcert)
if ((OAUTH)); then
    mkdir -p "$DIR"/dovecot/xoauth2/{run,state} "$DIR/oauth"
    chmod 0700 "$DIR/oauth"
    DOVECOT_KINDS+=(xoauth2)
fi

fail() { start_failed "mail-lab start" "$@"; }
trap 'fail "failed at line $LINENO"' ERR
# From here on, giving up also cleans up what was made.
die() { trap - ERR; fail "$@"; }

# ---------------------------------------------------------------- ports
# Offsets from the base port. Must stay in step with stop.sh (it reads them from env).
PORT_NAMES=(IMAP IMAPS POP3 POP3S SUBMISSION SMTPS SMTP_PLAIN IMAPS_UNTRUSTED SMTPS_UNTRUSTED IMAP_NOTLS)
# Mutual TLS: a client certificate from the lab's CA is required (Dovecot: IMAP STARTTLS, IMAPS, POP3S;
# Postfix: submission with STARTTLS, smtps).
PORT_NAMES+=(IMAP_CLIENTCERT IMAPS_CLIENTCERT POP3S_CLIENTCERT SUBMISSION_CLIENTCERT SMTPS_CLIENTCERT)
# With OAuth: the authorization server (HTTPS) and the XOAUTH2-only ("Exchange Online") listeners.
((OAUTH)) && PORT_NAMES+=(OAUTH OAUTH_XOAUTH2_ONLY_IMAPS OAUTH_XOAUTH2_ONLY_POP3S OAUTH_XOAUTH2_ONLY_SUBMISSION)
NPORTS=${#PORT_NAMES[@]}
# Ranges start on multiples of PORT_STEP, wide enough for a lab with OAuth: two labs never overlap.
PORT_STEP=20

declare -A USED=() TRIED=() PORT=()
FIXED_BASE=0
[[ -n ${MAILLAB_BASE_PORT:-} ]] && FIXED_BASE=1
# ---------------------------------------------------------------- users
PASSWORD=$(openssl rand -hex 12)
USERS=()
for ((i = 1; i <= USER_COUNT; i++)); do USERS+=("user$i@$DOMAIN"); done
DESK="desk@$DOMAIN"
USERS+=("$DESK")

printf '%s\n' "${USERS[@]}" |
    awk -v pw="$PASSWORD" '{ print $0 ":{PLAIN}" pw "::::::" }' >"$DIR/dovecot/users"
printf '%s\n' "${USERS[@]}" | awk '{ print $0 " OK" }' >"$DIR/postfix/conf/vmailbox"
printf 'gone.%s lmtp:unix:%s\n' "$DOMAIN" "$DIR/dovecot/main/run/lmtp" >"$DIR/postfix/conf/transport"
chmod 0640 "$DIR/dovecot/users"
chgrp dovecot "$DIR/dovecot/users" 2>/dev/null || chmod 0644 "$DIR/dovecot/users"

chown "$MAIL_UID:$MAIL_UID" "$DIR/mail"

if ((OAUTH)); then
    OAUTH_APP_USER=$(printf '%s' "${MAILLAB_OAUTH_APP_USER:-$DESK}" | tr 'A-Z' 'a-z')
    printf '%s\n' "${USERS[@]}" | grep -qxF "$OAUTH_APP_USER" || die "MAILLAB_OAUTH_APP_USER: $OAUTH_APP_USER is not a lab user"
    OAUTH_PUBLIC_ID=mailsh-lab-public
    OAUTH_CONFIDENTIAL_ID=mailsh-lab-confidential
    OAUTH_CONFIDENTIAL_SECRET=$(openssl rand -hex 20)
    OAUTH_INTROSPECTION_ID=dovecot-introspection
    OAUTH_INTROSPECTION_SECRET=$(openssl rand -hex 20)
    OAUTH_ADMIN_TOKEN=$(openssl rand -hex 20)
fi
chmod 0750 "$DIR/mail"

# ---------------------------------------------------------------- TLS
note "folder, ports and users ready"
TLS=$DIR/tls
# The server key is RSA 2048 by default (what most mail servers present; MAILLAB_KEY_TYPE=ec for
# ECDSA P-256). The CA and the untrusted certificate use P-256: instant to make.
(umask 077
 genkey "$TLS/ca.key" ec & genkey "$TLS/server.key" "$KEY_TYPE" & genkey "$TLS/untrusted.key" ec &
 genkey "$TLS/client.key" ec & genkey "$TLS/otherca.key" ec & genkey "$TLS/otherclient.key" ec &
 openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$TLS/dh.pem" 2>/dev/null &
 wait)
for f in ca.key server.key untrusted.key dh.pem client.key otherca.key otherclient.key; do [[ -s $TLS/$f ]] || fail "could not create $TLS/$f"; done

SAN="DNS:localhost,IP:127.0.0.1,IP:::1"
cat >"$TLS/ca.ext" <<EOF
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
KU="digitalSignature, keyEncipherment"
[[ $KEY_TYPE == ec ]] && KU="digitalSignature"
cat >"$TLS/server.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, $KU
extendedKeyUsage = serverAuth
subjectAltName = $SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
cat >"$TLS/untrusted.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $SAN
subjectKeyIdentifier = hash
EOF

openssl req -new -x509 -key "$TLS/ca.key" -subj "/O=mailsh mail lab/CN=mailsh mail lab CA $ID" \
    -days 30 -sha256 -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat "$TLS/ca.ext") \
    -out "$TLS/ca.crt" 2>/dev/null
openssl req -new -key "$TLS/server.key" -subj "/O=mailsh mail lab/CN=localhost" -out "$TLS/server.csr" 2>/dev/null
openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days 30 -sha256 -extfile "$TLS/server.ext" -out "$TLS/server.crt" 2>/dev/null
openssl req -new -x509 -key "$TLS/untrusted.key" -subj "/O=untrusted mail lab/CN=localhost" \
    -days 30 -sha256 -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat "$TLS/untrusted.ext") \
    -out "$TLS/untrusted.crt" 2>/dev/null
openssl verify -CAfile "$TLS/ca.crt" "$TLS/server.crt" >/dev/null || fail "server certificate does not verify"
# A certificate from the lab's CA that expires in 3 days, for the SNI name near.localhost of the main Dovecot
# (`account audit`'s expiry check; reach it with --resolve near.localhost=127.0.0.1).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TLS/near.key" 2>/dev/null
sed 's/^subjectAltName = .*/subjectAltName = DNS:near.localhost/' "$TLS/server.ext" >"$TLS/near.ext"
openssl req -new -key "$TLS/near.key" -subj "/O=mailsh mail lab/CN=near.localhost" -out "$TLS/near.csr" 2>/dev/null
openssl x509 -req -in "$TLS/near.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days 3 -sha256 -extfile "$TLS/near.ext" -out "$TLS/near.crt" 2>/dev/null
openssl verify -CAfile "$TLS/ca.crt" "$TLS/near.crt" >/dev/null || fail "the near-expiry certificate does not verify"
# Client certificates for the mutual-TLS ports: one from the lab's CA, one from another throw-away CA.
client_ext "$TLS/client.ext"
openssl req -new -x509 -key "$TLS/otherca.key" -subj "/O=another CA/CN=not the mail lab CA $ID" \
    -days 30 -sha256 -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat "$TLS/ca.ext") \
    -out "$TLS/otherca.crt" 2>/dev/null
for c in client:ca otherclient:otherca; do
    openssl req -new -key "$TLS/${c%%:*}.key" -subj "/O=mailsh mail lab/CN=user1@$DOMAIN" -out "$TLS/${c%%:*}.csr" 2>/dev/null
    openssl x509 -req -in "$TLS/${c%%:*}.csr" -CA "$TLS/${c#*:}.crt" -CAkey "$TLS/${c#*:}.key" -CAcreateserial \
        -days 30 -sha256 -extfile "$TLS/client.ext" -out "$TLS/${c%%:*}.crt" 2>/dev/null
done
openssl verify -CAfile "$TLS/ca.crt" "$TLS/client.crt" >/dev/null || fail "client certificate does not verify"
chmod 0644 "$TLS"/*.crt "$TLS/dh.pem"

note "TLS ready"
# ---------------------------------------------------------------- Dovecot
PC=$DIR/postfix/conf
# Three instances, because Dovecot 2.3 cannot vary TLS per listener on one address:
#   main      imap (STARTTLS), imaps, pop3 (STARTTLS), pop3s, lmtp, auth for Postfix
#   untrusted imaps with the self-signed certificate
#   notls     imap with ssl = no (no STARTTLS offered)
#   clientcert imap (STARTTLS), imaps, pop3s requiring a client certificate from the lab's CA
AUTH_FAILURE_DELAY=${MAILLAB_AUTH_FAILURE_DELAY:-2 secs}
NO_IDLE=${MAILLAB_IMAP_NO_IDLE:-0}
[[ $NO_IDLE == 0 || $NO_IDLE == 1 ]] || die "MAILLAB_IMAP_NO_IDLE must be 0 or 1"

auth_conf() { # kind -> mechanisms and passdbs
    local mechs='plain login' pw_mechs='' oauth_mechs=''
    if ((OAUTH)) && [[ $1 == main ]]; then
        mechs='plain login xoauth2 oauthbearer'; pw_mechs='plain login'; oauth_mechs='xoauth2 oauthbearer'
    elif [[ $1 == xoauth2 ]]; then
        # Exchange Online offers AUTH=PLAIN AUTH=XOAUTH2 only
        mechs='plain xoauth2'; pw_mechs='plain'; oauth_mechs='xoauth2'
    fi
    printf 'auth_mechanisms = %s\npassdb {\n  driver = passwd-file\n  args = %s\n' "$mechs" "$DIR/dovecot/users"
    [[ -n $pw_mechs ]] && printf '  mechanisms = %s\n' "$pw_mechs"
    printf '}\n'
    if [[ -n $oauth_mechs ]]; then
        # tokens: introspected at the lab's authorization server (scripts/oauth-lab/server.py)
        printf 'passdb {\n  driver = oauth2\n  mechanisms = %s\n  args = %s\n}\n' "$oauth_mechs" "$DIR/dovecot/oauth2.conf.ext"
    fi
}

tls_conf() { # cert key -> Dovecot's TLS settings
    printf 'ssl = yes\nssl_cert = <%s\nssl_key = <%s\nssl_dh = <%s\nssl_min_protocol = TLSv1.2\n\n' "$1" "$2" "$TLS/dh.pem"
}
login_service() { # service plain-port tls-port min-avail -> its login service (listeners SERVICE, SERVICEs;
    # port 0: that listener is off) and the service itself
    cat <<EOF
service $1-login {
  inet_listener $1 {
    address = 127.0.0.1
    port = $2
  }
  inet_listener ${1}s {
    address = 127.0.0.1
    port = $3
    ssl = yes
  }
  service_count = 0
  process_min_avail = $4
  process_limit = 1000
  client_limit = 4000
}
service $1 {
  process_limit = 2000
}
EOF
}
tls_only_login() { # service port -> a login service with only its TLS listener
    login_service "$1" 0 "$2" 1
}
postfix_auth_listener() { # the auth socket Postfix's SASL uses
    printf 'service auth {\n  unix_listener auth-postfix {\n    user = postfix\n    group = postfix\n    mode = 0660\n  }\n}\n'
}

dovecot_conf() { # kind -> config on stdout
    local kind=$1 base="$DIR/dovecot/$1" name=$INSTANCE
    [[ $kind != main ]] && name="$INSTANCE-$kind"
    cat <<EOF
# mail lab ($kind instance), generated by scripts/mail-lab/start.sh
instance_name = $name
base_dir = $base/run
state_dir = $base/state
log_path = $DIR/log/dovecot-$kind.log
info_log_path = $DIR/log/dovecot-$kind.log
debug_log_path = $DIR/log/dovecot-$kind.log
listen = 127.0.0.1
shutdown_clients = yes
# Where inotify runs out (fs.inotify.max_user_instances, 128 by default: one per IMAP process), Dovecot checks an
# idling mailbox every this often instead of every 30 s (the monitor benchmark idles on 200 mailboxes).
mailbox_idle_check_interval = 1 secs
default_internal_user = dovecot
default_login_user = dovenull

mail_uid = $MAIL_UID
mail_gid = $MAIL_UID
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_UID
last_valid_gid = $MAIL_UID
mail_home = $DIR/mail/%u
mail_location = maildir:~/Maildir
mail_max_userip_connections = 2000
postmaster_address = postmaster@$DOMAIN
hostname = mail.$DOMAIN

disable_plaintext_auth = no
auth_failure_delay = $AUTH_FAILURE_DELAY
# no cache: a revoked or expired token must be refused at once
auth_cache_size = 0
$(auth_conf "$kind")
userdb {
  driver = passwd-file
  args = $DIR/dovecot/users
  default_fields = uid=$MAIL_UID gid=$MAIL_UID home=$DIR/mail/%u
}

default_process_limit = 1000
default_client_limit = 4000
default_vsz_limit = 512M

service anvil {
  client_limit = 10000
  # no auth penalty: one failed login must not slow down later ones from 127.0.0.1
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  client_limit = 8000
}
EOF
    case $kind in
        main)
            cat <<EOF
protocols = imap pop3 lmtp
ssl = yes
ssl_cert = <$TLS/server.crt
ssl_key = <$TLS/server.key
ssl_dh = <$TLS/dh.pem
ssl_min_protocol = TLSv1.2
local_name near.localhost {
  ssl_cert = <$TLS/near.crt
  ssl_key = <$TLS/near.key
}

$(login_service imap "${PORT[IMAP]}" "${PORT[IMAPS]}" 2)
$(login_service pop3 "${PORT[POP3]}" "${PORT[POP3S]}" 2)
service lmtp {
  unix_listener lmtp {
    user = postfix
    group = postfix
    mode = 0600
  }
  process_limit = 200
}
$(postfix_auth_listener)
protocol lmtp {
  auth_username_format = %Lu
}
EOF
            # Dovecot 2.3's capabilities after the login, without IDLE.
            if ((NO_IDLE)); then
                printf 'protocol imap {\n  imap_capability = %s\n}\n' \
                    'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ NAMESPACE UNSELECT CHILDREN UIDPLUS MOVE'
            fi
            ;;
        untrusted)
            echo 'protocols = imap'
            tls_conf "$TLS/untrusted.crt" "$TLS/untrusted.key"
            tls_only_login imap "${PORT[IMAPS_UNTRUSTED]}"
            ;;
        xoauth2)
            echo 'protocols = imap pop3'
            tls_conf "$TLS/server.crt" "$TLS/server.key"
            tls_only_login imap "${PORT[OAUTH_XOAUTH2_ONLY_IMAPS]}"
            tls_only_login pop3 "${PORT[OAUTH_XOAUTH2_ONLY_POP3S]}"
            postfix_auth_listener
            ;;
        clientcert)
            echo 'protocols = imap pop3'
            tls_conf "$TLS/server.crt" "$TLS/server.key"
            printf 'ssl_ca = <%s\nssl_require_crl = no\nssl_verify_client_cert = yes\nauth_ssl_require_client_cert = yes\n' "$TLS/ca.crt"
            tls_only_login pop3 "${PORT[POP3S_CLIENTCERT]}"
            login_service imap "${PORT[IMAP_CLIENTCERT]}" "${PORT[IMAPS_CLIENTCERT]}" 1
            ;;
        notls)
            cat <<EOF
protocols = imap
ssl = no

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${PORT[IMAP_NOTLS]}
  }
  inet_listener imaps {
    port = 0
  }
  service_count = 0
  process_min_avail = 1
  process_limit = 1000
  client_limit = 4000
}
service imap {
  process_limit = 2000
}
EOF
            ;;
    esac
}

oauth_configs() { # the authorization server's config and Dovecot's oauth2 passdb file (secrets: 0600/0640)
    OAUTH_ISSUER="https://127.0.0.1:${PORT[OAUTH]}"
    (umask 077
     cat >"$DIR/dovecot/oauth2.conf.ext" <<EOF
# Dovecot oauth2 passdb: every token is introspected (RFC 7662) at the lab's authorization server
introspection_mode = post
introspection_url = $OAUTH_ISSUER/introspect
client_id = $OAUTH_INTROSPECTION_ID
client_secret = $OAUTH_INTROSPECTION_SECRET
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
scope = mail
tls_ca_cert_file = $TLS/ca.crt
openid_configuration_url = $OAUTH_ISSUER/.well-known/openid-configuration
timeout_msecs = 10000
EOF
     "$PYTHON" -c 'import json, sys; a = sys.argv[1:]; json.dump({
         "issuer": a[0], "host": "127.0.0.1", "port": int(a[1]), "cert": a[2], "key": a[3],
         "users": a[4].split(), "password": a[5], "admin_token": a[6], "app_user": a[7],
         "public_client_id": a[8], "confidential_client_id": a[9], "confidential_client_secret": a[10],
         "introspection_client_id": a[11], "introspection_client_secret": a[12],
         "access_token_lifetime": int(a[13]), "device_interval": int(a[14]), "pid_file": a[15]},
         open(a[16], "w"), indent=1)' \
         "$OAUTH_ISSUER" "${PORT[OAUTH]}" "$TLS/server.crt" "$TLS/server.key" "${USERS[*]}" "$PASSWORD" \
         "$OAUTH_ADMIN_TOKEN" "$OAUTH_APP_USER" "$OAUTH_PUBLIC_ID" "$OAUTH_CONFIDENTIAL_ID" \
         "$OAUTH_CONFIDENTIAL_SECRET" "$OAUTH_INTROSPECTION_ID" "$OAUTH_INTROSPECTION_SECRET" \
         "$OAUTH_LIFETIME" "$OAUTH_INTERVAL" "$DIR/oauth/server.pid" "$DIR/oauth/config.json")
    chgrp dovecot "$DIR/dovecot/oauth2.conf.ext" 2>/dev/null && chmod 0640 "$DIR/dovecot/oauth2.conf.ext"
}

write_configs() { # (body not indented: it is mostly heredocs)
for kind in "${DOVECOT_KINDS[@]}"; do
    dovecot_conf "$kind" >"$DIR/dovecot/$kind/dovecot.conf"
done
((OAUTH)) && oauth_configs

# ---------------------------------------------------------------- Postfix
cat >"$PC/main.cf" <<EOF
# mail lab, generated by scripts/mail-lab/start.sh
compatibility_level = 3.6
queue_directory = $DIR/postfix/spool
data_directory = $DIR/postfix/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
syslog_name = $INSTANCE
maillog_file = $DIR/log/postfix.log
maillog_file_prefixes = $DIR/log
multi_instance_enable = no

myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = \$mydomain
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
biff = no
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
default_process_limit = 500
smtputf8_enable = no

# nothing local, nothing leaves
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
local_transport = error:local delivery is disabled in the mail lab
default_transport = error:outbound mail is disabled in the mail lab
relay_transport = error:outbound mail is disabled in the mail lab

# the lab domain goes to Dovecot over LMTP
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$PC/vmailbox
virtual_transport = lmtp:unix:$DIR/dovecot/main/run/lmtp
lmtp_destination_recipient_limit = 100

# gone.DOMAIN: accepted from any sender that may relay, handed to Dovecot's LMTP, which knows none of its users:
# Postfix itself bounces the mail to its sender (real bounces for tests of bounce handling)
relay_domains = gone.$DOMAIN
transport_maps = texthash:$PC/transport

smtpd_banner = \$myhostname ESMTP mailsh mail lab
smtpd_tls_cert_file = $TLS/server.crt
smtpd_tls_key_file = $TLS/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 0
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DIR/dovecot/main/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = reject_unauth_destination
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
smtpd_client_new_tls_session_rate_limit = 0
smtpd_client_auth_rate_limit = 0
anvil_rate_time_unit = 60s
message_size_limit = 52428800
EOF

# Mutual TLS: ask for a client certificate and require one that the lab's CA issued.
CCERT_OPTS="-o smtpd_tls_ask_ccert=yes -o smtpd_tls_req_ccert=yes -o smtpd_tls_CAfile=$TLS/ca.crt"
SUB_OPTS="-o smtpd_sasl_auth_enable=yes -o smtpd_client_restrictions=permit_sasl_authenticated,reject -o smtpd_relay_restrictions=permit_sasl_authenticated,reject"
cat >"$PC/master.cf" <<EOF
# mail lab, generated by scripts/mail-lab/start.sh (no chroot anywhere)
# service          type  private unpriv chroot wakeup maxproc command
127.0.0.1:${PORT[SUBMISSION]} inet n - n - 500 smtpd -o syslog_name=$INSTANCE/submission -o smtpd_tls_security_level=encrypt $SUB_OPTS
127.0.0.1:${PORT[SMTPS]} inet n - n - 500 smtpd -o syslog_name=$INSTANCE/smtps -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt $SUB_OPTS
127.0.0.1:${PORT[SMTP_PLAIN]} inet n - n - 500 smtpd -o syslog_name=$INSTANCE/plain -o smtpd_tls_security_level=none -o smtpd_sasl_auth_enable=no
127.0.0.1:${PORT[SMTPS_UNTRUSTED]} inet n - n - 500 smtpd -o syslog_name=$INSTANCE/untrusted -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt -o smtpd_tls_cert_file=$TLS/untrusted.crt -o smtpd_tls_key_file=$TLS/untrusted.key $SUB_OPTS
127.0.0.1:${PORT[SUBMISSION_CLIENTCERT]} inet n - n - 500 smtpd -o syslog_name=$INSTANCE/submission-clientcert -o smtpd_tls_security_level=encrypt $CCERT_OPTS $SUB_OPTS
127.0.0.1:${PORT[SMTPS_CLIENTCERT]} inet n - n - 500 smtpd -o syslog_name=$INSTANCE/smtps-clientcert -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt $CCERT_OPTS $SUB_OPTS
$(((OAUTH)) && echo "127.0.0.1:${PORT[OAUTH_XOAUTH2_ONLY_SUBMISSION]} inet n - n - 500 smtpd -o syslog_name=$INSTANCE/xoauth2-only -o smtpd_tls_security_level=encrypt $SUB_OPTS -o smtpd_sasl_path=$DIR/dovecot/xoauth2/run/auth-postfix")
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
chown postfix "$DIR/postfix/data"
# Postfix ignores main.cf and maps changed less than a second ago (it waits for them to settle).
touch -d '1 minute ago' "$PC"/* "$DIR/dovecot/users"

# ---------------------------------------------------------------- env (before starting: stop.sh needs it)
{
    echo "# mail lab environment, generated by scripts/mail-lab/start.sh; source it with: set -a; . $DIR/env; set +a"
    envq MAILLAB_DIR "$DIR"
    envq MAILLAB_INSTANCE "$INSTANCE"
    envq MAILLAB_HOST 127.0.0.1
    envq MAILLAB_DOMAIN "$DOMAIN"
    envq MAILLAB_BOUNCE_DOMAIN "gone.$DOMAIN"
    envq MAILLAB_CA "$TLS/ca.crt"
    envq MAILLAB_SERVER_CERT "$TLS/server.crt"
    envq MAILLAB_UNTRUSTED_CERT "$TLS/untrusted.crt"
    envq MAILLAB_CLIENT_CERT "$TLS/client.crt"
    envq MAILLAB_CLIENT_KEY "$TLS/client.key"
    envq MAILLAB_OTHER_CLIENT_CERT "$TLS/otherclient.crt"
    envq MAILLAB_OTHER_CLIENT_KEY "$TLS/otherclient.key"
    for n in "${PORT_NAMES[@]}"; do envq "MAILLAB_${n}_PORT" "${PORT[$n]}"; done
    envq MAILLAB_PORTS "$(for n in "${PORT_NAMES[@]}"; do printf '%s ' "${PORT[$n]}"; done | sed 's/ $//')"
    envq MAILLAB_USER_COUNT "$USER_COUNT"
    envq MAILLAB_USERS "${USERS[*]}"
    envq MAILLAB_DESK_USER "$DESK"
    envq MAILLAB_PASSWORD "$PASSWORD"
    envq MAILLAB_MAILDIR_ROOT "$DIR/mail"
    envq MAILLAB_LMTP_SOCKET "$DIR/dovecot/main/run/lmtp"
    envq MAILLAB_LOG_DIR "$DIR/log"
    envq MAILLAB_OAUTH "$OAUTH"
    if ((OAUTH)); then
        envq MAILLAB_OAUTH_ISSUER "$OAUTH_ISSUER"
        envq MAILLAB_OAUTH_METADATA_URL "$OAUTH_ISSUER/.well-known/oauth-authorization-server"
        envq MAILLAB_OAUTH_TOKEN_URL "$OAUTH_ISSUER/token"
        envq MAILLAB_OAUTH_DEVICE_URL "$OAUTH_ISSUER/device_authorization"
        envq MAILLAB_OAUTH_AUTHORIZE_URL "$OAUTH_ISSUER/authorize"
        envq MAILLAB_OAUTH_REVOKE_URL "$OAUTH_ISSUER/revoke"
        envq MAILLAB_OAUTH_INTROSPECT_URL "$OAUTH_ISSUER/introspect"
        envq MAILLAB_OAUTH_VERIFICATION_URL "$OAUTH_ISSUER/device"
        envq MAILLAB_OAUTH_MICROSOFT_AUTHORITY "$OAUTH_ISSUER"
        envq MAILLAB_OAUTH_GOOGLE_AUTHORITY "$OAUTH_ISSUER"
        envq MAILLAB_OAUTH_SCOPE mail
        envq MAILLAB_OAUTH_PUBLIC_CLIENT_ID "$OAUTH_PUBLIC_ID"
        envq MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID "$OAUTH_CONFIDENTIAL_ID"
        envq MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET "$OAUTH_CONFIDENTIAL_SECRET"
        envq MAILLAB_OAUTH_APP_USER "$OAUTH_APP_USER"
        envq MAILLAB_OAUTH_ACCESS_TOKEN_LIFETIME "$OAUTH_LIFETIME"
        envq MAILLAB_OAUTH_DEVICE_INTERVAL "$OAUTH_INTERVAL"
        envq MAILLAB_OAUTH_ADMIN_URL "$OAUTH_ISSUER/lab"
        envq MAILLAB_OAUTH_ADMIN_TOKEN "$OAUTH_ADMIN_TOKEN"
        envq MAILLAB_OAUTH_CONTROL "$(cd "$HERE/../oauth-lab" && pwd)/control.sh"
        envq MAILLAB_OAUTH_LOG "$DIR/log/oauth.log"
    fi
} >"$DIR/env.tmp"
mv "$DIR/env.tmp" "$DIR/env"
}

# ---------------------------------------------------------------- start and readiness
greet_oauth() { # port -> the issuer named by the server's metadata (over HTTPS, verified with the lab CA)
    curl -q -sS --max-time 3 --cacert "$TLS/ca.crt" "https://127.0.0.1:$1/.well-known/oauth-authorization-server" \
        2>/dev/null | sed -n 's/.*"issuer": *"\([^"]*\)".*/\1/p'
}
declare -A EXPECT=([IMAP]='* OK' [IMAPS]='* OK' [POP3]='+OK' [POP3S]='+OK' [SUBMISSION]='220 '
    [SMTPS]='220 ' [SMTP_PLAIN]='220 ' [IMAPS_UNTRUSTED]='* OK' [SMTPS_UNTRUSTED]='220 ' [IMAP_NOTLS]='* OK'
    [OAUTH]='https://127.0.0.1:' [OAUTH_XOAUTH2_ONLY_IMAPS]='* OK' [OAUTH_XOAUTH2_ONLY_POP3S]='+OK'
    [OAUTH_XOAUTH2_ONLY_SUBMISSION]='220 ' [IMAP_CLIENTCERT]='* OK' [IMAPS_CLIENTCERT]='* OK'
    [POP3S_CLIENTCERT]='+OK' [SUBMISSION_CLIENTCERT]='220 ' [SMTPS_CLIENTCERT]='220 ')
declare -A TLSPORT=([IMAPS]=1 [POP3S]=1 [SMTPS]=1 [IMAPS_UNTRUSTED]=1 [SMTPS_UNTRUSTED]=1
    [OAUTH_XOAUTH2_ONLY_IMAPS]=1 [OAUTH_XOAUTH2_ONLY_POP3S]=1 [IMAPS_CLIENTCERT]=c [POP3S_CLIENTCERT]=c
    [SMTPS_CLIENTCERT]=c)

wait_greeting() { # port name -> 0 once it greets as expected, 1 at the deadline
    local n=$1 g=''
    while :; do
        if [[ $n == OAUTH ]]; then
            g=$(greet_oauth "${PORT[$n]}")
            # The server died (a port taken, a broken config): no use waiting.
            [[ -n $g ]] || kill -0 "$OAUTH_PID" 2>/dev/null || return 1
        elif [[ ${TLSPORT[$n]:-} == c ]]; then g=$(greet_tls "${PORT[$n]}" -cert "$TLS/client.crt" -key "$TLS/client.key")
        elif [[ -n ${TLSPORT[$n]:-} ]]; then g=$(greet_tls "${PORT[$n]}"); else g=$(greet_plain "${PORT[$n]}"); fi
        if [[ $g == "${EXPECT[$n]}"* ]]; then note "$n ${PORT[$n]}: $g"; return 0; fi
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

launch() { # start the daemons and wait for every greeting; 0 when all greet, else 1 and LAUNCH_ERR
    local kind n
    LAUNCH_ERR=
    # All four at once: they only need each other once mail flows. Dovecot's master keeps
    # fd 2 open for good: never hand it a pipe of ours (stdout/stderr go to files).
    declare -A starter=()
    if ((OAUTH)); then
        # In its own session, in its folder (stop.sh finds it there), no fd of ours kept.
        # It writes its pid file itself once its port is bound.
        rm -f "$DIR/oauth/server.pid"
        (cd "$DIR/oauth" && exec setsid "$PYTHON" "$OAUTH_SERVER" "$DIR/oauth/config.json" \
            </dev/null >>"$DIR/log/oauth.log" 2>&1) &
        OAUTH_PID=$!
    fi
    for kind in "${DOVECOT_KINDS[@]}"; do
        dovecot -c "$DIR/dovecot/$kind/dovecot.conf" </dev/null >>"$DIR/log/dovecot-$kind.start.log" 2>&1 &
        starter[dovecot-$kind]=$!
    done
    postfix -c "$PC" start </dev/null >>"$DIR/log/postfix.start.log" 2>&1 &
    starter[postfix]=$!
    for n in "${!starter[@]}"; do
        wait "${starter[$n]}" || LAUNCH_ERR+="$n did not start; "
    done
    [[ -z $LAUNCH_ERR ]] || return 1
    note "dovecot and postfix started"
    deadline=$((SECONDS + START_TIMEOUT))
    declare -A waiter=()
    for n in "${PORT_NAMES[@]}"; do
        wait_greeting "$n" &
        waiter[$n]=$!
    done
    local pending=()
    for n in "${PORT_NAMES[@]}"; do
        wait "${waiter[$n]}" || pending+=("$n")
    done
    if ((${#pending[@]})); then
        LAUNCH_ERR="no greeting within ${START_TIMEOUT}s from: $(for n in "${pending[@]}"; do printf '%s(%s) ' "$n" "${PORT[$n]}"; done)"
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
    launch && break
    # Another program (or a lab started at the same moment) took a port: try another range.
    if ((!FIXED_BASE && attempt < 5)) && grep -qs 'Address already in use' "$DIR"/log/*.log; then
        echo "mail-lab start: a port of $BASE..$((BASE + NPORTS - 1)) was taken meanwhile; trying another range" >&2
        MAILLAB_QUIET=1 MAILLAB_KEEP=1 MAILLAB_STOP_SKIP_PORTS=1 "$HERE/stop.sh" "$DIR" >&2 || true
        rm -rf "$DIR"/log/* "$DIR"/dovecot/*/run/* "$DIR"/dovecot/*/state/* "$DIR"/postfix/spool/* \
            "$DIR"/postfix/data/* "$DIR/env" "$DIR/oauth/server.pid"
        continue
    fi
    trap - ERR
    fail "$LAUNCH_ERR"
done

# A wrong permission on the mail root is only logged: surface configuration errors now.
if grep -hE ': (Error|Fatal|Panic|fatal|panic|error): ' "$DIR"/log/dovecot-*.log "$DIR/log/postfix.log" 2>/dev/null | grep -q .; then
    trap - ERR
    fail "errors in the logs after start"
fi
trap - ERR

T1=$(date +%s.%N)
echo "mail-lab: started $INSTANCE in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }') s;" \
    "IMAP ${PORT[IMAP]} IMAPS ${PORT[IMAPS]} POP3 ${PORT[POP3]} POP3S ${PORT[POP3S]}" \
    "SUBMISSION ${PORT[SUBMISSION]} SMTPS ${PORT[SMTPS]}; env: $DIR/env" >&2
echo "$DIR"
