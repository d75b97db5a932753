#!/usr/bin/env bash
# Self-test of the Cyrus + Exim mail lab: start one, talk to every listener with the curl CLI (always
# verifying against the lab CA, never -k), send mail through Exim and read it back through Cyrus, check the
# failure cases (wrong password, no STARTTLS, no AUTH, client certificate required), create folders with
# spaces and non-ASCII names, stop the lab and check that nothing is left.
# Prints "N passed, M failed" last; exits non-zero on any failure.
# MAILLAB_SKIP_INSTALL=1 skips install-deps.sh (a no-op when all is installed anyway).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../mail-lab/lib.sh
. "$HERE/../mail-lab/lib.sh"

unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR CURL_HOME
LAB=
ERRS=$(mktemp)
cleanup() {
    if [[ -n $LAB && -d $LAB ]]; then
        echo "selftest: stopping the lab left behind: $LAB" >&2
        "$HERE/stop.sh" "$LAB" >&2 || true
    fi
    rm -f "${MSG:-}" "${MARK:-}" "$ERRS"
}
trap cleanup EXIT

if [[ ${MAILLAB_SKIP_INSTALL:-0} != 1 ]]; then
    "$HERE/install-deps.sh" >/dev/null || { bad "install-deps.sh"; echo "$PASS passed, $FAIL failed"; exit 1; }
fi

MARK=$(mktemp)
touch -d '2 seconds ago' "$MARK"
SYS_PATHS=(/etc/cyrus.conf /etc/imapd.conf /etc/exim4 /var/lib/cyrus /var/spool/cyrus /var/spool/exim4
           /var/log/exim4 /run/cyrus /var/mail /etc/dovecot /etc/postfix)

# ------------------------------------------------------------------ start
t=$(now)
out=$("$HERE/start.sh" 2>"$ERRS")
rc=$?
START_SECS=$(since "$t")
LAB=$(printf '%s\n' "$out" | tail -n 1)
if ((rc != 0)) || [[ ! -f $LAB/env ]]; then
    LAB=
    bad "start.sh (exit $rc)" "$(cat "$ERRS")"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
ok "start.sh in ${START_SECS} s: $LAB"

set -a
# shellcheck disable=SC1091
. "$LAB/env"
set +a
missing=()
for v in MAILLAB_DIR MAILLAB_CA MAILLAB_HOST MAILLAB_DOMAIN MAILLAB_IMAP_PORT MAILLAB_IMAPS_PORT \
    MAILLAB_POP3_PORT MAILLAB_POP3S_PORT MAILLAB_SUBMISSION_PORT MAILLAB_SMTPS_PORT MAILLAB_IMAPS_CLIENTCERT_PORT \
    MAILLAB_SMTPS_CLIENTCERT_PORT MAILLAB_IMAPS_CLIENTCERT_TLS12_PORT MAILLAB_CLIENT_CERT MAILLAB_CLIENT_KEY MAILLAB_USERS MAILLAB_PASSWORD MAILLAB_SPOOL; do
    [[ -n ${!v:-} ]] || missing+=("$v")
