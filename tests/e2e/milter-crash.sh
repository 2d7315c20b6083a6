#!/bin/sh
# Crash isolation of `geneva milter` in front of a real Postfix on
# loopback: a scanner process killed (SIGKILL) while it holds a message
# costs only that message, which is retried on another scanner. TAP.
#
# The test kills the scanner that was handed a large message (a ~27 MB zip
# of 1,000 files; milter_crash.py "killer" spots it by the bytes it read,
# stops it, checks it had not answered yet, kills it) while 4 other SMTP
# sessions keep sending small messages through the same milter.
#
#   one kill   -> the large message is accepted after a retry on another
#                 scanner (log: scanner_crashes=1), every concurrent message
#                 gets 250 (no 451) with its log line, the worker never dies,
#                 the killed scanner is restarted
#   every scanner that gets it is killed (a "poison" message)
#              -> first SMTP attempt: 451 4.7.1 after the retry died too;
#                 the sender's retry: the third death quarantines it with
#                 the finding milter.scanner_crashed (no endless loop);
#                 the concurrent messages still all get 250
#
# It runs over a unix socket (milter.socket_group: postfix), so it also
# covers that form and the no-reply steps negotiated on it.
#
# usage: milter-crash.sh GENEVA_BINARY   (root: Postfix)
set -eu
GENEVA=$(readlink -f "$1")
SRC=${GENEVA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${GENEVA_SHARED:-$SRC/../shared}
PY="$SRC/tests/e2e/milter_crash.py"
command -v postfix >/dev/null ||
	{ echo "1..0 # SKIP postfix not installed (scripts/deps.sh --full)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (postfix)"; exit 77; }

T=$(mktemp -d /tmp/gv-e2e-crash-XXXXXX)
chmod 755 "$T"
GV_PID= BG=
. "$SRC/tests/e2e/milter-lib.sh"
cleanup() {
	for p in $BG; do kill "$p" 2>/dev/null || true; done
	gv_stop
	pf_stop
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM


SMTP_PORT=$(free_port)
SOCK="$T/milter.sock"
pf_setup "$T" "$SMTP_PORT" "unix:$SOCK"
{ gv_example_config; cat <<EOF2
milter:
  scanners: 2
  socket_group: postfix
quarantine:
  dir: $T/quarantine
  sendmail: $T/sendmail
EOF2
} > "$T/geneva.yaml"
chmod 644 "$T/geneva.yaml"
mkdir -p "$T/small"
for f in "$SRC/samples/01-newsletter.eml" $(ls -d "$SHARED"/corpora/email/spamassassin_public_corpus/easy-ham-1/* 2>/dev/null | head -12); do
	cp "$f" "$T/small/$(basename "$f").eml"
done
# two different large messages: the worker remembers the first one's
# digest (it killed a scanner), which would count for a resend of it
python3 "$PY" victim "$T/victim-one.eml" one
python3 "$PY" victim "$T/victim-poison.eml" poison
VSIZE=$(stat -c %s "$T/victim-one.eml")
pf_start
gv_start "$T/geneva.yaml" "unix:$SOCK"
# both scanners up before the test starts counting
i=0; while [ $i -lt 600 ] && [ "$(grep -c 'event=scanner_started' "$T/milter.log")" -lt 2 ]; do sleep 0.1; i=$((i + 1)); done
W=$(gv_worker_pid)
echo "1..8"
perm=$(stat -c '%a %U %G' "$SOCK")
if [ "$perm" = "660 nobody postfix" ]; then ok "unix socket: mode 0660, owner nobody, group postfix ($perm)"
else not_ok "unix socket permissions" "got: $perm"; fi

# round NAME KILLS: chatter + killer + the victim sent once (or twice, the
# second as the sender's retry after a 4xx)
round() {
	_name=$1 _kills=$2
	rm -f "$T/stop-$_name"
	python3 "$PY" chatter "$SMTP_PORT" "$T/small" "$T/stop-$_name" "$T/chatter-$_name.jsonl" &
	_chat=$!
	python3 "$PY" killer "$W" $((VSIZE * 9 / 10)) "$_kills" "$T/kills-$_name.jsonl" &
	_kill=$!
	BG="$_chat $_kill"
	sleep 1
	python3 "$PY" send "$SMTP_PORT" "$T/victim-$_name.eml" "$T/victim-$_name-1.json"
	if grep -q '"code": 4' "$T/victim-$_name-1.json"; then
		sleep 1
		python3 "$PY" send "$SMTP_PORT" "$T/victim-$_name.eml" "$T/victim-$_name-2.json"
	fi
	touch "$T/stop-$_name"
	wait "$_chat" || true
	kill "$_kill" 2>/dev/null || true
	wait "$_kill" 2>/dev/null || true
	BG=
}
# every concurrent message got 2xx/5xx (none 4xx, none lost) and has its log line
chatter_ok() {
	python3 - "$T/chatter-$1.jsonl" "$T/milter.log" <<'PY'
import json, re, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
log = open(sys.argv[2]).read()
bad = [r for r in rs if not (200 <= r["code"] < 300 or 500 <= r["code"] < 600)]
nolog = [r["qid"] for r in rs if r["qid"] and not re.search(r"event=message qid=%s " % r["qid"], log)]
print("# %d concurrent messages, %d not 2xx/5xx %s, %d without a log line"
      % (len(rs), len(bad), bad[:3], len(nolog)))
sys.exit(0 if len(rs) >= 40 and not bad and not nolog else 1)
PY
}

# ---- one kill
round one 1
V=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["code"], r["qid"])' "$T/victim-one-1.json")
VQ=${V#* }
if grep -q '"mid_scan": true' "$T/kills-one.jsonl" && [ "${V%% *}" = 250 ] &&
	[ "$(grep -c "event=scanner_lost qid=$VQ " "$T/milter.log")" = 1 ] &&
	grep -q "event=message qid=$VQ .*scanner_crashes=1 " "$T/milter.log" &&
	! grep -q "event=message qid=$VQ .*action=tempfail" "$T/milter.log"; then
	ok "scanner killed while holding the large message: retried on another scanner, 250 ($(grep -o "qid=$VQ .*action=[a-z-]*" "$T/milter.log" | grep -o 'action=[a-z-]*'))"
else
	not_ok "large message retried after its scanner was killed" "victim: $V" "kills: $(cat "$T/kills-one.jsonl")" \
		"$(grep -E "scanner_|qid=$VQ" "$T/milter.log" | tail -5)"
fi
if chatter_ok one; then ok "concurrent messages all answered 2xx/5xx (no 451), each logged"
else not_ok "concurrent messages unaffected"; fi
i=0; while [ $i -lt 300 ] && [ "$(grep -c 'event=scanner_started' "$T/milter.log")" -lt 3 ]; do sleep 0.1; i=$((i + 1)); done
if grep -q 'event=scanner_died .*signal=9' "$T/milter.log" &&
	[ "$(grep -c 'event=scanner_started' "$T/milter.log")" -ge 3 ] &&
	! grep -q 'event=worker_died' "$T/milter.log" && [ "$(gv_worker_pid)" = "$W" ]; then
	ok "the killed scanner was restarted; the worker never died"
else
	not_ok "scanner restarted, worker alive" "$(grep -E 'scanner_|worker_' "$T/milter.log" | tail -5)"
fi

# envelope and headers over the unix socket (HELO/MAIL/RCPT without replies)
i=0; while [ $i -lt 100 ] && [ -z "$(ls "$T/vmail/alice/new" 2>/dev/null)" ]; do sleep 0.1; i=$((i + 1)); done
f=$(ls -d "$T"/vmail/alice/new/* 2>/dev/null | head -1)
if [ -n "$f" ] && grep -q '^X-Geneva-Verdict: ' "$f" && grep -q '^X-Geneva-Reasons: ' "$f" &&
	grep -q 'event=message qid=[0-9A-F]* from=chatter@example.org rcpt=alice@e2e.test client=127.0.0.1 ' "$T/milter.log"; then
	ok "unix socket: envelope in the log, X-Geneva headers on delivered mail"
else
	not_ok "unix socket envelope and headers" "file: $f" "$(grep -m1 'from=chatter' "$T/milter.log" | cut -c1-200)"
fi

# ---- a poison message: every scanner that gets it dies
round poison 3
V1=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["code"], r["text"][:60])' "$T/victim-poison-1.json")
V2=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["code"], r["qid"])' "$T/victim-poison-2.json" 2>/dev/null || echo "none none")
VQ2=${V2#* }
nk=$(grep -c '"mid_scan": true' "$T/kills-poison.jsonl" || true)
if [ "$nk" = 3 ] && echo "$V1" | grep -q '^451 4.7.1 Geneva: temporary failure (scanner crashed)' &&
	grep -q 'action=tempfail .*error="scanner crashed" scanner_crashes=2 ' "$T/milter.log"; then
	ok "poison message, first attempt: both scanners died, 451 ($V1)"
else
	not_ok "poison message first attempt tempfailed" "first: $V1" "kills: $nk" "$(grep -E 'scanner_crashes' "$T/milter.log" | tail -3 | cut -c1-300)"
fi
QJSON=$("$GENEVA" quarantine --config "$T/geneva.yaml" --json list 2>&1 || true)
if [ "${V2%% *}" = 250 ] &&
	grep -q "event=message qid=$VQ2 .*verdict=quarantine .*reasons=milter.scanner_crashed .*scanner_crashes=1 " "$T/milter.log" &&
	echo "$QJSON" | grep -q "\"queue_id\":\"$VQ2\""; then
	ok "poison message, the sender's retry: third death, quarantined as milter.scanner_crashed"
else
	not_ok "poison message quarantined on retry" "second: $V2" "$(grep "qid=$VQ2" "$T/milter.log" | cut -c1-300)" "$(echo "$QJSON" | head -2)"
fi
if chatter_ok poison; then ok "concurrent messages during the poison message: all 2xx/5xx, each logged"
else not_ok "concurrent messages unaffected by the poison message"; fi

[ "$failed" = 0 ] || { echo "# milter log:"; grep -v 'event=message' "$T/milter.log" | tail -15 | sed 's/^/# /'; }
exit $([ "$failed" = 0 ] && echo 0 || echo 1)
