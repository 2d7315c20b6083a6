#!/bin/sh
# End-to-end test of mailbox defense: a real Dovecot (Debian dovecot-imapd)
# on loopback with a passwd-file user and a 300-message Maildir, its log
# followed by `geneva watch --follow`, alerts to a local webhook receiver
# and, as mail, to the user and the security team through dovecot-lda
# (the configured mail command: `dovecot-lda -d {rcpt}` delivers into the
# Maildir, no MTA needed).
#
#   normal session (20 headers + 1 body)  -> no alert
#   FETCH 1:* (BODY.PEEK[])               -> exactly one alert within 5 s
#   log rotated (mv + doveadm log reopen)
#   COPY 1:* Archive                      -> exactly one alert within 5 s
#   restart of geneva watch               -> nothing repeated
#
# usage: watch-dovecot.sh GENEVA_BINARY     (runs as root: Dovecot drops to
# the mail user "nobody"; only 127.0.0.1 is used)
set -eu
GENEVA=$(readlink -f "$1")
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
LDA=${LDA:-/usr/lib/dovecot/dovecot-lda}
[ -x "$DOVECOT" ] && [ -x "$LDA" ] || { echo "1..0 # SKIP dovecot-imapd not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (dovecot)"; exit 77; }

T=$(mktemp -d /tmp/gv-e2e-watch-XXXXXX)
chmod 755 "$T"
WATCH_PID= HOOK_PID=
cleanup() {
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null || true
	[ -n "$HOOK_PID" ] && kill "$HOOK_PID" 2>/dev/null || true
	[ -f "$T/dovecot.conf" ] && doveadm -c "$T/dovecot.conf" stop 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; echo "--- watch stderr"; tail -20 "$T/watch.err" 2>/dev/null; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
IMAP_PORT=$(free_port)
HOOK_PORT=$(free_port)

# ---- Dovecot: own base_dir, passwd-file users, mail_log + command events
mkdir -p "$T/run" "$T/state" "$T/log" "$T/home"
cat > "$T/users" <<EOF
alice:{PLAIN}alicepass::::::
soc:{PLAIN}socpass::::::
EOF
cat > "$T/dovecot.conf" <<EOF
base_dir = $T/run
state_dir = $T/state
log_path = $T/log/dovecot.log
info_log_path = $T/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $T/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $T/users
  default_fields = uid=nobody gid=nogroup home=$T/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  mailbox Archive {
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
mail_plugins = \$mail_plugins notify mail_log
plugin {
  mail_log_events = delete undelete expunge copy mailbox_create mailbox_delete save
  mail_log_fields = uid box msgid size vsize flags
}
event_exporter log {
  format = json
  format_args = time-rfc3339
  transport = log
}
metric imap_command {
  exporter = log
  filter = event=imap_command_finished
}
EOF

# 300 messages of 1-20 kB
python3 - "$T/home" <<'EOF'
import os, sys, random
home = sys.argv[1]
for user in ("alice", "soc"):
    for d in ("cur", "new", "tmp"):
        os.makedirs(f"{home}/{user}/Maildir/{d}", exist_ok=True)
random.seed(7)
for i in range(1, 301):
    body = ("Line %d of a test message. " % i) * random.randint(30, 700)
    msg = (f"From: sender{i % 17}@example.net\r\nTo: alice@example.org\r\n"
           f"Subject: test message {i}\r\nMessage-ID: <msg{i}@example.net>\r\n"
           f"Date: Thu, 26 Nov 2026 0{i % 10}:00:00 +0000\r\n\r\n{body}\r\n")
    with open(f"{home}/alice/Maildir/cur/{1795600000 + i}.M{i}P1.test:2,S", "w") as f:
        f.write(msg)
EOF
chown -R nobody:nogroup "$T/home"
"$DOVECOT" -c "$T/dovecot.conf" || fail "dovecot did not start"
for i in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $IMAP_PORT)).close()" 2>/dev/null && break
	sleep 0.1
done

# ---- webhook receiver: one line per POST: arrival time, Idempotency-Key, body
cat > "$T/hook.py" <<'EOF'
import http.server, sys, time
out = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "a") as f:
            f.write("%.3f %s %s\n" % (time.time(), self.headers.get("Idempotency-Key"), body.decode()))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
: > "$T/hook.log"
python3 "$T/hook.py" "$HOOK_PORT" "$T/hook.log" &
HOOK_PID=$!

# ---- geneva watch
cat > "$T/geneva.yaml" <<EOF
watch:
  state_file: $T/watch.state
  poll_ms: 100
alerts:
  spool_dir: $T/spool
  retry:
    base_ms: 200
  syslog:
    enabled: no
  webhook:
    url: http://127.0.0.1:$HOOK_PORT/alerts
  mail:
    command: $LDA -c $T/dovecot.conf -d {rcpt} -f geneva@localhost
    from: geneva@localhost
    security_team: soc
    notify_user: yes
intel:
  store: sqlite:$T/intel.db
  journal_dir: $T/journal
