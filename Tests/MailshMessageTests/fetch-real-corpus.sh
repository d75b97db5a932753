#!/usr/bin/env bash
# Real mail from public sources for RealCorpusTests, reproducibly from Debian 12's packages (downloaded with
# apt-get download and unpacked with dpkg-deb -x into a folder; nothing is installed but python3):
#   libpython3.11-testsuite        CPython's email test messages (test_email/data/msg_*.txt)
#   golang-github-jhillyerd-enmime-dev  enmime's test mail (testdata/mail, testdata/low-quality)
#   python3-flufl.bounce           bounces from many MTAs (flufl/bounce/tests/data)
#   python3-django-hyperkitty      HyperKitty's archive test messages (hyperkitty/tests/testdata)
#   mailman3                       Mailman's test messages (mailman/*/tests/data/*.eml)
# Then real-corpus-peer.py (Python's email package, policy.default) writes expected.json beside the messages.
# Usage: fetch-real-corpus.sh [DEST]   (default: .build/real-mail-corpus in the package). Prints DEST.
# A no-op when DEST/expected.json exists and names the same packages.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dest=${1:-$root/.build/real-mail-corpus}
packages=(libpython3.11-testsuite golang-github-jhillyerd-enmime-dev python3-flufl.bounce python3-django-hyperkitty mailman3)
stamp="${packages[*]} $(sha256sum "$here/real-corpus-peer.py" | cut -c1-16)"
if [[ -f $dest/expected.json && -f $dest/.stamp && $(cat "$dest/.stamp") == "$stamp" ]]; then echo "$dest"; exit 0; fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
if ! command -v python3 >/dev/null || ! dpkg-query -W -f='${Status}' python3 2>/dev/null | grep -q "install ok installed"; then
    echo "fetch-real-corpus: installing python3" >&2
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3 >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
if ! (cd "$work" && apt-get download "${packages[@]}" >/dev/null 2>&1); then
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    (cd "$work" && apt-get download "${packages[@]}" >/dev/null 2>&1)
fi
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
rm -rf "$dest"
mkdir -p "$dest"
x=$work/x
copy() { # prefix, files…
    local prefix=$1; shift
    for f in "$@"; do [[ -f $f ]] && cp "$f" "$dest/$prefix-$(basename "$f")"; done
}
copy cpython "$x"/usr/lib/python3.11/test/test_email/data/msg_*.txt
copy enmime-mail "$x"/usr/share/gocode/src/github.com/jhillyerd/enmime/testdata/mail/*
copy enmime-low-quality "$x"/usr/share/gocode/src/github.com/jhillyerd/enmime/testdata/low-quality/*
copy flufl-bounce "$x"/usr/lib/python3/dist-packages/flufl/bounce/tests/data/*.txt
copy hyperkitty "$x"/usr/lib/python3/dist-packages/hyperkitty/tests/testdata/*.txt
copy mailman "$x"/usr/lib/python3/dist-packages/mailman/*/tests/data/*.eml
python3 "$here/real-corpus-peer.py" "$dest" >"$dest/expected.json"
echo "$stamp" >"$dest/.stamp"
echo "$dest"
