#!/usr/bin/env bash
# The store bench/listing/compare.sh compares on: 300 accounts with the awkward values of make-store.lua's quirks
# (305 in all), 60 records, a user (bob) with personal settings and an account of his own, and the audit entries
# all this writes.
#   bench/listing/make-compare-store.sh MAILSH STORE      (STORE: a file path or a postgres:// URL, empty)
set -euo pipefail
mailsh=$1 store=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
m() { "$mailsh" "$@" --store "$store" >/dev/null; }
"$mailsh" store init --store "$store" >/dev/null
"$mailsh" run --store "$store" --max-instructions 0 --max-memory 0 "$root/bench/listing/make-store.lua" 300 Desk quirks 20 >/dev/null
m user add bob email=bob@example.com rights=add_accounts
m account unlock Desk0000001 incoming.server
m personal set Desk0000001 incoming.user=bob incoming.host=imap.bob.example.com --as bob
m personal set Desk0000002 incoming.user=bob --as bob
m account set Desk0000004 outgoing.display_name="Renamed, \"desk\""
m account rename Desk0000004 Desk0000004b
m account lock Desk0000002 credentials
