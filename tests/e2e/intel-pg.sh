#!/bin/sh
# The intel store suite against a real PostgreSQL started here on loopback:
# initdb into a temp dir, pg_ctl start on a free port with the unix socket
# in the temp dir (as the postgres user when run as root: initdb refuses
# root), the same cmocka suite as on SQLite (test-intel-store, including the
# outage test that stops and restarts the server mid-recording), then the
# CLI against it (corpus import twice, scan recording, a report).
# Usage: intel-pg.sh GENEVA_BINARY TEST_INTEL_STORE_BINARY
set -eu
geneva=$1
store_test=$2
here=$(cd "$(dirname "$0")" && pwd)
shared=${GENEVA_SHARED:-$here/../../../shared}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
	echo "1..0 # SKIP PostgreSQL server binaries not installed"
	exit 77
fi
tmp=$(mktemp -d /tmp/gv-intel-pg-XXXXXX)
chmod 755 "$tmp"
run=""
if [ "$(id -u)" = 0 ]; then
	run="runuser -u postgres --"
	chown postgres "$tmp"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
opts="-p $port -k $tmp -c listen_addresses=127.0.0.1"
start="$run $pgbin/pg_ctl -D $tmp/data -o '$opts' -l $tmp/server.log -w -s start"
stop="$run $pgbin/pg_ctl -D $tmp/data -m fast -w -s stop"
cleanup() {
	$run "$pgbin/pg_ctl" -D "$tmp/data" -m immediate -w -s stop \
		>/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
$run "$pgbin/initdb" -D "$tmp/data" -A trust -U geneva --no-sync \
	>"$tmp/initdb.log" 2>&1
sh -c "$start"
conninfo="host=$tmp port=$port user=geneva dbname=postgres"

# 1. The store suite, unchanged, on PostgreSQL (prints its own TAP).
GV_TEST_STORE="postgres:$conninfo" GV_TEST_STORE_STOP="$stop" \
GV_TEST_STORE_START="$start" CMOCKA_MESSAGE_OUTPUT=TAP "$store_test"

# 2. The CLI on PostgreSQL.
fail=0
store="postgres:$conninfo"
"$geneva" intel import --quiet --store "$store" \
	"$shared/corpora/threat_intel" >"$tmp/i1.txt"
"$geneva" intel stats --store "$store" --json >"$tmp/s1.json"
"$geneva" intel import --quiet --store "$store" \
	"$shared/corpora/threat_intel" >"$tmp/i2.txt"
"$geneva" intel stats --store "$store" --json >"$tmp/s2.json"
if cmp -s "$tmp/s1.json" "$tmp/s2.json" && grep -q 'refused 0' "$tmp/i1.txt"
then echo "ok - postgres: corpus import twice changes no counts"
else echo "not ok - postgres: corpus import twice"; fail=1; fi
# Recording driven by the config file's intel: section.
cat >"$tmp/geneva.yaml" <<EOF
intel:
  store: "$store"
  journal_dir: $tmp/journal
  batch_size: 256
EOF
status=0
"$geneva" scan --no-progress --quiet --config "$tmp/geneva.yaml" \
	--store "$store" "$shared/corpora/email/phishing_pot_sample" \
	>/dev/null 2>"$tmp/scan.err" || status=$?
[ "$status" -eq 1 ] || { echo "not ok - scan exited $status"; cat "$tmp/scan.err"; fail=1; }
"$geneva" report --store "$store" --json targeted >"$tmp/t.json"
if python3 -c "
import json,sys
d=json.load(open('$tmp/t.json')); s=json.load(open('$tmp/s1.json'))
sys.exit(0 if d['rows'] and d['rows'][0]['malicious'] > 0 else 1)"
then echo "ok - postgres: scan records, targeted report answers"
else echo "not ok - postgres: targeted report"; fail=1; fi
exit $fail
