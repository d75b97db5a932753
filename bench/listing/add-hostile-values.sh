#!/usr/bin/env bash
# Values mailsh refuses but a store may hold, written in SQL into a store made by make-compare-store.sh, so that
# compare.sh also compares how listings show them: control characters, escape sequences, C1 and bidirectional
# characters, DEL, CR/LF and TAB, an empty host and user, an empty folder, set and unset passwords, every
# padlock, last tests with escapes, a user's own account with a comma, quotes and a C1 character in its name.
#   bench/listing/add-hostile-values.sh STORE     (a SQLite file, or a postgres:// URL: needs psql)
set -euo pipefail
store=$1
esc=$'\e' bel=$'\a' cr=$'\r' lf=$'\n' tab=$'\t' del=$'\x7f' c1=$'\xc2\x85' csi=$'\xc2\x9b' bidi=$'\xe2\x80\xae'
if [[ $store == postgres://* || $store == postgresql://* ]]; then
    blob="'\\x0102'::bytea" run=(psql -q -v ON_ERROR_STOP=1 "$store")
else
    blob="X'0102'" run=(sqlite3 "$store")
fi
"${run[@]}" <<SQL
UPDATE account SET name = 'Desk0000010${esc}]0;title${bel}', in_host = 'evil${esc}[31mhost${lf}${cr}${tab}x',
    out_host = 'bidi${bidi}h${c1}c1 ${del}del', last_test_verdict = 'fail${esc}[2J, "quoted"${cr}${lf}next',
    last_test_ms = 12, last_test_at = 1780000000.5, last_test_user = 'u', lock_in_server = true, lock_oauth = true
    WHERE name = 'Desk0000010';
UPDATE account SET in_host = '', out_host = NULL, in_user = '', in_password = $blob, lock_in_server = true,
    lock_in_credentials = true, lock_out_server = true, lock_out_credentials = true, lock_oauth = true,
    lock_oauth_credentials = true, last_test_verdict = 'ok', last_test_at = NULL, last_test_ms = NULL
    WHERE name = 'Desk0000011';
UPDATE account SET in_folder = '', in_password = $blob, out_password = $blob, lock_out_credentials = true
    WHERE name = 'Desk0000012';
UPDATE account SET in_password = $blob, out_password = $blob, in_folder = 'INBOX'
    WHERE name IN ('Desk0000014', 'Desk0000015', 'Desk0000016');
UPDATE account SET direction = 'outgoing', in_host = NULL, out_password = $blob, out_host = '-${tab}x'
    WHERE name = 'Desk0000017';
UPDATE account SET direction = 'incoming', in_password = $blob, in_host = '=cmd|x,"q"',
    last_test_verdict = '', last_test_ms = 0, last_test_at = 0 WHERE name = 'Desk0000018';
UPDATE account SET in_auth = 'oauth2', out_auth = 'oauth2', oauth_provider = 'generic', oauth_client_id = 'cid'
    WHERE name = 'Desk0000019';
UPDATE account SET in_auth = 'oauth2', out_auth = 'none', oauth_provider = 'microsoft', oauth_flow = 'app',
    oauth_client_id = 'cid', oauth_client_secret = $blob WHERE name = 'Desk0000020';
UPDATE account SET owner = 'bob', name = 'own,"name"${csi}31m' WHERE name = 'Desk0000021';
UPDATE account SET out_display_name = 'disp${esc}[1m${cr}${lf}', out_reply_to = '@x${tab}' WHERE name = 'Desk0000022';
SQL
