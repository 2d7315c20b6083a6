#!/bin/sh
# Zero-loss test of `geneva milter` in front of a real Postfix on loopback.
#
# Run A: N messages (default 2000: clean, spam, phishing, malware incl. a
#        zip bomb, hostile/malformed incl. every mime_edge_cases file), sent
#        with swaks by 6 concurrent senders. Every message must end accepted
#        (250 + queue id) or rejected at SMTP; every accepted one delivered
#        (with X-Geneva headers) or quarantined; one log line each; the
#        worker never dies.
# Run B: the same messages again, with the worker killed by SIGKILL at 1/3
#        (the supervisor restarts it) and the whole daemon (supervisor and
#        worker) killed by SIGKILL at 2/3 and restarted by this script.
#        Postfix tempfails (milter_default_action = tempfail) what was in
#        flight, the senders retry like an MTA queue would, the queue is
#        flushed (postqueue -f), and the same accounting must hold: nothing
#        lost, nothing delivered unscanned.
#
# usage: milter-zero-loss.sh GENEVA_BINARY [N]   (root; ~3-6 minutes)
set -eu
GENEVA=$(readlink -f "$1")
N=${2:-${GV_ZERO_LOSS_N:-2000}}
SRC=${GENEVA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SHARED=${GENEVA_SHARED:-$SRC/../shared}
PY="$SRC/tests/e2e/milter_zero_loss.py"
command -v postfix >/dev/null && command -v swaks >/dev/null ||
	{ echo "SKIP: postfix or swaks not installed (scripts/deps.sh --full)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (postfix)"; exit 77; }
[ -d "$SHARED/corpora/email" ] || { echo "SKIP: no corpora in $SHARED"; exit 77; }

T=$(mktemp -d /tmp/gv-e2e-zeroloss-XXXXXX)
chmod 755 "$T"
GV_PID= SENDER=
. "$SRC/tests/e2e/milter-lib.sh"
cleanup() {
	[ -n "$SENDER" ] && kill "$SENDER" 2>/dev/null || true
	gv_stop
	pf_stop
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

SMTP_PORT=$(free_port)
MILTER_PORT=$(free_port)
SOCK="inet:$MILTER_PORT@127.0.0.1"
pf_setup "$T" "$SMTP_PORT" "inet:127.0.0.1:$MILTER_PORT"
{ gv_example_config; cat <<EOF
milter:
  scanners: 2
quarantine:
  dir: $T/quarantine
  sendmail: $T/sendmail
EOF
} > "$T/geneva.yaml"
chmod 644 "$T/geneva.yaml"
python3 "$PY" build "$T/msgs" "$N" "$SRC" "$SHARED"
pf_start

# wait until the queue is empty (flushing deferred mail), up to 120 s
drain() {
	_i=0
	while [ $_i -lt 120 ]; do
		[ "$(pf_queued)" = 0 ] && return 0
		pf_flush
		sleep 1
		_i=$((_i + 1))
	done
	echo "queue not empty after 120 s: $(pf_queued) messages"
	return 1
}
sent() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
fresh_state() { rm -rf "$T/vmail"/* "$T/quarantine"; : > "$T/milter.log"; GV_READY_BEFORE=0; }

status=0
# ---- run A
fresh_state
gv_start "$T/geneva.yaml" "$SOCK"
t0=$(date +%s)
python3 "$PY" send "$T/msgs" "$SMTP_PORT" "$T/results-a.jsonl" 6
drain || status=1
echo "run A: $(( $(date +%s) - t0 )) s"
python3 "$PY" check "$T" "$T/results-a.jsonl" "run A" || status=1
deaths=$(grep -c 'event=worker_died' "$T/milter.log" || true)
if [ "$deaths" != 0 ]; then
	echo "PROBLEM: the worker died $deaths times on hostile input"
	grep 'event=worker_died' "$T/milter.log" | head -3
	status=1
fi
gv_stop
cp "$T/milter.log" "$T/milter-a.log"

# Waits until the sender has results for $1 messages; fails the test (never
# hangs) if the sender died or 15 minutes pass.
wait_sent() {
	deadline=$(($(date +%s) + 900))
	while [ "$(sent "$T/results-b.jsonl")" -lt "$1" ]; do
		if ! kill -0 "$SENDER" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
			echo "run B: the sender stopped or timed out before $1 messages" >&2
			exit 1
		fi
		sleep 0.2
	done
}

# ---- run B: SIGKILL the worker at 1/3, the whole daemon at 2/3
fresh_state
gv_start "$T/geneva.yaml" "$SOCK"
t0=$(date +%s)
python3 "$PY" send "$T/msgs" "$SMTP_PORT" "$T/results-b.jsonl" 6 &
SENDER=$!
wait_sent $((N / 3))
W=$(gv_worker_pid)
echo "run B: SIGKILL worker $W after $(sent "$T/results-b.jsonl") messages"
kill -KILL "$W"
wait_sent $((2 * N / 3))
W=$(gv_worker_pid)
echo "run B: SIGKILL supervisor $GV_PID and worker $W after $(sent "$T/results-b.jsonl") messages"
kill -KILL "$GV_PID" "$W"
wait "$GV_PID" 2>/dev/null || true
GV_PID=
sleep 2
echo "run B: restarting the milter"
gv_start "$T/geneva.yaml" "$SOCK"
wait "$SENDER" || status=1
SENDER=
drain || status=1
echo "run B: $(( $(date +%s) - t0 )) s"
python3 "$PY" check "$T" "$T/results-b.jsonl" "run B (SIGKILL x2)" || status=1
echo "run B: worker deaths logged: $(grep -c 'event=worker_died' "$T/milter.log" || true) (1 expected: the supervised SIGKILL)"
echo "postfix milter tempfails in run B: $(grep -c 'milter.*\(tempfail\|451\)\|4.7.1' "$T/log/postfix.log" || true) log lines"
[ "$status" = 0 ] && echo "PASS" || echo "FAIL"
exit "$status"
