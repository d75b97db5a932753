#!/usr/bin/env bash
# Real mail from public sources for RealCorpusTests, reproducibly from Debian 12's packages (downloaded with
# apt-get download at the pinned versions below and unpacked with dpkg-deb -x into a folder; nothing is installed
# but Debian's python3):
#   libpython3.11-testsuite        CPython's email test messages (test_email/data/msg_*.txt)
#   golang-github-jhillyerd-enmime-dev  enmime's test mail (testdata/mail, testdata/low-quality)
#   python3-flufl.bounce           bounces from many MTAs (flufl/bounce/tests/data)
#   python3-django-hyperkitty      HyperKitty's archive test messages (hyperkitty/tests/testdata)
#   mailman3                       Mailman's test messages (mailman/*/tests/data/*.eml)
#   golang-github-gatherstars-com-jwz-dev  jwz threading's test mail: 2,403 messages of the SpamAssassin public
#                                  corpus (ham of 2002 mailing lists and people); every 8th by name is taken
#   spamassassin                   its example messages (sample-spam.txt, sample-nonspam.txt)
# What is taken is pinned twice: by package version, and file by file by real-corpus.sha256 (name and SHA-256 of
# every message). When Debian no longer serves a pinned version (a point release replaced it), the version it serves
# is taken instead, and it must hold the very same messages: any message missing or changed fails the script.
# Then real-corpus-peer.py (Debian's /usr/bin/python3: its email package, policy.default) writes expected.json
# beside the messages.
# Usage: fetch-real-corpus.sh [DEST]   (default: .build/real-mail-corpus in the package). Prints DEST.
#        REAL_CORPUS_WRITE_MANIFEST=1 fetch-real-corpus.sh   rewrites real-corpus.sha256 from what it unpacked
#        (after a deliberate change of the packages or the selection below).
# A no-op when DEST/expected.json exists for the same manifest, peer and Python.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dest=${1:-$root/.build/real-mail-corpus}
manifest=$here/real-corpus.sha256
packages=(
    libpython3.11-testsuite=3.11.2-6+deb12u8
    golang-github-jhillyerd-enmime-dev=0.9.3-2
    python3-flufl.bounce=4.0-3
    python3-django-hyperkitty=1.3.7-1
    mailman3=3.3.8-2~deb12u2
    golang-github-gatherstars-com-jwz-dev=1.3.0-3
    spamassassin=4.0.1-1~deb12u1
)
python=/usr/bin/python3
write_manifest=${REAL_CORPUS_WRITE_MANIFEST:-0}

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
if [[ ! -x $python ]] || ! dpkg-query -W -f='${Status}' python3 2>/dev/null | grep -q "install ok installed"; then
    echo "fetch-real-corpus: installing python3" >&2
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3 >/dev/null
fi
stamp="$(sha256sum "$manifest" "$here/real-corpus-peer.py" | cut -c1-16 | tr '\n' ' ')$("$python" --version 2>&1)"
if [[ $write_manifest != 1 && -f $dest/expected.json && -f $dest/.stamp && $(cat "$dest/.stamp") == "$stamp" ]]; then
    echo "$dest"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
# apt-get download as _apt needs a folder it may write to (hence 777); one package at a time, so that a pinned
# version Debian no longer serves falls back to the one it serves (checked against the manifest below).
download() { (cd "$work" && apt-get download "$1" >/dev/null 2>&1); }
updated=0
for spec in "${packages[@]}"; do
    name=${spec%%=*}
    if download "$spec"; then continue; fi
    if ((!updated)); then
        $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
        updated=1
        if download "$spec"; then continue; fi
    fi
    echo "fetch-real-corpus: $spec is no longer served; taking $name's current version (its messages are checked)" >&2
    download "$name" || { echo "fetch-real-corpus: apt-get download $name failed" >&2; exit 1; }
done
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
ham=$x/usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham
mapfile -t every8th < <(cd "$ham" && LC_ALL=C ls | LC_ALL=C sort | awk 'NR % 8 == 1')
copy jwz-ham "${every8th[@]/#/$ham/}"
copy spamassassin "$x"/usr/share/doc/spamassassin/examples/sample-{spam,nonspam}.txt

if [[ $write_manifest == 1 ]]; then
    (cd "$dest" && LC_ALL=C ls | LC_ALL=C sort | xargs -d '\n' sha256sum) >"$manifest"
    echo "fetch-real-corpus: wrote $manifest ($(wc -l <"$manifest") messages)" >&2
    stamp="$(sha256sum "$manifest" "$here/real-corpus-peer.py" | cut -c1-16 | tr '\n' ' ')$("$python" --version 2>&1)"
else
    # Exactly the messages of the manifest, byte for byte: nothing missing, changed or added.
    if ! (cd "$dest" && sha256sum --quiet --strict -c "$manifest" >&2); then
        echo "fetch-real-corpus: the unpacked messages differ from $manifest (above)" >&2
        exit 1
    fi
    extra=$(comm -13 <(awk '{print $2}' "$manifest" | LC_ALL=C sort) <(cd "$dest" && LC_ALL=C ls | LC_ALL=C sort))
    if [[ -n $extra ]]; then
        echo "fetch-real-corpus: messages not in $manifest: $extra" >&2
        exit 1
    fi
fi
"$python" "$here/real-corpus-peer.py" "$dest" >"$dest/expected.json"
echo "$stamp" >"$dest/.stamp"
echo "$dest"
