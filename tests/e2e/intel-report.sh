#!/bin/sh
# Scans the phishing_pot sample into a fresh intel store and checks the
# reports (targeted users, top rules, campaigns) against an independent
# count made from `geneva scan --json` output by tests/e2e/intel_check.py.
# Usage: intel-report.sh GENEVA_BINARY   (GENEVA_SHARED: the corpora root)
set -eu
geneva=$1
here=$(cd "$(dirname "$0")" && pwd)
shared=${GENEVA_SHARED:-$here/../../../shared}
corpus=$shared/corpora/email/phishing_pot_sample
tmp=$(mktemp -d /tmp/gv-intel-report-XXXXXX)
[ -n "${GV_KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT INT TERM

status=0
"$geneva" scan --no-progress --db "$tmp/intel.db" --json "$corpus" \
	>"$tmp/scan.jsonl" 2>"$tmp/scan.err" || status=$?
# 1 = something quarantined: expected for a phishing corpus.
if [ "$status" -ne 1 ]; then
	echo "not ok - geneva scan exited $status"; cat "$tmp/scan.err"; exit 1
fi
for r in targeted malware campaigns recommendations; do
	"$geneva" report --db "$tmp/intel.db" --json --limit 100000 "$r" \
		>"$tmp/$r.json"
done
"$geneva" intel stats --db "$tmp/intel.db" --json >"$tmp/stats.json"
# A second scan of the same files records nothing new (stable event ids).
"$geneva" scan --no-progress --db "$tmp/intel.db" --quiet "$corpus" \
	>/dev/null 2>&1 || true
"$geneva" intel stats --db "$tmp/intel.db" --json >"$tmp/stats2.json"
user=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows'][0]['user'])" "$tmp/targeted.json")
"$geneva" report --db "$tmp/intel.db" --json neighbors "user:$user" \
	>"$tmp/neighbors.json"
python3 "$here/intel_check.py" "$tmp"
