#!/bin/sh
# geneva notify --campaign: users targeted by a campaign in the intel store
# get one notice each through the alert outbox and the mail command; a
# second run the same day sends nothing. The store is filled the way it is
# in production: a STIX bundle (indicator -> campaign) and `geneva scan
# --db` of two messages to two users. Temp dir only, no network.
# usage: watch-notify.sh GENEVA_BINARY
set -eu
G=$(readlink -f "$1")
T=$(mktemp -d /tmp/gv-e2e-notify-XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T"
fail() { echo "FAIL: $*"; exit 1; }
cat > bundle.json <<'JSON'
{"type":"bundle","id":"bundle--11111111-1111-4111-8111-111111111111","objects":[
{"type":"campaign","spec_version":"2.1","id":"campaign--22222222-2222-4222-8222-222222222222","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","name":"OpTest"},
{"type":"indicator","spec_version":"2.1","id":"indicator--33333333-3333-4333-8333-333333333333","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","pattern":"[url:value = 'http://evil-login.example.com/verify']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"},
{"type":"relationship","spec_version":"2.1","id":"relationship--44444444-4444-4444-8444-444444444444","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","relationship_type":"indicates","source_ref":"indicator--33333333-3333-4333-8333-333333333333","target_ref":"campaign--22222222-2222-4222-8222-222222222222"}]}
JSON
for u in bob carol; do
	printf 'From: it@evil-login.example.com\r\nTo: %s@example.org\r\nSubject: verify\r\nMessage-ID: <%s@evil>\r\nDate: Thu, 26 Nov 2026 05:00:00 +0000\r\n\r\nPlease verify http://evil-login.example.com/verify now\r\n' $u $u > $u.eml
done
cat > geneva.yaml <<YAML
alerts:
  spool_dir: $T/spool
  syslog:
    enabled: no
  mail:
    command: /usr/bin/dd of=$T/mail.out oflag=append conv=notrunc status=none
    contact: the help desk
YAML
"$G" intel import --db intel.db bundle.json > /dev/null
"$G" scan --db intel.db bob.eml carol.eml > /dev/null 2>&1 || true
[ "$("$G" notify --campaign OpTest --db intel.db --dry-run | sort | tr '\n' ' ')" = "bob@example.org carol@example.org " ] || fail "recipients"
echo "ok 1 - campaign users from the store"
"$G" notify -c geneva.yaml --campaign OpTest --db intel.db 2>/dev/null | grep -q "queued=2" || fail "first run"
[ "$(grep -c '^To: <' mail.out)" = 2 ] || fail "two notices"
grep -q '^To: <bob@example.org>' mail.out && grep -q '^To: <carol@example.org>' mail.out || fail "addresses"
grep -q 'campaign tracked as OpTest' mail.out && grep -q 'contact the help desk' mail.out || fail "notice text"
echo "ok 2 - one notice per user"
"$G" notify -c geneva.yaml --campaign OpTest --db intel.db 2>/dev/null | grep -q "queued=0 already_sent=2" || fail "second run"
[ "$(grep -c '^To: <' mail.out)" = 2 ] || fail "second run sent again"
echo "ok 3 - second run sends nothing"
echo "1..3"
