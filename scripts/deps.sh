#!/bin/sh
# Installs every Debian 12 package Geneva builds, tests and benchmarks with.
# Idempotent and quick when everything is present. Run as root.
#   scripts/deps.sh          build + unit-test dependencies
#   scripts/deps.sh --full   also the real servers and peers the end-to-end
#                            tests and benchmarks drive (Postfix, Dovecot,
#                            Unbound, PostgreSQL, swaks, rspamd, SpamAssassin,
#                            ClamAV, dnstwist, BIND named-checkzone)
set -eu
# Hyperscan, not Vectorscan: the same API (pkg-config libhs), but Debian's
# rspamd (our benchmark peer) depends on libhyperscan5, which conflicts with
# libvectorscan5, and the bench runs both on one machine.
BUILD="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
libgmime-3.0-dev libhyperscan-dev libyara-dev libarchive-dev libmagic-dev
libsqlite3-dev libpq-dev libicu-dev libidn2-dev libpsl-dev
publicsuffix libmicrohttpd-dev libjansson-dev libsodium-dev
libcurl4-openssl-dev libcyaml-dev libcmocka-dev python3 zip unzip p7zip-full
file zlib1g-dev libglib2.0-dev"
SERVERS="postfix swaks dovecot-imapd unbound postgresql sqlite3 curl
rspamd spamassassin spamc spamd clamav clamav-daemon dnstwist time bind9-utils
dnsutils"
want="$BUILD"
[ "${1:-}" = "--full" ] && want="$BUILD $SERVERS"
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "scripts/deps.sh: missing packages:$missing (run as root to install)" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks questions on install; answer them up front (local only).
echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
echo "postfix postfix/mailname string localhost" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
