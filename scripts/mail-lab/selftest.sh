#!/usr/bin/env bash
# Self-test of the mail lab: start one, talk to every listener with the curl CLI
# (always verifying against the lab CA, never -k), send mail both ways, find it,
# check the failure cases, stop the lab and check that nothing is left.
# Prints "N passed, M failed" last; exits non-zero on any failure.
# MAILLAB_SKIP_INSTALL=1 skips install-deps.sh (a no-op when all is installed anyway).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# The machine's environment may point curl/OpenSSL at other CAs: the CA is always explicit.
unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR CURL_HOME
LAB=
cleanup() {
    if [[ -n $LAB && -d $LAB ]]; then
        echo "selftest: stopping the lab left behind: $LAB" >&2
        "$HERE/stop.sh" "$LAB" >&2 || true
    fi
    rm -f "${MSG:-}" "${MARK:-}"
}
trap cleanup EXIT

if [[ ${MAILLAB_SKIP_INSTALL:-0} != 1 ]]; then
    "$HERE/install-deps.sh" >/dev/null || { bad "install-deps.sh"; echo "$PASS passed, $FAIL failed"; exit 1; }
fi

# Files that must not change (the lab never writes in /etc or /var).
MARK=$(mktemp)
touch -d '2 seconds ago' "$MARK"
SYS_PATHS=(/etc/dovecot /etc/postfix /var/spool/postfix /var/lib/postfix /var/lib/dovecot /run/dovecot /var/mail)

# ------------------------------------------------------------------ start
t=$(now)
out=$("$HERE/start.sh" 2>/tmp/maillab-selftest-start.$$)
rc=$?
START_SECS=$(since "$t")
errs=$(cat /tmp/maillab-selftest-start.$$); rm -f /tmp/maillab-selftest-start.$$
LAB=$(printf '%s\n' "$out" | tail -n 1)
if ((rc != 0)) || [[ ! -f $LAB/env ]]; then
    LAB=
    bad "start.sh (exit $rc)" "$errs"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
ok "start.sh in ${START_SECS} s: $LAB"
[[ $(stat -c %a "$LAB") == 755 ]] && ok "lab folder is 0755" || bad "lab folder mode $(stat -c %a "$LAB")"

set -a
# shellcheck disable=SC1091
. "$LAB/env"
set +a
missing=()
for v in MAILLAB_DIR MAILLAB_CA MAILLAB_HOST MAILLAB_DOMAIN MAILLAB_IMAP_PORT MAILLAB_IMAPS_PORT \
    MAILLAB_POP3_PORT MAILLAB_POP3S_PORT MAILLAB_SUBMISSION_PORT MAILLAB_SMTPS_PORT MAILLAB_SMTP_PLAIN_PORT \
    MAILLAB_IMAPS_UNTRUSTED_PORT MAILLAB_SMTPS_UNTRUSTED_PORT MAILLAB_IMAP_NOTLS_PORT MAILLAB_USERS \
    MAILLAB_PASSWORD MAILLAB_MAILDIR_ROOT; do
    [[ -n ${!v:-} ]] || missing+=("$v")
