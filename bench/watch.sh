#!/bin/sh
# Mailbox-watch throughput: Dovecot 2.3 log lines parsed and evaluated per
# CPU-second on one core (goal: >= 500,000 lines/s).
#   bench/watch.sh [BUILD_DIR] [SESSIONS]
# The log is synthetic but every line has the exact shape of the lines in
# ../shared/notes/sample_dovecot.log (a real Dovecot 2.3.19 with mail_log
# and the imap_command_finished event exporter): per session a login, an
# ID line, 4-7 command events (~600-900 bytes of JSON each), sometimes a
# MOVE with mail_log copy lines, a logout; 2,000 users, ~1 % bulk sessions.
# geneva reads the file once (`geneva watch --no-alerts --stats`), so the
# figure includes reading, splitting, parsing and the detector.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-watch}
SESSIONS=${2:-150000}
[ -x "$BUILD/src/cli/geneva" ] || { echo "build $BUILD first (ninja -C $BUILD src/cli/geneva)"; exit 2; }
W=$(mktemp -d /tmp/gv-bench-watch.XXXXXX)
trap 'rm -rf "$W"' EXIT

python3 - "$W/dovecot.log" "$SESSIONS" <<'EOF'
import json, random, sys
out, sessions = sys.argv[1], int(sys.argv[2])
random.seed(42)
alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
def ev(ts, user, sess, ip, tag, name, args, bytes_out, reply, mailbox="INBOX"):
    f = {"user": user, "local_ip": "10.0.0.1", "local_port": 143,
         "remote_ip": ip, "remote_port": random.randint(1024, 65535),
         "session": sess, "duration": random.randint(50, 5000),
         "cmd_tag": tag, "cmd_name": name, "cmd_input_name": name}
    if args:
        f["cmd_args"] = args
        f["cmd_human_args"] = args
    f.update({"tagged_reply_state": "OK", "tagged_reply": reply,
              "last_run_time": "2026-11-26T%s.000001Z" % ts,
              "running_usecs": random.randint(50, 5000), "lock_wait_usecs": 3,
              "bytes_in": len(args or "") + 5, "bytes_out": bytes_out,
              "reason_code": ["imap:cmd_" + name.lower().replace(" ", "_")]})
    if mailbox:
        f["mailbox"] = mailbox
    doc = {"event": "imap_command_finished", "hostname": "mx1",
           "start_time": "2026-11-26T%s.000000Z" % ts,
           "end_time": "2026-11-26T%s.000900Z" % ts,
           "categories": ["service:imap", "imap"], "fields": f}
    return "Nov 26 %s stats: Info: %s\n" % (ts, json.dumps(doc, separators=(",", ":")))
n = 0
with open(out, "w") as o:
    for s in range(sessions):
        t = 8 * 3600 + s * 50000 // sessions
        ts = "%02d:%02d:%02d" % (t // 3600, t // 60 % 60, t % 60)
        u = "user%d@example.org" % random.randint(1, 2000)
        ip = "10.%d.%d.%d" % (random.randint(0, 9), random.randint(0, 255), random.randint(1, 254))
        sess = "".join(random.choice(alpha) for _ in range(16))
        pid = random.randint(1000, 60000)
        pre = "Nov 26 %s imap(%s)<%d><%s>: Info: " % (ts, u, pid, sess)
        size = random.randint(200, 5000)
        lines = ["Nov 26 %s imap-login: Info: Login: user=<%s>, method=PLAIN, rip=%s, lip=10.0.0.1, mpid=%d, TLS, session=<%s>\n" % (ts, u, ip, pid, sess),
                 pre + "ID sent: name=Thunderbird, version=115.%d\n" % random.randint(0, 9),
                 ev(ts, u, sess, ip, "a1", "SELECT", "INBOX", 300, "OK [READ-WRITE] Select completed")]
        body = 1
        if random.random() < 0.01:
            lines.append(ev(ts, u, sess, ip, "a2", "UID FETCH", "1:* (BODY.PEEK[])", size * 20000, "OK Fetch completed."))
            body = size
        else:
            lines.append(ev(ts, u, sess, ip, "a2", "UID FETCH", "%d:* (FLAGS)" % max(1, size - 50), 2000, "OK Fetch completed."))
            lines.append(ev(ts, u, sess, ip, "a3", "FETCH", "%d:%d (FLAGS BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])" % (size - 19, size), 3500, "OK Fetch completed."))
            lines.append(ev(ts, u, sess, ip, "a4", "FETCH", "%d (BODY[])" % size, 9000, "OK Fetch completed."))
        if random.random() < 0.05:
            k = random.randint(1, 5)
            for i in range(k):
                lines.append(pre + "copy from INBOX: box=Trash, uid=%d, msgid=<m%d@x>, size=%d, vsize=%d, flags=(\\Seen)\n" % (i + 1, i, 3000, 3100))
            lines.append(ev(ts, u, sess, ip, "a5", "UID MOVE", "%d Trash" % size, 0, "OK Move completed."))
        lines.append(ev(ts, u, sess, ip, "a6", "LOGOUT", None, 68, "OK Logout completed.", None))
        lines.append(pre + "Disconnected: Logged out in=133 out=14209 deleted=0 expunged=0 trashed=0 hdr_count=20 hdr_bytes=1877 body_count=%d body_bytes=%d\n" % (body, body * 9000))
        o.writelines(lines)
        n += len(lines)
print("generated %d lines" % n, file=sys.stderr)
EOF
LINES=$(wc -l < "$W/dovecot.log")
MB=$(du -m "$W/dovecot.log" | cut -f1)
cat "$W/dovecot.log" > /dev/null # page cache: measure parsing, not the disk
best=""
for run in 1 2 3; do
	"$BUILD/src/cli/geneva" watch --no-alerts --stats "$W/dovecot.log" \
		> "$W/out" 2> "$W/stats" || true
	cpu=$(sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' "$W/stats")
	rate=$(awk -v l="$LINES" -v c="$cpu" 'BEGIN{printf "%d", l / c}')
	echo "run $run: $(cat "$W/stats")"
	if [ -z "$best" ] || [ "$rate" -gt "$best" ]; then best=$rate; fi
done
echo "log: $LINES lines, $MB MB; findings: $(wc -l < "$W/out")"
echo "watch: $best lines per CPU-second (best of 3, one core; goal 500000)"
