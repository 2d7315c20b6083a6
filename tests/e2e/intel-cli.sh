#!/bin/sh
# geneva intel end to end, through the binary:
#  1. every JSON file of the threat_intel corpus imports; twice = once;
#  2. an indicator from a STIX bundle makes the verdict of a message that
#     links to it cite the indicator, its feed, campaign and actor;
#  3. export -> sign -> verify; one changed byte makes verify fail.
# Usage: intel-cli.sh GENEVA_BINARY   (GENEVA_SHARED: the corpora root)
set -eu
geneva=$1
here=$(cd "$(dirname "$0")" && pwd)
shared=${GENEVA_SHARED:-$here/../../../shared}
tmp=$(mktemp -d /tmp/gv-intel-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
echo "1..11"

db=$tmp/intel.db
"$geneva" intel import --quiet --db "$db" "$shared/corpora/threat_intel" \
	>"$tmp/import1.txt" 2>"$tmp/import1.err"
check "corpus imports without refusals" \
	"grep -q 'refused 0' '$tmp/import1.txt'"
"$geneva" intel stats --db "$db" --json >"$tmp/stats1.json"
"$geneva" intel import --quiet --db "$db" "$shared/corpora/threat_intel" \
	>"$tmp/import2.txt" 2>&1
"$geneva" intel stats --db "$db" --json >"$tmp/stats2.json"
check "re-import changes no counts" "cmp -s '$tmp/stats1.json' '$tmp/stats2.json'"
check "re-import finds every indicator known" \
	"grep -q 'indicators new 0 ' '$tmp/import2.txt'"

# A feed naming the lure host of a real phishing sample.
msg=$shared/corpora/email/phishing_pot_sample/sample-1.eml
cat >"$tmp/livelo.json" <<'EOF'
{"type": "bundle", "id": "bundle--6f0b7c47-3f3e-4d0a-9d6a-2b7c1e4b5a10",
 "objects": [
  {"type": "indicator", "spec_version": "2.1",
   "id": "indicator--0b2f4c1e-6a55-4f0e-8a7e-0c2f1f6d9b21",
   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
   "name": "Livelo points lure", "pattern_type": "stix",
   "pattern": "[domain-name:value = 'blog1seguimentmydomaine2bra.me']",
   "valid_from": "2026-01-01T00:00:00Z"},
  {"type": "campaign", "spec_version": "2.1",
   "id": "campaign--5d7e3c8a-1b2c-4d5e-9f60-7a8b9c0d1e2f",
   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
   "name": "Operation Livelo"},
  {"type": "threat-actor", "spec_version": "2.1",
   "id": "threat-actor--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
   "name": "Points Thieves"},
  {"type": "relationship", "spec_version": "2.1",
   "id": "relationship--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
   "relationship_type": "indicates",
   "source_ref": "indicator--0b2f4c1e-6a55-4f0e-8a7e-0c2f1f6d9b21",
   "target_ref": "campaign--5d7e3c8a-1b2c-4d5e-9f60-7a8b9c0d1e2f"},
  {"type": "relationship", "spec_version": "2.1",
   "id": "relationship--2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
   "relationship_type": "attributed-to",
   "source_ref": "campaign--5d7e3c8a-1b2c-4d5e-9f60-7a8b9c0d1e2f",
   "target_ref": "threat-actor--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}
 ]}
EOF
"$geneva" intel import --quiet --db "$db" "$tmp/livelo.json" >/dev/null
"$geneva" scan --no-progress --json --db "$db" "$msg" >"$tmp/scan.json" || true
check "the verdict cites the STIX indicator, feed, campaign and actor" \
	"python3 -c \"
import json,sys
r=json.load(open('$tmp/scan.json'))
ev=[f['evidence'] for f in r['findings'] if f['analyzer']=='intel']
sys.exit(0 if any('blog1seguimentmydomaine2bra.me' in e and 'livelo.json' in e
  and 'campaign Operation Livelo' in e and 'actor Points Thieves' in e
  for e in ev) else 1)\""
"$geneva" report --db "$db" --json campaigns >"$tmp/campaigns.json"
check "the campaign report lists the attributed campaign" \
	"grep -q '\"campaign\": \"Operation Livelo\"' '$tmp/campaigns.json'"

"$geneva" intel keygen -o "$tmp/org" >/dev/null
"$geneva" intel export --db "$db" --campaign "Operation Livelo" \
	--key "$tmp/org.sec" -o "$tmp/bundle.json" >/dev/null
check "export writes a bundle with the lure indicator" \
	"grep -q \"domain-name:value = 'blog1seguimentmydomaine2bra.me'\" '$tmp/bundle.json'"
check "verify accepts the signed bundle" \
	"'$geneva' intel verify '$tmp/bundle.json' '$tmp/bundle.json.sig' --pubkey '$tmp/org.pub' >/dev/null"
python3 -c "
import sys
p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1
open(p,'wb').write(bytes(b))" "$tmp/bundle.json"
set +e
"$geneva" intel verify "$tmp/bundle.json" "$tmp/bundle.json.sig" \
	--pubkey "$tmp/org.pub" >/dev/null
rc=$?
set -e
check "one changed byte makes verify fail (exit 1)" "[ $rc -eq 1 ]"
check "keygen makes a private secret key" \
	"[ \"\$(stat -c %a '$tmp/org.sec')\" = 600 ]"
# A MISP feed directory: manifest.json + one file per event + hashes.csv;
# the event file is imported, the manifest and the hash list are not.
mkdir -p "$tmp/feed"
cp "$shared/corpora/threat_intel/misp/pymisp_tests/reportlab_testfiles/long_event.json" \
	"$tmp/feed/5a0b4a09-0c54-4d4a-9f2d-4b3b950d210f.json"
echo '{"5a0b4a09-0c54-4d4a-9f2d-4b3b950d210f": {"info": "x", "timestamp": "1"}}' \
	>"$tmp/feed/manifest.json"
echo 'a1b2c3d4,5a0b4a09-0c54-4d4a-9f2d-4b3b950d210f' >"$tmp/feed/hashes.csv"
"$geneva" intel import --quiet --db "$tmp/feed.db" "$tmp/feed" >"$tmp/feed.txt"
check "a MISP feed directory imports its event files only" \
	"grep -q '^files 1 (skipped 0, refused 0)' '$tmp/feed.txt' && ! grep -q 'indicators new 0 ' '$tmp/feed.txt'"
# A detected attachment names its malware family in the malware report.
"$geneva" scan --no-progress --quiet --db "$tmp/mw.db" \
	"$shared/corpora/email/rspamd_test_messages/broken_richtext.eml" \
	>/dev/null 2>&1 || true
"$geneva" report --db "$tmp/mw.db" --json malware >"$tmp/mw.json"
check "a YARA-detected attachment counts as its malware family" \
	"python3 -c \"
import json,sys
rows=json.load(open('$tmp/mw.json'))['rows']
sys.exit(0 if any(r['kind']=='malware' and r['value']=='EICAR_Test_File'
  and r['messages']==1 for r in rows) else 1)\""
exit $fail