done
((${#missing[@]} == 0)) && ok "env has every variable" || bad "env lacks ${missing[*]}"
[[ $MAILLAB_FLAVOUR == cyrus-exim ]] && ok "env names the flavour" || bad "MAILLAB_FLAVOUR=$MAILLAB_FLAVOUR"

H=$MAILLAB_HOST
U1=user1@$MAILLAB_DOMAIN
U2=user2@$MAILLAB_DOMAIN
PW=$MAILLAB_PASSWORD
C=(curl -q -sS --max-time 20 --cacert "$MAILLAB_CA")
CC=(--cert "$MAILLAB_CLIENT_CERT" --key "$MAILLAB_CLIENT_KEY")


# ------------------------------------------------------------------ greetings
g=$(greeting "$MAILLAB_IMAP_PORT")
[[ $g == '* OK'*STARTTLS*Cyrus* ]] && ok "IMAP greeting: Cyrus, offers STARTTLS" || bad "IMAP greeting: $g"
g=$(greeting "$MAILLAB_POP3_PORT")
[[ $g == '+OK'*Cyrus* ]] && ok "POP3 greeting: Cyrus" || bad "POP3 greeting: $g"
g=$(greeting "$MAILLAB_SUBMISSION_PORT")
[[ $g == 220*Exim* ]] && ok "submission greeting: Exim" || bad "submission greeting: $g"

# ------------------------------------------------------------------ logins
if expect 0 "IMAPS login + LIST" "${C[@]}" -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/"; then
    [[ $OUT == *INBOX* ]] && ok "IMAPS LIST shows INBOX" || bad "IMAPS LIST output" "$OUT"
fi
expect 0 "IMAP + STARTTLS login (--ssl-reqd)" "${C[@]}" --ssl-reqd -u "$U1:$PW" "imap://$H:$MAILLAB_IMAP_PORT/"
expect 0 "IMAPS login via localhost name" "${C[@]}" -u "$U1:$PW" "imaps://localhost:$MAILLAB_IMAPS_PORT/"
expect 0 "POP3S login" "${C[@]}" -u "$U1:$PW" "pop3s://$H:$MAILLAB_POP3S_PORT/"
expect 0 "POP3 + STARTTLS login (--ssl-reqd)" "${C[@]}" --ssl-reqd -u "$U1:$PW" "pop3://$H:$MAILLAB_POP3_PORT/"
expect 0 "desk user IMAPS login" "${C[@]}" -u "$MAILLAB_DESK_USER:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/"
expect 0 "client-certificate IMAPS port with the lab's client certificate" "${C[@]}" "${CC[@]}" -u "$U1:$PW" \
    "imaps://$H:$MAILLAB_IMAPS_CLIENTCERT_PORT/"

# ------------------------------------------------------------------ failure cases
expect 67 "wrong IMAP password refused" "${C[@]}" -u "$U1:wrong-$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/"
expect 67 "wrong SMTP password refused" "${C[@]}" --ssl-reqd -u "$U1:wrong-$PW" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T /dev/null
expect 56 "client-certificate IMAPS port without one refused" "${C[@]}" -u "$U1:$PW" \
    "imaps://$H:$MAILLAB_IMAPS_CLIENTCERT_PORT/" &&
    { [[ $OUT == *"certificate required"* ]] && ok "IMAPS: alert certificate required" || bad "IMAPS client-cert message" "$OUT"; }
expect 56 "client-certificate SMTPS port without one refused" "${C[@]}" -u "$U1:$PW" \
    "smtps://$H:$MAILLAB_SMTPS_CLIENTCERT_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T /dev/null &&
    { [[ $OUT == *"certificate required"* ]] && ok "SMTPS: alert certificate required" || bad "SMTPS client-cert message" "$OUT"; }
expect 35 "client-certificate IMAPS port over TLS 1.2 without one: handshake aborted" "${C[@]}" -u "$U1:$PW" \
    "imaps://$H:$MAILLAB_IMAPS_CLIENTCERT_TLS12_PORT/"
expect 0 "client-certificate IMAPS port over TLS 1.2 with the lab's client certificate" "${C[@]}" "${CC[@]}" \
    -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_CLIENTCERT_TLS12_PORT/"
expect 60 "no CA given: server certificate not trusted" curl -q -sS --max-time 20 --cacert "$MAILLAB_CLIENT_CERT" \
    -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/"

# ------------------------------------------------------------------ mail: submit through Exim, read through Cyrus
TOKEN="cyruslab-selftest-$(date +%s)-$$-$RANDOM"
MSG=$(mktemp)
message() { # subject
    printf '%s\r\n' "From: <$U1>" "To: <$U1>" "Subject: $1" "Date: $(date -R)" \
        "Message-ID: <$1@$MAILLAB_DOMAIN>" "" "Body of $1." "." "Bye."
}
message "$TOKEN-submission" >"$MSG"
expect 0 "send over submission (STARTTLS + AUTH)" "${C[@]}" --ssl-reqd -u "$U1:$PW" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T "$MSG"
message "$TOKEN-smtps" >"$MSG"
expect 0 "send over smtps (AUTH) to user2" "${C[@]}" -u "$U1:$PW" \
    "smtps://$H:$MAILLAB_SMTPS_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U2" -T "$MSG"
expect 55 "submission without STARTTLS refused" "${C[@]}" -u "$U1:$PW" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T "$MSG"
expect 55 "submission without AUTH refused" "${C[@]}" --ssl-reqd \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T "$MSG"
expect 55 "unknown lab user refused" "${C[@]}" --ssl-reqd -u "$U1:$PW" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "nobody@$MAILLAB_DOMAIN" -T "$MSG"
expect 55 "relaying to another domain refused" "${C[@]}" --ssl-reqd -u "$U1:$PW" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "someone@example.org" -T "$MSG"

search() { # user subject -> sequence number in INBOX, or nothing
    "${C[@]}" -u "$1:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/INBOX" -X "SEARCH SUBJECT \"$2\"" 2>/dev/null |
        sed -n 's/^\* SEARCH \([0-9][0-9]*\).*/\1/p' | head -n 1
}
found=
for _ in $(seq 200); do
    found=$(search "$U1" "$TOKEN-submission")
    [[ -n $found ]] && break
    sleep 0.05
done
if [[ -n $found ]]; then
    ok "submitted message delivered into user1's Cyrus INBOX (message $found)"
    expect 0 "IMAP fetch of the message (STARTTLS)" "${C[@]}" --ssl-reqd -u "$U1:$PW" \
        "imap://$H:$MAILLAB_IMAP_PORT/INBOX/;MAILINDEX=$found" &&
        { [[ $OUT == *"Body of $TOKEN-submission."* ]] && ok "IMAP body matches" || bad "IMAP body" "$OUT"; }
else
    bad "submitted message not found over IMAP" "$(tail -n 15 "$MAILLAB_DIR/log/exim-main.log")"
fi
found=
for _ in $(seq 200); do
    found=$(search "$U2" "$TOKEN-smtps")
    [[ -n $found ]] && break
    sleep 0.05
done
[[ -n $found ]] && ok "smtps message delivered into user2's INBOX" || bad "smtps message not found for user2"
if expect 0 "POP3S RETR of user2's message" "${C[@]}" -u "$U2:$PW" "pop3s://$H:$MAILLAB_POP3S_PORT/1"; then
    [[ $OUT == *"Body of $TOKEN-smtps."* ]] && ok "POP3 body matches" || bad "POP3 body" "$OUT"
fi

# ------------------------------------------------------------------ folders with spaces and non-ASCII
# "Erledigt/Ärger mit Kunden" in modified UTF-7.
F='Erledigt/&AMQ-rger mit Kunden'
expect 0 "CREATE a folder with spaces and non-ASCII" "${C[@]}" -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/" \
    -X "CREATE \"$F\""
if expect 0 "LIST shows it" "${C[@]}" -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/" -X 'LIST "" "*"'; then
    [[ $OUT == *"\"$F\""* ]] && ok "the folder is listed" || bad "folder not listed" "$OUT"
fi
# Cyrus refuses a second CREATE with a plain NO (no [ALREADYEXISTS] code): what mailsh must cope with.
expect 21 "a second CREATE of it is refused" "${C[@]}" -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/" \
    -X "CREATE \"$F\""

# ------------------------------------------------------------------ logs
# Exim notes each re-execution with -C in its panic log ("lost privilege"): expected, not an error.
logerr=$(grep -hiE 'panic|error|fatal' "$MAILLAB_DIR"/log/exim-*.log "$MAILLAB_DIR/log/cyrus.log" 2>/dev/null |
    grep -v -e 'lost privilege for using -C option' -e 'TLS connection was non-properly terminated' \
        -e 'certificate required' -e 'no certificate' -e 'peer did not return a certificate' \
        -e 'TLS error on connection')
[[ -z $logerr ]] && ok "no unexpected errors in the lab logs" || bad "errors in the lab logs" "$logerr"

# ------------------------------------------------------------------ stop
leftovers() { # processes of the lab still running
    ps -eo pid,stat,args | grep -F -e "$LAB" | grep -v -e grep -e ' Z '
}
selftest_finish
