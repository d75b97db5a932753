#!/usr/bin/env bash
# Self-test of the mail lab with OAuth (MAILLAB_OAUTH=1): start one, then with curl (and openssl
# s_client where the curl command line cannot choose the SASL mechanism) show every grant, rotation,
# revocation, introspection, expiry, token logins on IMAPS, POP3S and submission with XOAUTH2 and
# OAUTHBEARER, the XOAUTH2-only instance, refused tokens, password logins; stop the lab and check
# that nothing is left. control.sh plays the person. Tokens and secrets go to curl on stdin (-K -),
# never on a command line, and are never printed (failure output is redacted).
# Prints "N passed, M failed" last; exits non-zero on any failure.
# MAILLAB_SKIP_INSTALL=1 skips install-deps.sh (a no-op when all is installed anyway).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LABS=$(cd "$HERE/../mail-lab" && pwd)
CTL=$HERE/control.sh
PY=/usr/bin/python3
PASS=0
FAIL=0
SECRETS=()  # every token seen: must never appear in a log or in our output
redact() { sed -E 's/[A-Za-z0-9+\/_-]{24,}={0,2}/[redacted]/g'; }
T_START=$(date +%s.%N)
stamp() { [[ -z ${OAUTHLAB_TIMES:-} ]] || awk -v a="$T_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%6.2f ", b - a }'; }
ok() { PASS=$((PASS + 1)); echo "$(stamp)ok   - $1"; }
bad() {
    FAIL=$((FAIL + 1))
    echo "$(stamp)FAIL - $1"
    [[ -z ${2:-} ]] || printf '%s\n' "$2" | head -n 15 | redact | sed 's/^/       /'
}
check() { # NAME CONDITION-STATUS [DETAIL]
    if [[ $2 == 0 ]]; then ok "$1"; else bad "$1" "${3:-}"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR CURL_HOME
LAB=
LISTENER=
cleanup() {
    [[ -n $LISTENER ]] && kill "$LISTENER" 2>/dev/null
    if [[ -n $LAB && -d $LAB ]]; then
        echo "selftest: stopping the lab left behind: $LAB" >&2
        "$LABS/stop.sh" "$LAB" >&2 || true
    fi
    rm -rf "${TMPD:-}"
}
trap cleanup EXIT
TMPD=$(mktemp -d)

if [[ ${MAILLAB_SKIP_INSTALL:-0} != 1 ]]; then
    "$LABS/install-deps.sh" >/dev/null || { bad "install-deps.sh"; echo "$PASS passed, $FAIL failed"; exit 1; }
fi

# ------------------------------------------------------------------ start
T_ALL=$(now)
t=$(now)
# No failure delay: every refused token would otherwise cost Dovecot's 2 s.
out=$(MAILLAB_OAUTH=1 MAILLAB_AUTH_FAILURE_DELAY=0 "$LABS/start.sh" 2>"$TMPD/start.err")
rc=$?
LAB=$(printf '%s\n' "$out" | tail -n 1)
if ((rc != 0)) || [[ ! -f $LAB/env ]]; then
    LAB=
    bad "start.sh with MAILLAB_OAUTH=1 (exit $rc)" "$(cat "$TMPD/start.err")"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
ok "start.sh with MAILLAB_OAUTH=1 in $(since "$t") s: $LAB"
set -a
# shellcheck disable=SC1091
. "$LAB/env"
set +a
export MAILLAB_DIR
missing=()
for v in MAILLAB_OAUTH_ISSUER MAILLAB_OAUTH_TOKEN_URL MAILLAB_OAUTH_DEVICE_URL MAILLAB_OAUTH_AUTHORIZE_URL \
    MAILLAB_OAUTH_REVOKE_URL MAILLAB_OAUTH_INTROSPECT_URL MAILLAB_OAUTH_METADATA_URL MAILLAB_OAUTH_VERIFICATION_URL \
    MAILLAB_OAUTH_MICROSOFT_AUTHORITY MAILLAB_OAUTH_GOOGLE_AUTHORITY MAILLAB_OAUTH_PUBLIC_CLIENT_ID \
    MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET MAILLAB_OAUTH_APP_USER \
    MAILLAB_OAUTH_ADMIN_URL MAILLAB_OAUTH_ADMIN_TOKEN MAILLAB_OAUTH_CONTROL MAILLAB_OAUTH_SCOPE MAILLAB_OAUTH_PORT \
    MAILLAB_OAUTH_XOAUTH2_ONLY_IMAPS_PORT MAILLAB_OAUTH_XOAUTH2_ONLY_POP3S_PORT \
    MAILLAB_OAUTH_XOAUTH2_ONLY_SUBMISSION_PORT MAILLAB_OAUTH_ACCESS_TOKEN_LIFETIME MAILLAB_OAUTH_DEVICE_INTERVAL MAILLAB_OAUTH_LOG; do
    [[ -n ${!v:-} ]] || missing+=("$v")
done
check "env has every MAILLAB_OAUTH_* variable" $((${#missing[@]} > 0)) "missing: ${missing[*]}"
[[ $MAILLAB_OAUTH == 1 && " $MAILLAB_PORTS " == *" $MAILLAB_OAUTH_PORT "* ]]
check "MAILLAB_OAUTH=1 and MAILLAB_PORTS lists the OAuth ports" $?

H=$MAILLAB_HOST
D=$MAILLAB_DOMAIN
U1=user1@$D U2=user2@$D U3=user3@$D U4=user4@$D U5=user5@$D
PUB=$MAILLAB_OAUTH_PUBLIC_CLIENT_ID
CONF=$MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID
MS=$MAILLAB_OAUTH_MICROSOFT_AUTHORITY
GOOG=$MAILLAB_OAUTH_GOOGLE_AUTHORITY
MS_SCOPES='https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access'

# oc ARGS... : curl with the lab CA; secrets come as curl config lines on stdin.
oc() { curl -q -sS --max-time 20 --cacert "$MAILLAB_CA" -K - "$@"; }
cfg_data() { local kv; for kv in "$@"; do printf 'data = "%s"\n' "$kv"; done; }
json() { # KEY < JSON -> the value of a top-level string, number or boolean KEY (flat JSON)
    sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p; t; s/.*\"$1\": *\\([0-9.a-z]*\\).*/\\1/p" | head -n 1
}
remember() { [[ -n $1 ]] && SECRETS+=("$1"); }

# ------------------------------------------------------------------ metadata
M=$(oc "$MAILLAB_OAUTH_METADATA_URL" </dev/null)
[[ $(json issuer <<<"$M") == "$MAILLAB_OAUTH_ISSUER" && $M == *'"code_challenge_methods_supported":["S256"]'* &&
   $M == *device_code* && $M == *'"revocation_endpoint"'* && $M == *'"introspection_endpoint"'* ]]
check "RFC 8414 metadata: issuer, S256 only, device, revocation, introspection" $? "$M"

# ------------------------------------------------------------------ device flow (Microsoft layout, public client)
# A long interval for this code, so that two polls in a row are surely "too fast" (no timing luck).
"$CTL" settings device_interval=60 >/dev/null
DEV=$(oc "$MS/organizations/oauth2/v2.0/devicecode" --data-urlencode "client_id=$PUB" \
    --data-urlencode "scope=$MS_SCOPES" </dev/null)
DC=$(json device_code <<<"$DEV"); UC=$(json user_code <<<"$DEV"); remember "$DC"
"$CTL" settings "device_interval=$MAILLAB_OAUTH_DEVICE_INTERVAL" >/dev/null
[[ -n $DC && -n $UC && $(json verification_uri <<<"$DEV") == "$MAILLAB_OAUTH_VERIFICATION_URL" && $(json interval <<<"$DEV") == 60 ]]
check "device authorization (RFC 8628) at {tenant}/oauth2/v2.0/devicecode: user code $UC" $? "$DEV"
device_poll() { cfg_data "device_code=$1" | oc "$2" --data-urlencode "client_id=$3" \
    --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:device_code; }
R=$(device_poll "$DC" "$MS/organizations/oauth2/v2.0/token" "$PUB")
[[ $(json error <<<"$R") == authorization_pending ]]; check "device poll before approval: authorization_pending" $? "$R"
R=$(device_poll "$DC" "$MS/organizations/oauth2/v2.0/token" "$PUB")
[[ $(json error <<<"$R") == slow_down ]]; check "device poll faster than the interval: slow_down" $? "$R"
C=$("$CTL" counters)
[[ $C == *'"device_too_fast":1'* ]]; check "counters: one poll too fast (device_too_fast)" $? "$C"
A=$("$CTL" approve "$UC" "USER1@$D" 2>&1); check "person approves the user code as USER1 (control.sh approve)" $? "$A"
R=$(device_poll "$DC" "$MS/organizations/oauth2/v2.0/token" "$PUB")
AT1=$(json access_token <<<"$R"); RT1=$(json refresh_token <<<"$R"); remember "$AT1"; remember "$RT1"
[[ -n $AT1 && -n $RT1 && $(json token_type <<<"$R") == Bearer && $(json expires_in <<<"$R") == 3600 ]]
check "device grant gives access and refresh tokens" $? "$R"
R=$(device_poll "$DC" "$MS/organizations/oauth2/v2.0/token" "$PUB")
[[ -n $(json error <<<"$R") && -z $(json access_token <<<"$R") ]]; check "the device code is spent after use" $? "$R"

"$CTL" settings device_slow_down_polls=1 >/dev/null
R=$(oc "$MAILLAB_OAUTH_DEVICE_URL" --data-urlencode "client_id=$PUB" </dev/null)
R=$(device_poll "$(json device_code <<<"$R")" "$MAILLAB_OAUTH_TOKEN_URL" "$PUB")
E=$("$CTL" events --type device_poll)
[[ $(json error <<<"$R") == slow_down && ${E##*\{} == *'"early":false'* ]]
check "settings device_slow_down_polls=1: the first poll gets slow_down though not early" $? "$R $E"
"$CTL" settings device_slow_down_polls=0 >/dev/null

# ------------------------------------------------------------------ logins with a token
# mail_curl EXPECTED-RC NAME TOKEN USER URL [curl args]: a login (+ command) with the token as bearer.
mail_curl() {
    local want=$1 name=$2 tok=$3 user=$4 url=$5 got
    shift 5
    OUT=$(printf 'oauth2-bearer = "%s"\n' "$tok" | oc -v -u "$user:" "$url" "$@" 2>&1)
    got=$?
    if ((got == want)); then ok "$name (exit $got)"; else bad "$name: exit $got, expected $want" "$(grep -E '^[<>] |curl:' <<<"$OUT")"; fi
    return $((got != want))
}
mechanism() { grep -oE '^> ([A-Z0-9]+ )?(AUTHENTICATE|AUTH) [A-Z0-9-]+' <<<"$OUT" | awk '{ print $NF }' | head -n 1; }
printf '%s\r\n' "From: <$U1>" "To: <$U1>" "Subject: oauth lab selftest" "" "Sent with a token." >"$TMPD/msg"
mail_curl 0 "IMAPS login with the token (OAUTHBEARER)" "$AT1" "$U1" "imaps://$H:$MAILLAB_IMAPS_PORT/" \
    --login-options AUTH=OAUTHBEARER && { [[ $(mechanism) == OAUTHBEARER && $OUT == *INBOX* ]]; check "  mechanism OAUTHBEARER, LIST shows INBOX" $?; }
mail_curl 0 "POP3S login with the token (OAUTHBEARER)" "$AT1" "$U1" "pop3s://$H:$MAILLAB_POP3S_PORT/" \
    --login-options AUTH=OAUTHBEARER && { [[ $(mechanism) == OAUTHBEARER ]]; check "  mechanism OAUTHBEARER" $?; }
mail_curl 0 "submission (STARTTLS) with the token (OAUTHBEARER)" "$AT1" "$U1" "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" \
    --ssl-reqd --login-options AUTH=OAUTHBEARER --mail-from "$U1" --mail-rcpt "$U1" -T "$TMPD/msg" &&
    { [[ $(mechanism) == OAUTHBEARER ]]; check "  mechanism OAUTHBEARER" $?; }
mail_curl 0 "SMTPS with the token" "$AT1" "$U1" "smtps://$H:$MAILLAB_SMTPS_PORT/localhost" \
    --mail-from "$U1" --mail-rcpt "$U1" -T "$TMPD/msg"
mail_curl 67 "the token does not open another mailbox (user2)" "$AT1" "$U2" "imaps://$H:$MAILLAB_IMAPS_PORT/"

# The curl command line cannot force XOAUTH2 where OAUTHBEARER is offered (curl issue 10259: its
# --oauth2-bearer sets CURLAUTH_BEARER, which overrides --login-options), so XOAUTH2 on the main
# instance is spoken with openssl s_client. sasl PROTO PORT MECH USER TOKEN [separate]:
# RESULT = OK or the refusal line, CHALLENGE = the decoded failure challenge (JSON), if any.
sasl() {
    local proto=$1 port=$2 mech=${3:-} user=${4:-} tok=${5:-} separate=${6:-} ir line tls=() first=1
    if [[ $mech == XOAUTH2 ]]; then ir=$(printf 'user=%s\001auth=Bearer %s\001\001' "$user" "$tok" | base64 -w0)
    else ir=$(printf 'n,a=%s,\001auth=Bearer %s\001\001' "$user" "$tok" | base64 -w0); fi
    [[ $proto == smtp ]] && tls=(-starttls smtp)
    RESULT= CHALLENGE=
    coproc SASL { exec timeout 15 openssl s_client -quiet -connect "$H:$port" "${tls[@]}" -servername localhost \
        -CAfile "$MAILLAB_CA" -verify_return_error 2>/dev/null; }
    local in=${SASL[0]} outfd=${SASL[1]} pid=$SASL_PID
    say() { printf '%s\r\n' "$1" >&"$outfd"; }
    readl() { IFS= read -r -t 10 -u "$in" line || return 1; line=${line%$'\r'}; }
    case $proto in
        greet) readl && RESULT=$line ;;  # the first line only
        imap)
            readl
            say "a AUTHENTICATE $mech $ir"
            while readl; do
                if [[ $line == '+'* ]]; then CHALLENGE=$(base64 -d <<<"${line#+ }" 2>/dev/null); say ''
                elif [[ $line == 'a OK'* ]]; then RESULT=OK; break
                elif [[ $line == 'a '* ]]; then RESULT=$line; break; fi
            done
            say 'b LOGOUT' ;;
        pop3)
            readl
            if [[ -n $separate ]]; then say "AUTH $mech"; else say "AUTH $mech $ir"; fi
            while readl; do
                if [[ $line == '+OK'* ]]; then RESULT=OK; break
                elif [[ $line == '-ERR'* ]]; then RESULT=$line; break
                elif [[ $line == '+'* && -n $separate && $first == 1 ]]; then first=0; say "$ir"
                elif [[ $line == '+'* ]]; then CHALLENGE=$(base64 -d <<<"${line#+ }" 2>/dev/null); say ''; fi
            done
            say QUIT ;;
        smtp)
            say 'EHLO localhost'
            while readl && [[ $line != '250 '* ]]; do :; done
            say "AUTH $mech $ir"
            while readl; do
                if [[ $line == 235* ]]; then RESULT=OK; break
                elif [[ $line == 334* ]]; then CHALLENGE=$(base64 -d <<<"${line#334 }" 2>/dev/null); say ''
                else RESULT=$line; break; fi
            done
            say QUIT ;;
    esac
    exec {outfd}>&-
    [[ $proto == greet ]] && kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    [[ -n $RESULT ]] || RESULT="no answer"
}
sasl imap "$MAILLAB_IMAPS_PORT" XOAUTH2 "$U1" "$AT1"
[[ $RESULT == OK ]]; check "IMAPS login with the token (XOAUTH2)" $? "$RESULT"
sasl pop3 "$MAILLAB_POP3S_PORT" XOAUTH2 "$U1" "$AT1"
[[ $RESULT == OK ]]; check "POP3S login with the token (XOAUTH2)" $? "$RESULT"
sasl smtp "$MAILLAB_SUBMISSION_PORT" XOAUTH2 "$U1" "$AT1"
[[ $RESULT == OK ]]; check "submission login with the token (XOAUTH2)" $? "$RESULT"

# ------------------------------------------------------------------ refresh with rotation
refresh() { # TOKEN_URL CLIENT REFRESH_TOKEN [secret]
    { cfg_data "refresh_token=$3"; [[ -n ${4:-} ]] && cfg_data "client_secret=$4"; } |
        oc "$1" --data-urlencode grant_type=refresh_token --data-urlencode "client_id=$2"
}
"$CTL" reset >/dev/null
R=$(refresh "$MS/common/oauth2/v2.0/token" "$PUB" "$RT1")
AT2=$(json access_token <<<"$R"); RT2=$(json refresh_token <<<"$R"); remember "$AT2"; remember "$RT2"
[[ -n $AT2 && -n $RT2 && $RT2 != "$RT1" && $AT2 != "$AT1" ]]; check "refresh gives a new access token and a new refresh token" $? "$R"
R=$(refresh "$MS/common/oauth2/v2.0/token" "$PUB" "$RT1")
[[ $(json error <<<"$R") == invalid_grant && $(json error_description <<<"$R") == *'already used'* ]]
check "the old refresh token is refused after use (invalid_grant, says it was already used)" $? "$R"
C=$("$CTL" counters)
[[ $C == *"\"$PUB\":{"*'"refresh_ok":1'* && $C == *'"refresh_refused":1'* ]]
check "counters: exactly one refresh, one refused refresh" $? "$C"
E=$("$CTL" events --type token_error)
[[ $E == *'"refresh_token_state":"used"'* ]]; check "event log: the refused refresh token was a used one" $? "$E"
mail_curl 0 "IMAPS login with the refreshed token" "$AT2" "$U1" "imaps://$H:$MAILLAB_IMAPS_PORT/"
# Four refreshes at once with one refresh token: exactly one wins (the token endpoint is serialized).
for i in 1 2 3 4; do refresh "$MAILLAB_OAUTH_TOKEN_URL" "$PUB" "$RT2" >"$TMPD/race$i" & done
wait
wins=0 losses=0
for i in 1 2 3 4; do
    if [[ -n $(json access_token <"$TMPD/race$i") ]]; then wins=$((wins + 1)); RT3=$(json refresh_token <"$TMPD/race$i"); remember "$RT3"
    elif [[ $(json error <"$TMPD/race$i") == invalid_grant ]]; then losses=$((losses + 1)); fi
    remember "$(json access_token <"$TMPD/race$i")"
done
((wins == 1 && losses == 3)); check "four simultaneous refreshes with one token: 1 success, 3 invalid_grant" $? "wins $wins, losses $losses"
T=$("$CTL" tokens --user "$U1" --client "$PUB")
[[ $(grep -o '"refresh":"active"' <<<"$T" | wc -l) == 1 ]]; check "one active refresh token left in the family" $? "$T"

# ------------------------------------------------------------------ authorization code + PKCE (Google layout)
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
VERIFIER=$(openssl rand 48 | b64url)
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | b64url)
STATE=$(openssl rand -hex 8)
enc() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/../%&/g'; }
auth_url() { # BASE CLIENT REDIRECT SCOPE [challenge] [method]
    printf '%s?response_type=code&client_id=%s&redirect_uri=%s&scope=%s&state=%s' "$1" "$2" "$(enc "$3")" "$(enc "$4")" "$STATE"
    [[ -n ${5:-} ]] && printf '&code_challenge=%s' "$5"
    [[ -n ${6:-} ]] && printf '&code_challenge_method=%s' "$6"
}
REDIR="http://127.0.0.1:$((40000 + RANDOM % 20000))/callback"
URL=$(auth_url "$GOOG/o/oauth2/v2/auth" "$PUB" "$REDIR" 'https://mail.google.com/' "$CHALLENGE" S256)
P=$(oc "$URL" </dev/null)
[[ $P == *'<form method="post">'* && $P == *"$PUB"* ]]; check "authorization page (GET /o/oauth2/v2/auth) asks the person to sign in" $? "$P"
R=$("$CTL" authorize "$URL" "$U2")
LOC=$(json location <<<"$R")
CODE=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$LOC"); remember "$CODE"
[[ $LOC == "$REDIR?"* && $LOC == *"state=$STATE"* && -n $CODE ]]
check "person signs in as user2 (control.sh authorize): redirect to the loopback URI with code and state" $? "$R"
exchange() { # TOKEN_URL CLIENT CODE VERIFIER REDIRECT [secret]
    { cfg_data "code=$3"; [[ -n $4 ]] && cfg_data "code_verifier=$4"; [[ -n ${6:-} ]] && cfg_data "client_secret=$6"; } |
        oc "$1" --data-urlencode grant_type=authorization_code --data-urlencode "client_id=$2" --data-urlencode "redirect_uri=$5"
}
R=$(exchange "$GOOG/token" "$PUB" "$CODE" "wrong-$VERIFIER" "$REDIR")
[[ $(json error <<<"$R") == invalid_grant ]]; check "code exchange with a wrong code_verifier: invalid_grant" $? "$R"
R=$(exchange "$GOOG/token" "$PUB" "$CODE" "$VERIFIER" "$REDIR")
ATC=$(json access_token <<<"$R"); RTC=$(json refresh_token <<<"$R"); remember "$ATC"; remember "$RTC"
[[ -n $ATC && -n $RTC ]]; check "code exchange with the code_verifier at /token (Google layout)" $? "$R"
mail_curl 0 "IMAPS login as user2 with the code-flow token" "$ATC" "$U2" "imaps://$H:$MAILLAB_IMAPS_PORT/"
R=$(exchange "$GOOG/token" "$PUB" "$CODE" "$VERIFIER" "$REDIR")
[[ $(json error <<<"$R") == invalid_grant ]]; check "the code used twice: invalid_grant" $? "$R"
mail_curl 67 "  and the tokens of its first use are revoked" "$ATC" "$U2" "imaps://$H:$MAILLAB_IMAPS_PORT/"
R=$("$CTL" authorize "$(auth_url "$MAILLAB_OAUTH_AUTHORIZE_URL" "$PUB" "$REDIR" mail)" "$U2")
[[ $R == *'code_challenge'* && $(json location <<<"$R") == *error=invalid_request* ]]
check "authorization without PKCE refused (invalid_request)" $? "$R"
R=$("$CTL" authorize "$(auth_url "$MAILLAB_OAUTH_AUTHORIZE_URL" "$PUB" "$REDIR" mail "$VERIFIER" plain)" "$U2")
[[ $(json location <<<"$R") == *error=invalid_request* ]]; check "PKCE method plain refused (S256 only)" $? "$R"
R=$("$CTL" authorize "$(auth_url "$MAILLAB_OAUTH_AUTHORIZE_URL" "$PUB" "https://example.org/cb" mail "$CHALLENGE" S256)" "$U2")
(($? != 0)) && [[ $R == *'not supported by client'* ]]; check "a redirect URI that is not loopback refused" $? "$R"
R=$("$CTL" deny-authorize "$(auth_url "$MAILLAB_OAUTH_AUTHORIZE_URL" "$PUB" "$REDIR" mail "$CHALLENGE" S256)")
[[ $(json location <<<"$R") == *error=access_denied* ]]; check "the person denies: redirect with access_denied" $? "$R"

# The person in a browser: the sign-in form, then the redirect is followed to the client's loopback
# listener (a one-shot HTTP server on a free port, playing mailsh's listener).
start_listener() { # a one-shot HTTP listener on a free loopback port: LPORT; the request path lands in listener.path
    rm -f "$TMPD/listener.port" "$TMPD/listener.path"
    "$PY" -c '
import http.server, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open(sys.argv[2], "w").write(self.path)
        self.send_response(200); self.send_header("Content-Type", "text/plain"); self.end_headers()
        self.wfile.write(b"signed in, you can close this window")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
s.timeout = 60  # gives up if no browser ever comes
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1])); import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.handle_request()
'  "$TMPD/listener.port" "$TMPD/listener.path" &
    LISTENER=$!
    for _ in $(seq 200); do [[ -s $TMPD/listener.port ]] && break; sleep 0.05; done
    LPORT=$(cat "$TMPD/listener.port" 2>/dev/null)
}
start_listener
REDIR2="http://127.0.0.1:$LPORT/"
URL=$(auth_url "$MS/common/oauth2/v2.0/authorize" "$CONF" "$REDIR2" "$MS_SCOPES" "$CHALLENGE" S256)
LOC=$({ cfg_data "username=$U3" "password=$MAILLAB_PASSWORD"; } | oc -o /dev/null -w '%{redirect_url}' "$URL" \
    --data-urlencode decision=allow)