done
((${#missing[@]} == 0)) && ok "env has every variable" || bad "env lacks ${missing[*]}"
[[ $MAILLAB_DIR == "$LAB" && $MAILLAB_HOST == 127.0.0.1 ]] && ok "env MAILLAB_DIR/HOST" ||
    bad "env MAILLAB_DIR=$MAILLAB_DIR MAILLAB_HOST=$MAILLAB_HOST"

H=$MAILLAB_HOST
U1=user1@$MAILLAB_DOMAIN
PW=$MAILLAB_PASSWORD
C=(curl -q -sS --max-time 20 --cacert "$MAILLAB_CA")


# ------------------------------------------------------------------ greetings
g=$(greeting "$MAILLAB_IMAP_PORT")
[[ $g == '* OK'*STARTTLS* ]] && ok "IMAP greeting offers STARTTLS" || bad "IMAP greeting: $g"
g=$(greeting "$MAILLAB_IMAP_NOTLS_PORT")
[[ $g == '* OK'* && $g != *STARTTLS* ]] && ok "IMAP no-TLS greeting lacks STARTTLS" || bad "IMAP no-TLS greeting: $g"
g=$(greeting "$MAILLAB_SMTP_PLAIN_PORT")
[[ $g == 220* ]] && ok "plain SMTP greets" || bad "plain SMTP greeting: $g"

# ------------------------------------------------------------------ logins
if expect 0 "IMAPS login + LIST" "${C[@]}" -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/"; then
    [[ $OUT == *INBOX* ]] && ok "IMAPS LIST shows INBOX" || bad "IMAPS LIST output" "$OUT"
fi
expect 0 "IMAP + STARTTLS login (--ssl-reqd)" "${C[@]}" --ssl-reqd -u "$U1:$PW" "imap://$H:$MAILLAB_IMAP_PORT/"
expect 0 "IMAPS login via localhost name" "${C[@]}" -u "$U1:$PW" "imaps://localhost:$MAILLAB_IMAPS_PORT/"
expect 0 "POP3S login" "${C[@]}" -u "$U1:$PW" "pop3s://$H:$MAILLAB_POP3S_PORT/"
expect 0 "POP3 + STARTTLS login (--ssl-reqd)" "${C[@]}" --ssl-reqd -u "$U1:$PW" "pop3://$H:$MAILLAB_POP3_PORT/"
expect 0 "desk user IMAPS login" "${C[@]}" -u "desk@$MAILLAB_DOMAIN:$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/"
expect 0 "IMAP no-TLS port: plaintext login" "${C[@]}" -u "$U1:$PW" "imap://$H:$MAILLAB_IMAP_NOTLS_PORT/"

# ------------------------------------------------------------------ failure cases
expect 67 "wrong password refused" "${C[@]}" -u "$U1:wrong-$PW" "imaps://$H:$MAILLAB_IMAPS_PORT/"
expect 60 "untrusted IMAPS certificate rejected" "${C[@]}" -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_UNTRUSTED_PORT/" &&
    { [[ $OUT == *self-signed* ]] && ok "untrusted IMAPS: self-signed" || bad "untrusted IMAPS message" "$OUT"; }
expect 60 "untrusted SMTPS certificate rejected" "${C[@]}" "smtps://$H:$MAILLAB_SMTPS_UNTRUSTED_PORT/localhost" \
    -u "$U1:$PW" --mail-from "$U1" --mail-rcpt "$U1" -T /dev/null
expect 0 "untrusted IMAPS accepted when its own cert is trusted" curl -q -sS --max-time 20 \
    --cacert "$MAILLAB_DIR/tls/untrusted.crt" -u "$U1:$PW" "imaps://$H:$MAILLAB_IMAPS_UNTRUSTED_PORT/"
expect 64 "plain SMTP port: --ssl-reqd fails (no STARTTLS)" "${C[@]}" --ssl-reqd \
    "smtp://$H:$MAILLAB_SMTP_PLAIN_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T /dev/null
expect 64 "IMAP no-TLS port: --ssl-reqd fails" "${C[@]}" --ssl-reqd -u "$U1:$PW" "imap://$H:$MAILLAB_IMAP_NOTLS_PORT/"

# ------------------------------------------------------------------ mail: submit, deliver, fetch
TOKEN="maillab-selftest-$(date +%s)-$$-$RANDOM"
MSG=$(mktemp)
message() { # subject
    printf '%s\r\n' "From: <$U1>" "To: <$U1>" "Subject: $1" "Date: $(date -R)" \
        "Message-ID: <$1@$MAILLAB_DOMAIN>" "" "Body of $1." "." "Bye."
}
message "$TOKEN-submission" >"$MSG"
expect 0 "send over submission (STARTTLS + AUTH)" "${C[@]}" --ssl-reqd -u "$U1:$PW" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T "$MSG"
message "$TOKEN-smtps" >"$MSG"
expect 0 "send over smtps (AUTH)" "${C[@]}" -u "$U1:$PW" \
    "smtps://$H:$MAILLAB_SMTPS_PORT/localhost" --mail-from "$U1" --mail-rcpt "$U1" -T "$MSG"
U2=user2@$MAILLAB_DOMAIN
message "$TOKEN-plain" >"$MSG"
expect 0 "send over plain SMTP (no TLS, no AUTH) to a lab user" "${C[@]}" \
    "smtp://$H:$MAILLAB_SMTP_PLAIN_PORT/localhost" --mail-from "someone@example.org" --mail-rcpt "$U2" -T "$MSG"
expect 55 "plain SMTP refuses relaying to another domain" "${C[@]}" \
    "smtp://$H:$MAILLAB_SMTP_PLAIN_PORT/localhost" --mail-from "$U1" --mail-rcpt "someone@example.org" -T "$MSG"
expect 55 "unknown lab user refused" "${C[@]}" --ssl-reqd -u "$U1:$PW" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --mail-from "$U1" --mail-rcpt "nobody@$MAILLAB_DOMAIN" -T "$MSG"
OUT=$("${C[@]}" --ssl-reqd "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" \
    --mail-from "$U1" --mail-rcpt "$U1" -T "$MSG" 2>&1)
rc=$?
((rc == 55)) && ok "submission without AUTH refused (exit 55)" || bad "submission without AUTH: exit $rc, expected 55" "$OUT"

MD=$MAILLAB_MAILDIR_ROOT/$U1/Maildir
found=0
for _ in $(seq 200); do
    n=$(grep -l -s -e "$TOKEN-submission" -e "$TOKEN-smtps" "$MD"/new/* "$MD"/cur/* 2>/dev/null | wc -l)
    ((n >= 2)) && { found=1; break; }
    sleep 0.05
done
if ((found)); then ok "both messages delivered into $MD"; else
    bad "messages not in $MD" "$(tail -n 15 "$MAILLAB_DIR/log/postfix.log")"
fi
MD2=$MAILLAB_MAILDIR_ROOT/$U2/Maildir
found=0
for _ in $(seq 200); do
    grep -q -s -e "$TOKEN-plain" "$MD2"/new/* 2>/dev/null && { found=1; break; }
    sleep 0.05
done
((found)) && ok "plain SMTP message delivered into $MD2" || bad "plain SMTP message not in $MD2"
owner=$(stat -c %u "$MD/new" 2>/dev/null)
[[ $owner == "${MAILLAB_MAIL_UID:-5000}" ]] && ok "Maildir belongs to the mail uid ($owner)" || bad "Maildir owner $owner"

if expect 0 "IMAP SEARCH finds the message" "${C[@]}" -u "$U1:$PW" \
    "imaps://$H:$MAILLAB_IMAPS_PORT/INBOX" -X "SEARCH SUBJECT \"$TOKEN-submission\""; then
    seqno=$(printf '%s\n' "$OUT" | sed -n 's/^\* SEARCH \([0-9][0-9]*\).*/\1/p' | head -n 1)
    if [[ -n $seqno ]]; then
        ok "IMAP SEARCH hit: message $seqno"
        expect 0 "IMAP fetch of the message (STARTTLS)" "${C[@]}" --ssl-reqd -u "$U1:$PW" \
            "imap://$H:$MAILLAB_IMAP_PORT/INBOX/;MAILINDEX=$seqno" &&
            { [[ $OUT == *"Body of $TOKEN-submission."* ]] && ok "IMAP body matches" || bad "IMAP body" "$OUT"; }
    else
        bad "IMAP SEARCH found nothing" "$OUT"
    fi
fi
if expect 0 "POP3S LIST" "${C[@]}" -u "$U1:$PW" "pop3s://$H:$MAILLAB_POP3S_PORT/"; then
    [[ $(printf '%s\n' "$OUT" | grep -c '^[0-9]') -ge 2 ]] && ok "POP3 lists both messages" || bad "POP3 LIST" "$OUT"
fi

# ------------------------------------------------------------------ logs
logerr=$(grep -hE ': (Error|Fatal|Panic|fatal|panic|error): ' "$MAILLAB_DIR"/log/dovecot-*.log "$MAILLAB_DIR/log/postfix.log" 2>/dev/null)
[[ -z $logerr ]] && ok "no errors in the lab logs" || bad "errors in the lab logs" "$logerr"

# ------------------------------------------------------------------ stop
INSTANCE=$MAILLAB_INSTANCE
leftovers() { # processes of the lab still running
    find /proc/[0-9]*/ -maxdepth 1 \( -name cwd -o -name root \) \( -lname "$LAB" -o -lname "$LAB/*" \) 2>/dev/null
    ps -eo pid,args | grep -F -e "$LAB" -e "dovecot-$INSTANCE" -e "$INSTANCE/" | grep -v grep
}
selftest_finish
