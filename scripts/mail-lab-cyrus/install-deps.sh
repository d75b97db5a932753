#!/usr/bin/env bash
# Install what the Cyrus + Exim mail lab needs (Debian 12: Cyrus IMAP 3.6, Exim 4.96, openssl, curl).
#
# cyrus-imapd/cyrus-pop3d conflict with Dovecot and exim4-daemon-light with Postfix (the other mail lab's
# servers), and their maintainer scripts would configure and start system services. So the server packages
# are never installed: they are fetched with `apt-get download` and unpacked with `dpkg -x` into a private
# folder (MAILLAB_CYRUS_ROOT, default /opt/mailsh-mail-lab/cyrus-exim), run from there by start.sh.
# Only the shared libraries they link against are installed normally (libraries start no services), and the
# two system users their binaries look up by name (`cyrus`, `Debian-exim`) are created the way the Debian
# packages create them.
# Idempotent: a no-op (no apt-get update) when everything is already in place.
set -euo pipefail

ROOT=${MAILLAB_CYRUS_ROOT:-/opt/mailsh-mail-lab/cyrus-exim}
SERVER_PKGS=(cyrus-common cyrus-imapd cyrus-pop3d exim4-daemon-light sasl2-bin)
# The libraries the unpacked binaries need (ldd of master, imapd, pop3d, lmtpd, ctl_cyrusdb, exim4,
# saslpasswd2 on Debian 12), the SASL plugins Cyrus authenticates with, and the tools the scripts use.
LIB_PKGS=(libxapian30 libpcre3 libical3 libidn12 libjansson4 libicu72 libxml2 libsqlite3-0 libpq5 libwrap0
          libldap-2.5-0 libkrb5-3 libcom-err2 libssl3 zlib1g libdb5.3 libgnutls30 libgnutls-dane0 libidn2-0
          libnsl2 libpcre2-8-0 libcrypt1 libsasl2-2 libsasl2-modules libsasl2-modules-db
          openssl curl)
BINS=(usr/lib/cyrus/bin/master usr/lib/cyrus/bin/imapd usr/lib/cyrus/bin/pop3d usr/lib/cyrus/bin/lmtpd
      usr/lib/cyrus/bin/ctl_cyrusdb usr/sbin/exim4 usr/sbin/saslpasswd2)

say() { echo "mail-lab-cyrus deps: $*"; }
die() { echo "mail-lab-cyrus deps: $*" >&2; exit 1; }

missing_libs() {
    local p st
    for p in "${LIB_PKGS[@]}"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [[ "$st" == installed ]] || echo "$p"
    done
}
unpacked() { # 0 when every binary is in ROOT and the stamp names the packages
    local b
    [[ -s $ROOT/.mailsh-unpacked ]] || return 1
    for b in "${BINS[@]}"; do [[ -x $ROOT/$b ]] || return 1; done
}
users_present() { getent passwd cyrus >/dev/null && getent passwd Debian-exim >/dev/null; }

libs=($(missing_libs))
if ((${#libs[@]} == 0)) && unpacked && users_present; then
    say "all present ($ROOT: $(tr '\n' ' ' <"$ROOT/.mailsh-unpacked"))"
    exit 0
fi
[[ $(id -u) -eq 0 ]] || die "missing parts (libraries: ${libs[*]:-none}; unpacked servers in $ROOT; users cyrus, Debian-exim); run as root"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -q)
updated=0
update() { ((updated)) || { apt-get "${apt_opts[@]}" update >/dev/null; updated=1; }; }

if ((${#libs[@]})); then
    say "installing ${libs[*]}"
    update
    # Libraries only: nothing here has a service to start, so no policy-rc.d is needed.
    apt-get "${apt_opts[@]}" install -y --no-install-recommends "${libs[@]}"
fi

if ! unpacked; then
    say "unpacking ${SERVER_PKGS[*]} into $ROOT (not installed: they conflict with Dovecot/Postfix)"
    dl=$(mktemp -d)
    trap 'rm -rf "$dl"' EXIT
    chmod 0755 "$dl"
    # apt downloads as the _apt user when it can write the folder (no "unsandboxed" warning).
    chown _apt "$dl" 2>/dev/null || true
    (cd "$dl" && apt-get "${apt_opts[@]}" download "${SERVER_PKGS[@]}" 2>/dev/null) || {
        update
        (cd "$dl" && apt-get "${apt_opts[@]}" download "${SERVER_PKGS[@]}")
    }
    new=$ROOT.new.$$
    rm -rf "$new"
    mkdir -p "$new"
    for deb in "$dl"/*.deb; do dpkg -x "$deb" "$new"; done
    for deb in "$dl"/*.deb; do dpkg-deb -W --showformat='${Package}=${Version}\n' "$deb"; done >"$new/.mailsh-unpacked"
    rm -rf "$ROOT"
    mkdir -p "$(dirname "$ROOT")"
    mv "$new" "$ROOT"
fi

# The users the binaries look up by name, made as the Debian packages make them (cyrus-common: a system
# user in group mail; exim4-base: a system user with its own group). Nothing else in /etc is touched.
getent passwd cyrus >/dev/null ||
    useradd --system --gid mail --no-create-home --home-dir /var/lib/cyrus --shell /usr/sbin/nologin cyrus
getent passwd Debian-exim >/dev/null ||
    useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim

# Every binary must find its libraries (the Cyrus ones are in ROOT).
for b in "${BINS[@]}"; do
    nf=$(LD_LIBRARY_PATH=$ROOT/usr/lib/x86_64-linux-gnu:$ROOT/usr/lib ldd "$ROOT/$b" 2>&1 | grep 'not found' || true)
    [[ -z $nf ]] || die "$b lacks libraries: $nf"
done
libs=($(missing_libs))
((${#libs[@]} == 0)) || die "still not installed: ${libs[*]}"
say "done ($ROOT)"
