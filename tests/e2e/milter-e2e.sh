#!/bin/sh
# End-to-end test of `geneva milter` in front of a real Postfix (installed
# by scripts/deps.sh --full) configured here in a temp dir on loopback;
# mail sent with swaks. TAP output.
#
#   clean message            -> delivered to the Maildir with X-Geneva-* headers
#   forged X-Geneva-* header -> replaced by ours
#   phishing lure (samples/02-credential-phish.eml) -> quarantined, not delivered
#   EICAR in a zip (built here) -> 550 5.7.1 at end of DATA
#   geneva quarantine release  -> delivered identical to the original apart
#                                 from added headers (diffed)
#   one event=message log line per message, with its Postfix queue id
#   SIGHUP during an open SMTP session -> new rules for new mail, the open
#                                 session finishes on the old generation
#   reload to quarantine_mode hold + max_message_bytes 1000 -> 552 5.3.4 for
#                                 a bigger message (logged reason), the lure
#                                 held in Postfix's hold queue and stored
#   quarantine store not writable -> 451 (never discarded unstored); with
#                                 failure_mode accept: delivered, "unscanned"
#   SIGKILL of the worker      -> the supervisor restarts it, mail flows
#   SIGTERM                    -> graceful stop (event=stopped), exit 0
#   background mode            -> detaches, pidfile, removed on SIGTERM
#   milter down                -> Postfix tempfails (milter_default_action)
#
# usage: milter-e2e.sh GENEVA_BINARY   (root: Postfix and the privilege drop)
set -eu
GENEVA=$(readlink -f "$1")
SRC=${GENEVA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${GENEVA_SHARED:-$SRC/../shared}
command -v postfix >/dev/null && command -v swaks >/dev/null ||
	{ echo "1..0 # SKIP postfix or swaks not installed (scripts/deps.sh --full)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (postfix)"; exit 77; }

T=$(mktemp -d /tmp/gv-e2e-milter-XXXXXX)
chmod 755 "$T"
GV_PID=
. "$SRC/tests/e2e/milter-lib.sh"
cleanup() {
	gv_stop
	pf_stop
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

check() { _name=$1; shift; if "$@"; then ok "$_name"; else not_ok "$_name"; fi; }

SMTP_PORT=$(free_port)
MILTER_PORT=$(free_port)
SOCK="inet:$MILTER_PORT@127.0.0.1"
pf_setup "$T" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
mkconfig() { # $1 = a policy section replacing the shipped one, $2 = more milter keys
	if [ -z "${1:-}" ]; then
		gv_example_config > "$T/geneva.yaml"
	else
		sed '/^policy:/,$d' "$SRC/config/geneva.yaml" > "$T/geneva.yaml"
		printf '%s\n' "$1" >> "$T/geneva.yaml"
	fi
	cat >> "$T/geneva.yaml" <<EOF
milter:
  scanners: 2
  subject_prefix: "[SUSPICIOUS] "
${2:-}
quarantine:
  dir: $T/quarantine
  sendmail: $T/sendmail
EOF
}
mkconfig
chmod 644 "$T/geneva.yaml"
pf_start
gv_start "$T/geneva.yaml" "$SOCK"
echo "1..16"

# send FILE RCPT [extra swaks args] -> prints the final reply line
send() {
	_f=$1 _to=$2
	shift 2
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --from sender@example.org \
		--to "$_to" --data "$_f" "$@" 2>&1 | grep -E '^(<-|<\*\*) +[245][0-9][0-9] ' | tail -2 | head -1
}
qid_of() { sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p'; }
# wait until N files are in a Maildir (or 30 s; the queue is flushed now
# and then in case a delivery trigger was missed right after start-up)
wait_mail() {
	_i=0
	while [ $_i -lt 300 ]; do
		[ "$(find "$T/vmail/$1/new" -type f 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		[ $((_i % 50)) = 49 ] && pf_flush
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
# wait (up to 60 s: engine builds are slow under ASan) for reload number N
wait_gen() {
	_i=0
	while [ $_i -lt 600 ] && ! grep -q "event=reloaded generation=$1" "$T/milter.log"; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
# header block of the newest message of a mailbox
newest() { ls -t "$T/vmail/$1/new/"* | head -1; }

# 1. clean
r=$(send "$SRC/samples/01-newsletter.eml" alice@e2e.test)
Q1=$(echo "$r" | qid_of)
if [ -n "$Q1" ] && wait_mail alice 1 &&
	grep -q '^X-Geneva-Verdict: accept' "$(newest alice)" &&
	grep -q '^X-Geneva-Score: 0' "$(newest alice)" &&
	grep -q '^X-Geneva-Reasons: ' "$(newest alice)"; then
	ok "clean message delivered to the Maildir with X-Geneva headers"
else
	not_ok "clean message delivered with X-Geneva headers" "reply: $r" \
		"maildir: $(ls "$T/vmail/alice/new" 2>/dev/null | wc -l) files" \
		"log: $(grep "qid=$Q1" "$T/milter.log" | cut -c1-300)" \
		"postfix: $(grep "$Q1" "$T/log/postfix.log" | tail -2)" \
		"headers: $(grep '^X-Geneva' "$(newest alice)" 2>/dev/null)"
fi

# 2. forged headers are replaced
{ printf 'X-Geneva-Verdict: accept\r\nX-Geneva-Score: -100\r\n'; cat "$SRC/samples/01-newsletter.eml"; } > "$T/forged.eml"
r=$(send "$T/forged.eml" alice@e2e.test)
if wait_mail alice 2 && [ "$(grep -c '^X-Geneva-Verdict:' "$(newest alice)")" = 1 ] &&
	! grep -q '^X-Geneva-Score: -100' "$(newest alice)"; then
	ok "forged X-Geneva headers are replaced by ours"
else
	not_ok "forged X-Geneva headers replaced" "reply: $r"
fi

# 3. phishing -> quarantine
PHISH="$SRC/samples/02-credential-phish.eml"
r=$(send "$PHISH" bob@e2e.test)
Q2=$(echo "$r" | qid_of)
sleep 2
QJSON=$("$GENEVA" quarantine --config "$T/geneva.yaml" --json list)
if [ -n "$Q2" ] && [ ! -d "$T/vmail/bob/new" -o -z "$(ls "$T/vmail/bob/new" 2>/dev/null)" ] &&
	echo "$QJSON" | grep -q "\"queue_id\":\"$Q2\""; then
	ok "phishing lure quarantined (250 to the sender, stored, not delivered)"
else
	not_ok "phishing lure quarantined" "reply: $r" "list: $QJSON"
fi
QID=$(echo "$QJSON" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])' 2>/dev/null || true)
perm=$(stat -c %a "$T/quarantine/msg/$QID.eml" 2>/dev/null || echo none)
check "quarantined message file is mode 0600 (got $perm)" [ "$perm" = 600 ]

# 4. EICAR in a zip -> 550
python3 - "$SHARED/corpora/malware_test/eicar/eicar.com" "$T/eicar.zip" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("invoice.com", open(sys.argv[1], "rb").read())
EOF
r=$(swaks --server 127.0.0.1 --port "$SMTP_PORT" --from sender@example.org --to carol@e2e.test \
	--header "Subject: invoice" --body "see attachment" --attach-type application/zip \
	--attach-name invoice.zip --attach "@$T/eicar.zip" 2>&1 | grep -E '^(<-|<\*\*) +[245][0-9][0-9] ' | tail -2 | head -1)
case "$r" in
*"550 5.7.1"*) ok "EICAR in a zip rejected with 550 5.7.1 ($r)" ;;
*) not_ok "EICAR in a zip rejected with 550" "reply: $r" ;;
esac

# 5. release -> delivered identical apart from added headers
strip_added() { # drop the headers Postfix/Geneva add, CRs and trailing blank lines
	tr -d '\r' < "$1" | awk '
		BEGIN { hdr = 1 }
		hdr && /^$/ { hdr = 0 }
		hdr && /^[ \t]/ { if (skip) next }
		hdr && /^[^ \t]/ { skip = ($0 ~ /^(Return-Path|X-Original-To|Delivered-To|Received|X-Geneva-[A-Za-z]+):/) }
		hdr && skip { next }
		{ print }' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}
"$GENEVA" quarantine --config "$T/geneva.yaml" release "$QID" > "$T/release.out" 2>&1 || true
if wait_mail bob 1; then
	strip_added "$PHISH" > "$T/orig.txt"
	strip_added "$(newest bob)" > "$T/released.txt"
	if diff "$T/orig.txt" "$T/released.txt" > "$T/release.diff" &&
		grep -q "^X-Geneva-Released: $QID" "$(newest bob)"; then
		ok "release delivers the original unchanged apart from added headers"
	else
		not_ok "release delivers the original unchanged" "$(head -20 "$T/release.diff")"
	fi
else
	not_ok "release delivered" "$(cat "$T/release.out")"
fi
st=$("$GENEVA" quarantine --config "$T/geneva.yaml" show "$QID" | sed -n 's/^state: *//p')
check "released entry is marked released" [ "$st" = released ]

# 6. one log line per message with its queue id
c1=$(grep -c "event=message qid=$Q1 .*action=accept" "$T/milter.log" || true)
c2=$(grep -c "event=message qid=$Q2 .*verdict=quarantine.*action=discard.*quarantine_id=$QID" "$T/milter.log" || true)
c3=$(grep -c "event=message .*verdict=reject.*action=reject.*yara" "$T/milter.log" || true)
check "one log line per message (accept $c1, quarantine $c2, reject $c3)" [ "$c1" = 1 -a "$c2" = 1 -a "$c3" = 1 ]

# 7. SIGHUP while a session is in the middle of DATA: the reload makes the
#    phishing lure a mere tag (with subject prefix) for new mail; the open
#    session still answers, scanned on generation 1 (quarantined)
python3 - "$SMTP_PORT" "$PHISH" > "$T/slow.out" 2>&1 <<'EOF' &
import smtplib, sys, time
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=60)
s.ehlo("slow.example")
s.mail("slow@example.org"); s.rcpt("bob@e2e.test")
code, _ = s.docmd("DATA")
data = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
s.send(data[:200])
time.sleep(5)
s.send(data[200:] + b"\r\n.\r\n")
print(code, *s.getreply())
s.quit()
EOF
SLOW=$!
sleep 1
mkconfig "$(printf 'policy:\n  tag: 1\n  quarantine: 500\n  reject: 1000\n')"
kill -HUP "$GV_PID"
wait_gen 2
r=$(send "$PHISH" bob@e2e.test)
wait "$SLOW" || true
sleep 1
if grep -q 'event=reloaded generation=2' "$T/milter.log" && grep -q '354 250' "$T/slow.out" &&
	grep -q 'from=slow@example.org .*verdict=quarantine.*generation=1' "$T/milter.log" &&
	wait_mail bob 2 && grep -q '^Subject: \[SUSPICIOUS\] Your account' "$(newest bob)" &&
	grep -q '^X-Geneva-Verdict: tag' "$(newest bob)"; then
	ok "SIGHUP reloads rules; an open session finishes on the old generation"
else
	not_ok "SIGHUP reload without dropping sessions" "slow: $(cat "$T/slow.out")" "reply: $r" \
		"$(grep -E 'reload|slow' "$T/milter.log" | tail -3)"
fi

# 10. by reload again: quarantine_mode hold and a 1000-byte cap
mkconfig "" "$(printf '  quarantine_mode: hold\n  max_message_bytes: 1000')"
kill -HUP "$GV_PID"
wait_gen 3
r_big=$(send "$SRC/samples/01-newsletter.eml" alice@e2e.test)
r_hold=$(send "$PHISH" bob@e2e.test)
QH=$(echo "$r_hold" | qid_of)
sleep 1
if echo "$r_big" | grep -q '552 5.3.4' &&
	grep -q 'action=reject .*error="message larger than milter.max_message_bytes"' "$T/milter.log" &&
	[ -n "$QH" ] && postqueue -c "$PF" -p | grep -q "^$QH!" &&
	grep -q "event=message qid=$QH .*action=hold" "$T/milter.log" &&
	"$GENEVA" quarantine --config "$T/geneva.yaml" --json list | grep -q "\"queue_id\":\"$QH\""; then
	ok "oversize message rejected 552 with a logged reason; hold mode keeps it in Postfix's hold queue and the store"
else
	not_ok "oversize 552 and hold mode" "big: $r_big" "hold: $r_hold" "$(postqueue -c "$PF" -p | head -3)"
fi
postsuper -c "$PF" -d ALL hold >/dev/null 2>&1 || true
mkconfig
kill -HUP "$GV_PID"
wait_gen 4

# the store cannot be written: the lure is tempfailed, never discarded or
# delivered (quarantine before answering); failure_mode accept delivers it
# marked unscanned instead
chmod 500 "$T/quarantine/msg"
r_fail=$(send "$PHISH" bob@e2e.test)
n_bob=$(find "$T/vmail/bob/new" -type f | wc -l)
mkconfig "" "  failure_mode: accept"
kill -HUP "$GV_PID"
wait_gen 5
r_acc=$(send "$PHISH" bob@e2e.test)
if echo "$r_fail" | grep -q '451 4.7.1' &&
	grep -q 'action=tempfail .*error="quarantine store failed"' "$T/milter.log" &&
	echo "$r_acc" | grep -q ' 250 ' && wait_mail bob $((n_bob + 1)) &&
	grep -q '^X-Geneva-Verdict: unscanned' "$(newest bob)"; then
	ok "store not writable: tempfail (451), or with failure_mode accept delivered marked unscanned"
else
	not_ok "store failure handling" "tempfail: $r_fail" "accept: $r_acc" "$(grep 'quarantine_error' "$T/milter.log" | tail -1)"
fi
chmod 700 "$T/quarantine/msg"
mkconfig
kill -HUP "$GV_PID"
wait_gen 6

# 8. SIGKILL of the worker: the supervisor restarts it
W=$(gv_worker_pid)
kill -KILL "$W"
i=0; while [ $i -lt 600 ] && [ "$(grep -c 'event=worker_started' "$T/milter.log")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
i=0; while [ $i -lt 600 ] && [ "$(grep -c 'event=ready' "$T/milter.log")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
r=$(send "$SRC/samples/01-newsletter.eml" alice@e2e.test)
if grep -q "event=worker_died pid=$W signal=9" "$T/milter.log" && echo "$r" | grep -q ' 250 ' &&
	wait_mail alice 3 && grep -q '^X-Geneva-Verdict: accept' "$(newest alice)"; then
	ok "worker killed by SIGKILL is restarted by the supervisor; mail flows again"
else
	not_ok "worker restart after SIGKILL" "reply: $r" "$(tail -4 "$T/milter.log")"
fi

# 9. the worker runs as nobody (privilege drop)
W=$(gv_worker_pid)
u=$(ps -o user= -p "$W" | tr -d ' ')
check "worker runs unprivileged (user $u)" [ "$u" = nobody ]

# 10. SIGTERM: graceful stop
kill -TERM "$GV_PID"
rc=0; wait "$GV_PID" || rc=$?
GV_PID=
if [ "$rc" = 0 ] && grep -q 'event=stopped' "$T/milter.log" && grep -q 'event=shutdown' "$T/milter.log"; then
	ok "SIGTERM stops gracefully (exit 0)"
else
	not_ok "graceful stop" "exit $rc" "$(tail -3 "$T/milter.log")"
fi

# background mode: detaches, pidfile, SIGTERM through the pidfile removes it
BG_PORT=$(free_port)
rc=0
"$GENEVA" milter --config "$T/geneva.yaml" --socket "inet:$BG_PORT@127.0.0.1" --pidfile "$T/bg.pid" || rc=$?
i=0; while [ $i -lt 100 ] && [ ! -s "$T/bg.pid" ]; do sleep 0.1; i=$((i + 1)); done
BG=$(cat "$T/bg.pid" 2>/dev/null || echo 0)
alive=no; [ "$BG" != 0 ] && kill -0 "$BG" 2>/dev/null && alive=yes
[ "$BG" != 0 ] && kill -TERM "$BG" 2>/dev/null || true
i=0; while [ $i -lt 600 ] && [ -e "$T/bg.pid" ]; do sleep 0.1; i=$((i + 1)); done # slow under ASan
check "background mode: exit $rc, pidfile written, alive=$alive, pidfile removed on SIGTERM" \
	[ "$rc" = 0 -a "$alive" = yes -a ! -e "$T/bg.pid" ]

# 11. milter down: Postfix tempfails (milter_default_action = tempfail), nothing delivered unscanned
r=$(send "$SRC/samples/01-newsletter.eml" alice@e2e.test)
case "$r" in
*" 4"[0-9][0-9]" "*) ok "milter down -> Postfix tempfails ($r)" ;;
*) not_ok "milter down -> tempfail" "reply: $r" ;;
esac

[ "$failed" = 0 ] || { echo "# milter log:"; tail -15 "$T/milter.log" | sed 's/^/# /'; }
exit $([ "$failed" = 0 ] && echo 0 || echo 1)