EOF
start_watch() {
	"$GENEVA" watch -c "$T/geneva.yaml" --follow --json "$T/log/dovecot.log" \
		>> "$T/alerts.jsonl" 2>> "$T/watch.err" &
	WATCH_PID=$!
}
start_watch

imap() { # imap MODE -> prints the time the bulk command finished
	python3 - "$IMAP_PORT" "$1" <<'EOF'
import imaplib, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
c = imaplib.IMAP4("127.0.0.1", port)
c.login("alice", "alicepass")
if mode == "normal":
    c.select("INBOX", readonly=True)
    c.fetch("281:300", "(FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])")
    c.fetch("300", "(BODY[])")
elif mode == "download":
    c.select("INBOX", readonly=True)
    c.fetch("1:*", "(BODY.PEEK[])")
elif mode == "copy":
    c.select("INBOX")
    c.copy("1:*", "Archive")
done = time.time()
c.logout()
print("%.3f" % done)
EOF
}
hooks() { wc -l < "$T/hook.log"; }
wait_hooks() { # wait_hooks N: up to 5 s after the command for N lines
	for i in $(seq 50); do
		[ "$(hooks)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
latency() { # arrival of webhook line N minus the command's end
	awk -v n="$1" -v t="$2" 'NR == n { printf "%.3f", $1 - t }' "$T/hook.log"
}

sleep 1
imap normal > /dev/null
sleep 2
[ "$(hooks)" = 0 ] || fail "normal session raised an alert: $(cat "$T/hook.log")"
echo "ok 1 - normal session: no alert"

T0=$(imap download)
wait_hooks 1 || fail "no alert within 5 s of the bulk download"
L1=$(latency 1 "$T0")
sleep 2
[ "$(hooks)" = 1 ] || fail "bulk download raised $(hooks) alerts"
grep -q '"finding":"download"' "$T/hook.log" || fail "alert is not a download finding"
echo "ok 2 - bulk download: one alert, latency_s=$L1"

# logrotate's way: rename, then make Dovecot reopen its log
mv "$T/log/dovecot.log" "$T/log/dovecot.log.1"
doveadm -c "$T/dovecot.conf" log reopen
for i in $(seq 50); do [ -f "$T/log/dovecot.log" ] && break; sleep 0.1; done
T0=$(imap copy)
wait_hooks 2 || fail "no alert within 5 s of the bulk copy"
L2=$(latency 2 "$T0")
sleep 2
[ "$(hooks)" = 2 ] || fail "bulk copy raised $(($(hooks) - 1)) alerts"
sed -n 2p "$T/hook.log" | grep -q '"finding":"copy"' || fail "second alert is not a copy finding"
[ "$(awk '{print $2}' "$T/hook.log" | sort -u | wc -l)" = 2 ] || fail "idempotency keys not distinct"
echo "ok 3 - bulk copy after log rotation: one alert, latency_s=$L2"

# mail: two notices in alice's INBOX (new/ or, once a session saw them,
# cur/), two alerts in soc's
inbox_count() { grep -l 'X-Geneva-Alert-Id' "$T/home/$1/Maildir/new/"* "$T/home/$1/Maildir/cur/"* 2>/dev/null | wc -l; }
for i in $(seq 50); do
	[ "$(inbox_count alice)" -ge 2 ] && [ "$(inbox_count soc)" -ge 2 ] && break
	sleep 0.1
done
[ "$(inbox_count alice)" = 2 ] || fail "user mail count $(inbox_count alice)"
[ "$(inbox_count soc)" = 2 ] || fail "team mail count $(inbox_count soc)"
NOTICES=$(grep -l 'X-Geneva-Alert-Id' "$T/home/alice/Maildir/new/"* "$T/home/alice/Maildir/cur/"* 2>/dev/null)
grep -q "was downloaded from IP address 127.0.0.1" $NOTICES || fail "user notice text"
grep -q "was copied from IP address 127.0.0.1" $NOTICES || fail "user notice text (copy)"
grep -q "If this was not you" $NOTICES || fail "user notice advice"
echo "ok 4 - alerts delivered as mail to alice and to the security team"

# restart: the state file keeps position and baselines; nothing repeats
kill "$WATCH_PID"; wait "$WATCH_PID" || true
start_watch
imap normal > /dev/null
sleep 2
[ "$(hooks)" = 2 ] || fail "restart repeated alerts"
[ "$(grep -c . "$T/alerts.jsonl")" = 2 ] || fail "restart printed alerts again"
[ -z "$(ls "$T/spool/outbox")" ] || fail "outbox not empty"
echo "ok 5 - restart: no alert repeated, outbox empty"

# the config names an intel store: both alerts are kept in it, once
kill "$WATCH_PID"; wait "$WATCH_PID" || true
"$GENEVA" report alerts --db "$T/intel.db" --json > "$T/stored.json" 2>/dev/null || fail "report alerts"
python3 - "$T/stored.json" <<'EOF' || fail "alerts in the intel store"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
assert len(rows) == 2, rows
assert all(r["detector"] == "watch" and r["user"] == "alice" and r["ip"] == "127.0.0.1" for r in rows), rows
EOF
echo "ok 6 - both alerts kept in the intel store"
echo "1..6"
