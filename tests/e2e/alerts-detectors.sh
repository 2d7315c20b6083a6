#!/bin/sh
# Every detector raises alerts through the one alert model: `geneva scan
# --alerts` (stopped messages, indicator hits) and `geneva domains watch
# --alerts` (lookalikes); with an intelligence store, every alert and every
# lookalike is kept in it, once. Alerts are counted against
# an independent count of the scan's JSON output; a second run alerts
# nothing. Temp dir only, no network.
# usage: alerts-detectors.sh GENEVA_BINARY SHARED_CORPORA
set -eu
G=$(readlink -f "$1")
C=$(readlink -f "$2")
T=$(mktemp -d /tmp/gv-e2e-alerts-XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T"
fail() { echo "not ok - $*"; exit 1; }
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
# rows of `geneva report KIND` in the store st.db whose FIELD is VALUE
rows() {
	"$G" report "$1" --db st.db --json --limit 100000 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for r in d["rows"] if r.get(sys.argv[1]) == sys.argv[2]))' "$2" "$3"
}
cat > geneva.yaml <<YAML
alerts:
  spool_dir: $T/spool
  syslog:
    enabled: no
  max_per_minute: 1000
  mail:
    security_team: soc@example.org
    team_min_severity: info
    command: /usr/bin/dd of=$T/mail.out oflag=append conv=notrunc status=none
YAML
mkdir in
ls "$C/email/phishing_pot_sample" | head -40 | while read -r f; do cp "$C/email/phishing_pot_sample/$f" in/; done
ls "$C/email/spamassassin_public_corpus/easy-ham-1" | head -20 | while read -r f; do cp "$C/email/spamassassin_public_corpus/easy-ham-1/$f" in/h-$f; done

# 1. message alerts: one team mail per quarantined or rejected message
"$G" scan --json -c geneva.yaml in > scan.json 2>/dev/null || true
want=$(grep -c '"action":"\(quarantine\|reject\)"' scan.json || true)
[ "$want" -gt 0 ] || fail "the sample has no stopped message"
"$G" scan --alerts --db st.db --quiet -c geneva.yaml in > /dev/null 2>&1 || true
got=$(grep -c '^X-Geneva-Alert-Id:' mail.out || true)
[ "$got" = "$want" ] || fail "message alerts: $got mails for $want stopped messages"
ok "one alert per stopped message ($got)"
[ "$(rows alerts detector scan)" = "$want" ] || fail "store has $(rows alerts detector scan) scan alerts, want $want"
ok "every scan alert is in the intel store"

# 2. the same folder again: nothing new
"$G" scan --alerts --db st.db --quiet -c geneva.yaml in > /dev/null 2>&1 || true
[ "$(grep -c '^X-Geneva-Alert-Id:' mail.out)" = "$got" ] || fail "second run alerted again"
[ "$(rows alerts detector scan)" = "$want" ] || fail "second run stored alerts again"
ok "a rescan alerts and stores nothing new"

# 3. an indicator hit names the campaign, even on an otherwise clean message
cat > bundle.json <<'JSON'
{"type":"bundle","id":"bundle--51111111-1111-4111-8111-111111111111","objects":[
{"type":"campaign","spec_version":"2.1","id":"campaign--52222222-2222-4222-8222-222222222222","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","name":"OpAlert"},
{"type":"indicator","spec_version":"2.1","id":"indicator--53333333-3333-4333-8333-333333333333","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","pattern":"[domain-name:value = 'files-share.example.net']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"},
{"type":"relationship","spec_version":"2.1","id":"relationship--54444444-4444-4444-8444-444444444444","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","relationship_type":"indicates","source_ref":"indicator--53333333-3333-4333-8333-333333333333","target_ref":"campaign--52222222-2222-4222-8222-222222222222"}]}
JSON
"$G" intel import --db intel.db bundle.json > /dev/null 2>&1
printf 'From: Dana <dana@partner.example.org>\r\nTo: erin@example.org\r\nSubject: minutes\r\nMessage-ID: <m1@partner.example.org>\r\nDate: Thu, 26 Nov 2026 05:00:00 +0000\r\n\r\nThe minutes are at https://files-share.example.net/minutes.pdf\r\n' > ind.eml
: > mail.out
"$G" scan --alerts --db intel.db -c geneva.yaml ind.eml > /dev/null 2>&1 || true
grep -q '^Subject: .*Threat-intel\|indicator: ' mail.out || fail "no indicator alert"
grep -q 'OpAlert' mail.out || fail "indicator alert does not name the campaign"
grep -q '^To: <soc@example.org>' mail.out || fail "indicator alert not to the team"
ok "indicator hit alert names the campaign"
# 4. lookalikes: one alert per lookalike found (counted from --json), none twice
printf 'examplebank.com\n' > brands.txt
printf 'examp1ebank.com\nexamplebank-login-verify.xyz\nwikipedia.org\nlogin.examplebank.com.evil.ru\nexample.org\nexamplebank.com\n' > feed.txt
: > mail.out
"$G" domains --config geneva.yaml watch --brands brands.txt --json feed.txt > found.json 2>/dev/null || true
want=$(wc -l < found.json)
[ "$want" -ge 3 ] || fail "only $want lookalikes found"
for run in 1 2; do
	"$G" domains --config geneva.yaml watch --alerts --db st.db --brands brands.txt feed.txt > /dev/null 2>&1 || true
	got=$(grep -c '^X-Geneva-Alert-Id:' mail.out || true)
	[ "$got" = "$want" ] || fail "run $run: lookalike alerts: $got mails for $want lookalikes"
	[ "$(rows alerts detector domains)" = "$want" ] || fail "run $run: $(rows alerts detector domains) lookalike alerts stored, want $want"
	[ "$(rows lookalikes source feed.txt)" = "$want" ] || fail "run $run: $(rows lookalikes source feed.txt) lookalikes stored, want $want"
done
grep -q '^kind: lookalike' mail.out && grep -q '^brand: examplebank.com' mail.out || fail "lookalike alert text"
ok "one alert per lookalike ($got), each lookalike and alert stored once"
# 5. the scan's lookalikes (same brand index) are kept in the store too
printf 'From: PayPal <service@paypa1.com>\r\nTo: erin@example.org\r\nSubject: account\r\nMessage-ID: <p1@paypa1.com>\r\nDate: Thu, 26 Nov 2026 05:00:00 +0000\r\n\r\nLog in at https://www.paypa1.com/signin now\r\n' > pp.eml
"$G" scan --db st.db pp.eml > /dev/null 2>&1 || true
"$G" report lookalikes --db st.db --json --limit 1000 2>/dev/null | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin)["rows"] if r["domain"] == "paypa1.com"]
assert len(rows) == 1 and rows[0]["brand"] == "paypal.com" and rows[0]["source"] == "cli", rows
' || fail "scan lookalike not in the store"
ok "a lookalike seen by the scan is kept in the store"
echo "1..$n"