[[ $LOC == "$REDIR2?"*"state=$STATE"* ]]; check "browser sign-in form (Microsoft layout) as user3: redirect" $? "$LOC"
R=$(oc -o /dev/null -w '%{http_code}' "$LOC" </dev/null)
wait "$LISTENER" 2>/dev/null; LISTENER=
CODE3=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' "$TMPD/listener.path" 2>/dev/null); remember "$CODE3"
[[ $R == 200 && -n $CODE3 ]]; check "the browser follows the redirect to the client's loopback port $LPORT" $? "status $R"
printf 'user = "%s:%s"\n' "$CONF" "$MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET" >"$TMPD/basic"
R=$({ cat "$TMPD/basic"; cfg_data "code=$CODE3" "code_verifier=$VERIFIER"; } |
    oc "$MS/common/oauth2/v2.0/token" --data-urlencode grant_type=authorization_code --data-urlencode "redirect_uri=$REDIR2")
AT3=$(json access_token <<<"$R"); remember "$AT3"; remember "$(json refresh_token <<<"$R")"
[[ -n $AT3 ]]; check "confidential client exchanges the code (client_secret_basic)" $? "$R"
mail_curl 0 "IMAPS login as user3 with that token" "$AT3" "$U3" "imaps://$H:$MAILLAB_IMAPS_PORT/"
start_listener
R=$("$CTL" authorize "$(auth_url "$MAILLAB_OAUTH_AUTHORIZE_URL" "$PUB" "http://127.0.0.1:$LPORT/cb" mail "$CHALLENGE" S256)" "$U3" --follow)
rc=$?
wait "$LISTENER" 2>/dev/null; LISTENER=
[[ $rc == 0 && $(json followed_status <<<"$R") == 200 && $(cat "$TMPD/listener.path" 2>/dev/null) == /cb\?code=*"state=$STATE"* ]]
check "control.sh authorize --follow: the lab delivers the redirect to the client's listener" $? "$R"
R=$("$CTL" authorize "$(auth_url "$MAILLAB_OAUTH_AUTHORIZE_URL" "$PUB" "http://[::1]:50123/" mail "$CHALLENGE" S256)" "$U3")
[[ $(json location <<<"$R") == 'http://[::1]:50123/?code='* ]]; check "an IPv6 loopback redirect URI is accepted too" $? "$R"

# ------------------------------------------------------------------ client credentials (app flow)
R=$({ cat "$TMPD/basic"; } | oc "$MS/contoso.example/oauth2/v2.0/token" --data-urlencode grant_type=client_credentials \
    --data-urlencode 'scope=https://outlook.office365.com/.default')
ATA=$(json access_token <<<"$R"); remember "$ATA"
[[ -n $ATA && -z $(json refresh_token <<<"$R") ]]; check "client credentials (client_secret_basic, .default scope): no refresh token" $? "$R"
R=$(cfg_data "client_secret=$MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET" | oc "$MAILLAB_OAUTH_TOKEN_URL" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$CONF")
[[ -n $(json access_token <<<"$R") ]]; check "client credentials (client_secret_post)" $? "$R"; remember "$(json access_token <<<"$R")"
R=$(cfg_data "client_secret=wrong" | oc "$MAILLAB_OAUTH_TOKEN_URL" \
    --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$CONF")
[[ $(json error <<<"$R") == invalid_client ]]; check "a wrong client secret: invalid_client" $? "$R"
R=$(oc "$MAILLAB_OAUTH_TOKEN_URL" --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$PUB" </dev/null)
[[ -n $(json error <<<"$R") && -z $(json access_token <<<"$R") ]]; check "the public client gets no client-credentials token" $? "$R"
mail_curl 0 "IMAPS login to the app mailbox ($MAILLAB_OAUTH_APP_USER) with the app token" "$ATA" "$MAILLAB_OAUTH_APP_USER" "imaps://$H:$MAILLAB_IMAPS_PORT/"
mail_curl 0 "submission as the app mailbox with the app token" "$ATA" "$MAILLAB_OAUTH_APP_USER" \
    "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" --ssl-reqd --mail-from "$MAILLAB_OAUTH_APP_USER" --mail-rcpt "$U1" -T "$TMPD/msg"

# ------------------------------------------------------------------ introspection
introspect() { # TOKEN -> JSON (the confidential client introspects its own tokens)
    { cat "$TMPD/basic"; cfg_data "token=$1"; } | oc "$MAILLAB_OAUTH_INTROSPECT_URL"
}
R=$(introspect "$ATA")
[[ $(json active <<<"$R") == true && $(json token_type <<<"$R") == Bearer && $(json username <<<"$R") == "$MAILLAB_OAUTH_APP_USER" &&
   $(json scope <<<"$R") == mail && $R != *'{'*'{'* ]]
check "introspection (RFC 7662): flat, active, Bearer, username, scope mail" $? "$R"
R=$(cfg_data "token=$ATA" | oc "$MAILLAB_OAUTH_INTROSPECT_URL" --data-urlencode "client_id=$PUB")
[[ $(json error <<<"$R") == invalid_client ]]; check "the public client may not introspect" $? "$R"

# ------------------------------------------------------------------ revocation (RFC 7009)
R=$(cfg_data "token=$RT3" | oc -w '%{http_code}' "$MAILLAB_OAUTH_REVOKE_URL" --data-urlencode "client_id=$PUB" \
    --data-urlencode token_type_hint=refresh_token)
[[ $R == *200 ]]; check "the public client revokes its refresh token" $? "$R"
R=$(refresh "$MAILLAB_OAUTH_TOKEN_URL" "$PUB" "$RT3")
[[ $(json error <<<"$R") == invalid_grant && $(json error_description <<<"$R") == *revoked* ]]; check "  refresh with it: invalid_grant, revoked" $? "$R"
mail_curl 67 "  its access tokens are refused by Dovecot" "$AT2" "$U1" "imaps://$H:$MAILLAB_IMAPS_PORT/"
R=$({ cat "$TMPD/basic"; cfg_data "token=$ATA"; } | oc -w '%{http_code}' "$MAILLAB_OAUTH_REVOKE_URL" --data-urlencode token_type_hint=access_token)
[[ $R == *200 ]]; check "the confidential client revokes its app access token" $? "$R"
R=$(introspect "$ATA")
[[ $(json active <<<"$R") == false ]]; check "  introspection: inactive" $? "$R"
mail_curl 67 "  IMAPS login with it refused" "$ATA" "$MAILLAB_OAUTH_APP_USER" "imaps://$H:$MAILLAB_IMAPS_PORT/"

# ------------------------------------------------------------------ a fresh device sign-in for user4 (confidential client)
device_signin() { # CLIENT USER SCOPE -> AT, RT (secret for the confidential client through the basic file)
    local d dc uc r auth=()
    if [[ $1 == "$CONF" ]]; then
        d=$(cat "$TMPD/basic" | oc "$MAILLAB_OAUTH_DEVICE_URL" --data-urlencode "scope=$3")
    else
        d=$(oc "$MAILLAB_OAUTH_DEVICE_URL" --data-urlencode "client_id=$1" --data-urlencode "scope=$3" </dev/null)
    fi
    dc=$(json device_code <<<"$d"); uc=$(json user_code <<<"$d"); remember "$dc"
    "$CTL" approve "$uc" "$2" >/dev/null || return 1
    if [[ $1 == "$CONF" ]]; then
        r=$({ cat "$TMPD/basic"; cfg_data "device_code=$dc"; } | oc "$MAILLAB_OAUTH_TOKEN_URL" \
            --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:device_code)
    else
        r=$(device_poll "$dc" "$MAILLAB_OAUTH_TOKEN_URL" "$1")
    fi
    AT=$(json access_token <<<"$r"); RT=$(json refresh_token <<<"$r"); remember "$AT"; remember "$RT"
    [[ -n $AT ]]
}
device_signin "$CONF" "$U4" "mail offline_access"; check "device flow with the confidential client (user4)" $?
AT4=$AT RT4=$RT
R=$(introspect "$RT4")
[[ $(json active <<<"$R") == false ]]; check "introspection reports a refresh token inactive" $? "$R"
mail_curl 67 "a refresh token is no bearer token for Dovecot" "$RT4" "$U4" "imaps://$H:$MAILLAB_IMAPS_PORT/"

R=$(oc "$MAILLAB_OAUTH_DEVICE_URL" --data-urlencode "client_id=$PUB" </dev/null)
DC=$(json device_code <<<"$R"); UC=$(json user_code <<<"$R"); remember "$DC"
P=$("$CTL" pending)
[[ $P == *"\"user_code\":\"$UC\""* ]]; check "control.sh pending lists the waiting user code" $? "$P"
SEQ=$(json last <<<"$("$CTL" events --type none)")
"$CTL" wait-event device_denied --after "$SEQ" --timeout 60 >"$TMPD/waited" &
WAITER=$!
"$CTL" deny latest "$U4" >/dev/null
wait "$WAITER"; rc=$?
[[ $rc == 0 && $(cat "$TMPD/waited") == *'"user_code":"'"$UC"'"'* ]]
check "control.sh wait-event returns once the event happens (device_denied)" $? "$(cat "$TMPD/waited")"
R=$(device_poll "$DC" "$MAILLAB_OAUTH_TOKEN_URL" "$PUB")
[[ $(json error <<<"$R") == access_denied ]]; check "the person denied: the client gets access_denied" $? "$R"

# ------------------------------------------------------------------ expiry
R=$("$CTL" expire --user "$U4"); [[ $(json expired <<<"$R") -ge 1 ]]; check "control.sh expire --user user4" $? "$R"
mail_curl 67 "an expired token is refused (IMAPS)" "$AT4" "$U4" "imaps://$H:$MAILLAB_IMAPS_PORT/"
sasl smtp "$MAILLAB_SUBMISSION_PORT" XOAUTH2 "$U4" "$AT4"
[[ $RESULT == 535* && $CHALLENGE == *'"status":"401"'* ]]; check "an expired token is refused (submission, XOAUTH2 challenge status 401)" $? "$RESULT $CHALLENGE"
R=$(refresh "$MAILLAB_OAUTH_TOKEN_URL" "$CONF" "$RT4" "$MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET")
AT4=$(json access_token <<<"$R"); remember "$AT4"; remember "$(json refresh_token <<<"$R")"
[[ -n $AT4 ]]; check "the refresh token still works after the access token expired (client_secret_post)" $? "$R"
mail_curl 0 "  and the new access token logs in" "$AT4" "$U4" "imaps://$H:$MAILLAB_IMAPS_PORT/"
R=$("$CTL" lifetime 1); [[ $(json access_token_lifetime <<<"$R") == 1 ]]; check "control.sh lifetime 1" $? "$R"
device_signin "$CONF" "$U4" "mail"
[[ -n $AT ]]; check "a token issued with a 1 s lifetime" $?
AT5=$AT
for _ in $(seq 100); do [[ $(introspect "$AT5" | json active) == false ]] && break; sleep 0.1; done
R=$(introspect "$AT5"); [[ $(json active <<<"$R") == false ]]; check "  it expires by itself (introspection inactive)" $? "$R"
mail_curl 67 "  and Dovecot refuses it" "$AT5" "$U4" "imaps://$H:$MAILLAB_IMAPS_PORT/"
"$CTL" lifetime 3600 >/dev/null
device_signin "$PUB" "$U5" "mail"
RT6=$RT
"$CTL" expire --user "$U5" --refresh >/dev/null
R=$(refresh "$MAILLAB_OAUTH_TOKEN_URL" "$PUB" "$RT6")
E=$("$CTL" events --type token_error)
[[ $(json error <<<"$R") == invalid_grant && ${E##*\{} == *'"refresh_token_state":"expired"'* ]]
check "control.sh expire --refresh: the refresh token is refused as expired" $? "$R"

# ------------------------------------------------------------------ wrong scope
device_signin "$PUB" "$U4" "openid"; check "a token with only the openid scope" $?
sasl imap "$MAILLAB_IMAPS_PORT" XOAUTH2 "$U4" "$AT"
[[ $RESULT == 'a NO'* && $CHALLENGE == *'"status":"401"'* && $CHALLENGE == *'"scope":"mail"'* ]]
check "wrong scope refused (IMAPS XOAUTH2), the challenge names scope mail" $? "$RESULT $CHALLENGE"
sasl imap "$MAILLAB_IMAPS_PORT" OAUTHBEARER "$U4" "$AT"
[[ $RESULT == 'a NO'* && $CHALLENGE == *'"status":"invalid_token"'* ]]
check "wrong scope refused (IMAPS OAUTHBEARER), challenge invalid_token" $? "$RESULT $CHALLENGE"
mail_curl 67 "wrong scope refused (POP3S)" "$AT" "$U4" "pop3s://$H:$MAILLAB_POP3S_PORT/"

# ------------------------------------------------------------------ the XOAUTH2-only instance (Exchange Online)
sasl greet "$MAILLAB_OAUTH_XOAUTH2_ONLY_IMAPS_PORT"
g=$RESULT
[[ $g == *AUTH=XOAUTH2* && $g == *AUTH=PLAIN* && $g != *OAUTHBEARER* ]]; check "XOAUTH2-only IMAPS offers PLAIN and XOAUTH2 only" $? "$g"
mail_curl 0 "XOAUTH2-only IMAPS: login with the token" "$AT4" "$U4" "imaps://$H:$MAILLAB_OAUTH_XOAUTH2_ONLY_IMAPS_PORT/" \
    --login-options AUTH=XOAUTH2 && { [[ $(mechanism) == XOAUTH2 ]]; check "  mechanism XOAUTH2" $?; }
mail_curl 0 "XOAUTH2-only POP3S: login with the token" "$AT4" "$U4" "pop3s://$H:$MAILLAB_OAUTH_XOAUTH2_ONLY_POP3S_PORT/" \
    --login-options AUTH=XOAUTH2 && { [[ $(mechanism) == XOAUTH2 ]]; check "  mechanism XOAUTH2" $?; }
mail_curl 0 "XOAUTH2-only submission: send with the token" "$AT4" "$U4" "smtp://$H:$MAILLAB_OAUTH_XOAUTH2_ONLY_SUBMISSION_PORT/localhost" \
    --ssl-reqd --login-options AUTH=XOAUTH2 --mail-from "$U4" --mail-rcpt "$U4" -T "$TMPD/msg" &&
    { [[ $(mechanism) == XOAUTH2 && $OUT != *OAUTHBEARER* ]]; check "  mechanism XOAUTH2, no OAUTHBEARER offered" $?; }
sasl pop3 "$MAILLAB_OAUTH_XOAUTH2_ONLY_POP3S_PORT" XOAUTH2 "$U4" "$AT4" separate
[[ $RESULT == OK ]]; check "XOAUTH2-only POP3S: token on its own line after AUTH XOAUTH2 (Exchange's way)" $? "$RESULT"
sasl imap "$MAILLAB_OAUTH_XOAUTH2_ONLY_IMAPS_PORT" OAUTHBEARER "$U4" "$AT4"
[[ $RESULT == 'a NO'* || $RESULT == 'a BAD'* ]]; check "XOAUTH2-only IMAPS refuses OAUTHBEARER" $? "$RESULT"
sasl smtp "$MAILLAB_OAUTH_XOAUTH2_ONLY_SUBMISSION_PORT" OAUTHBEARER "$U4" "$AT4"
[[ $RESULT == 5* ]]; check "XOAUTH2-only submission refuses OAUTHBEARER" $? "$RESULT"
sasl imap "$MAILLAB_OAUTH_XOAUTH2_ONLY_IMAPS_PORT" XOAUTH2 "$U4" "$AT5"
[[ $RESULT == 'a NO'* && $CHALLENGE == *'"status":"401"'* ]]; check "XOAUTH2-only IMAPS refuses an expired token" $? "$RESULT $CHALLENGE"

# ------------------------------------------------------------------ revoke everything of a user
R=$("$CTL" revoke --user "$U4"); [[ $(json revoked <<<"$R") -ge 1 ]]; check "control.sh revoke --user user4" $? "$R"
mail_curl 67 "a revoked token is refused (IMAPS)" "$AT4" "$U4" "imaps://$H:$MAILLAB_IMAPS_PORT/"
mail_curl 67 "a revoked token is refused (XOAUTH2-only POP3S)" "$AT4" "$U4" "pop3s://$H:$MAILLAB_OAUTH_XOAUTH2_ONLY_POP3S_PORT/"

# ------------------------------------------------------------------ passwords still work
pw_curl() { local name=$1; shift; OUT=$(printf 'user = "%s:%s"\n' "$U1" "$MAILLAB_PASSWORD" | oc "$@" 2>&1); check "$name" $? "$OUT"; }
pw_curl "password login still works (IMAPS)" "imaps://$H:$MAILLAB_IMAPS_PORT/"
pw_curl "password login still works (POP3S)" "pop3s://$H:$MAILLAB_POP3S_PORT/"
pw_curl "password login still works (submission)" --ssl-reqd "smtp://$H:$MAILLAB_SUBMISSION_PORT/localhost" \
    --mail-from "$U1" --mail-rcpt "$U1" -T "$TMPD/msg"
pw_curl "password login works on the XOAUTH2-only IMAPS (PLAIN)" "imaps://$H:$MAILLAB_OAUTH_XOAUTH2_ONLY_IMAPS_PORT/"
OUT=$(printf 'user = "%s:wrong"\n' "$U1" | oc "imaps://$H:$MAILLAB_IMAPS_PORT/" 2>&1)
[[ $? == 67 ]]; check "a wrong password is still refused" $? "$OUT"

# ------------------------------------------------------------------ admin guard, logs
R=$(printf 'header = "X-Lab-Admin-Token: wrong"\n' | oc -o /dev/null -w '%{http_code}' "$MAILLAB_OAUTH_ADMIN_URL/counters")
[[ $R == 403 ]]; check "the control endpoints refuse a wrong admin token (403)" $? "$R"
MD=$MAILLAB_MAILDIR_ROOT/$U1/Maildir
n=0
for _ in $(seq 100); do n=$(grep -l -s 'Sent with a token' "$MD"/new/* "$MD"/cur/* | wc -l); ((n >= 4)) && break; sleep 0.05; done
((n >= 4)); check "mail sent with tokens delivered to user1 ($n messages)" $?
logerr=$(grep -hE ': (Error|Fatal|Panic|fatal|panic|error): ' "$MAILLAB_DIR"/log/dovecot-*.log "$MAILLAB_DIR/log/postfix.log" 2>/dev/null)
[[ -z $logerr ]]; check "no errors in the Dovecot and Postfix logs" $? "$logerr"
leaks=0
for s in "${SECRETS[@]}" "$MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET" "$MAILLAB_OAUTH_ADMIN_TOKEN"; do
    [[ -n $s ]] || continue
    grep -rqF -- "$s" "$MAILLAB_DIR/log" && leaks=$((leaks + 1))
done
((leaks == 0)); check "no token or secret in the lab's logs (${#SECRETS[@]} tokens checked)" $? "$leaks found"

# ------------------------------------------------------------------ stop
PORTS=($MAILLAB_PORTS)
t=$(now)
errs=$("$LABS/stop.sh" "$LAB" 2>&1); rc=$?
check "stop.sh in $(since "$t") s" $rc "$errs"
[[ ! -e $LAB ]]; check "lab folder removed" $?
# (from /proc: procps may be missing) processes naming the lab folder or sitting in it
# ("[/]": grep's own command line holds the pattern, which then does not match itself)
left=$(grep -lsE -- "${LAB}[/]" /proc/[0-9]*/cmdline
    find /proc/[0-9]*/ -maxdepth 1 \( -name cwd -o -name root \) \
    \( -lname "$LAB" -o -lname "$LAB/*" \) 2>/dev/null)
[[ -z $left ]]; check "no process of the lab left (OAuth server included)" $? "$left"
open=()
for p in "${PORTS[@]}"; do timeout 2 bash -c "exec 3<>/dev/tcp/$H/$p" 2>/dev/null && open+=("$p"); done
((${#open[@]} == 0)); check "no lab port accepts (${#PORTS[@]} ports, OAuth's included)" $? "open: ${open[*]}"
LAB=

echo "timing: $(since "$T_ALL") s in all"
echo "$PASS passed, $FAIL failed"
((FAIL == 0))
