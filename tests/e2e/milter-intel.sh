#!/bin/sh
# The milter's scanner processes use the intelligence store and the alert
# sinks the configuration names, in front of a real Postfix on loopback:
#   - an indicator imported from a STIX bundle makes a message's verdict
#     cite it (intel.url, naming the campaign);
#   - every scanned message is recorded as an event (source milter);
#   - every stopped message and every indicator hit raises one alert,
#     delivered by the worker (team mail), and kept in the store;
#   counted against an independent count of the milter's own log lines.
# usage: milter-intel.sh GENEVA_BINARY   (root: Postfix)
set -eu
GENEVA=$(readlink -f "$1")
SRC=${GENEVA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v postfix >/dev/null && command -v swaks >/dev/null ||
	{ echo "1..0 # SKIP postfix or swaks not installed (scripts/deps.sh --full)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (postfix)"; exit 77; }
T=$(mktemp -d /tmp/gv-e2e-mintel-XXXXXX)
chmod 755 "$T"
GV_PID= PF=
. "$SRC/tests/e2e/milter-lib.sh"
cleanup() { gv_stop; pf_stop; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT INT TERM
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; tail -5 "$T/milter.log" | sed 's/^/# /'; exit 1; }

# the store, with one indicator of a campaign, owned by the milter user
mkdir -p "$T/intel" "$T/mailbox"
cat > "$T/bundle.json" <<'JSON'
{"type":"bundle","id":"bundle--61111111-1111-4111-8111-111111111111","objects":[
{"type":"campaign","spec_version":"2.1","id":"campaign--62222222-2222-4222-8222-222222222222","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","name":"OpMilter"},
{"type":"indicator","spec_version":"2.1","id":"indicator--63333333-3333-4333-8333-333333333333","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","pattern":"[url:value = 'https://files-share.example.net/minutes.pdf']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"},
{"type":"relationship","spec_version":"2.1","id":"relationship--64444444-4444-4444-8444-444444444444","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","relationship_type":"indicates","source_ref":"indicator--63333333-3333-4333-8333-333333333333","target_ref":"campaign--62222222-2222-4222-8222-222222222222"}]}
JSON
"$GENEVA" intel import --db "$T/intel/st.db" "$T/bundle.json" > /dev/null 2>&1 || fail "import"
chown -R nobody:nogroup "$T/intel" "$T/mailbox"

SMTP_PORT=$(free_port)
MILTER_PORT=$(free_port)
pf_setup "$T" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
{ cat "$SRC/config/geneva.yaml" | sed '/^alerts:/,/^$/d'
  cat <<YAML
milter:
  scanners: 2
  user: nobody
quarantine:
  dir: $T/quarantine
  sendmail: $T/sendmail
intel:
  store: sqlite:$T/intel/st.db
  journal_dir: $T/journal
alerts:
  spool_dir: $T/alerts
  syslog:
    enabled: no
  retry:
    base_ms: 200
  mail:
    security_team: soc@example.org
    command: /usr/bin/dd of=$T/mailbox/out oflag=append conv=notrunc status=none
YAML
} > "$T/geneva.yaml"
chmod 644 "$T/geneva.yaml"
pf_start
gv_start "$T/geneva.yaml" "inet:$MILTER_PORT@127.0.0.1" || fail "milter start"

send() { swaks --server 127.0.0.1 --port "$SMTP_PORT" --from sender@example.org \
	--to "$2" --data "$1" > /dev/null 2>&1 || true; }
printf 'From: Dana <dana@partner.example.org>\r\nTo: carol@e2e.test\r\nSubject: minutes\r\nMessage-ID: <m1@partner.example.org>\r\nDate: %s\r\n\r\nThe minutes are at https://files-share.example.net/minutes.pdf\r\n' "$(date -R)" > "$T/ind.eml"
send "$SRC/samples/01-newsletter.eml" alice@e2e.test
send "$SRC/samples/02-credential-phish.eml" bob@e2e.test
send "$T/ind.eml" carol@e2e.test
# wait for the three log lines
i=0
while [ "$(grep -c 'event=message ' "$T/milter.log" || true)" -lt 3 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(grep -c 'event=message ' "$T/milter.log")" = 3 ] || fail "three messages scanned"
grep 'event=message ' "$T/milter.log" | grep 'rcpt=carol@e2e.test' | grep -q 'intel\.url' ||
	fail "the indicator is not cited in the verdict"
ok "an imported indicator is cited in the milter's verdict"

# expected alerts, counted from the log: one per stopped message, one per
# message with an indicator hit
stopped=$(grep 'event=message ' "$T/milter.log" | grep -c 'verdict=\(quarantine\|reject\)' || true)
hits=$(grep 'event=message ' "$T/milter.log" | grep -c 'intel\.' || true)
want=$((stopped + hits))
[ "$stopped" -ge 2 ] || fail "phishing and indicator messages should be stopped ($stopped)"
i=0
while [ "$(cat "$T/mailbox/out" 2>/dev/null | grep -c "^X-Geneva-Alert-Id:" || true)" -lt "$want" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
got=$(cat "$T/mailbox/out" 2>/dev/null | grep -c "^X-Geneva-Alert-Id:" || true)
[ "$got" = "$want" ] || fail "alerts: $got team mails, want $want"
grep -q 'OpMilter' "$T/mailbox/out" || fail "the indicator alert does not name the campaign"
grep -q '^source: milter' "$T/mailbox/out" || fail "alert source"
ok "one alert per stopped message and indicator hit ($got), delivered by the worker"

# graceful stop drains the scanners' recorders into the store
gv_stop
"$GENEVA" report alerts --db "$T/intel/st.db" --json --limit 1000 > "$T/alerts.json" 2>/dev/null || fail "report alerts"
python3 - "$T/alerts.json" "$want" <<'PY' || fail "alerts in the store"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["detector"] == "milter"]
assert len(rows) == int(sys.argv[2]), rows
PY
ok "every alert kept in the intel store"
"$GENEVA" report targeted --db "$T/intel/st.db" --json --limit 100 > "$T/targeted.json" 2>/dev/null || fail "report targeted"
python3 - "$T/targeted.json" <<'PY' || fail "events in the store"
import json, sys
rows = {r["user"]: r for r in json.load(open(sys.argv[1]))["rows"]}
assert set(rows) == {"alice@e2e.test", "bob@e2e.test", "carol@e2e.test"}, rows
assert all(r["messages"] == 1 for r in rows.values()), rows
assert rows["alice@e2e.test"]["malicious"] == 0, rows
assert rows["bob@e2e.test"]["malicious"] == 1 and rows["carol@e2e.test"]["malicious"] == 1, rows
PY
ok "the three messages are events in the store (bob and carol attacked, alice not)"
echo "1..$n"
