#!/bin/sh
# Postfix alone vs Postfix + geneva milter under the same SMTP load, side
# by side: messages/s, end-of-data reply latency p50/p99 (the step the
# milter adds to), and the milter's RSS (supervisor + worker) with CONC
# concurrent sessions open. Root; loopback only; ~2 minutes.
#
# Two loads per setup: saturation (every session sends as fast as it can:
# throughput) and a paced open-loop load at RATE messages/s (latency
# without queueing, the "added latency for typical mail").
#
# usage: bench/milter.sh [GENEVA_BINARY]   env: CONC (50), TOTAL (2000),
#        RATE (100), SET (typical = easy-ham corpus | phishing = phishing_pot)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
GENEVA=$(readlink -f "${1:-$SRC/build/src/cli/geneva}")
SHARED=${GENEVA_SHARED:-$SRC/../shared}
CONC=${CONC:-50}
TOTAL=${TOTAL:-2000}
SET=${SET:-typical}
RATE=${RATE:-100}
command -v postfix >/dev/null || { echo "postfix not installed (scripts/deps.sh --full)"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (postfix)"; exit 2; }

T=$(mktemp -d /tmp/gv-bench-milter-XXXXXX)
chmod 755 "$T"
GV_PID= PF=
. "$SRC/tests/e2e/milter-lib.sh"
cleanup() { gv_stop; pf_stop; rm -rf "$T"; }
trap cleanup EXIT INT TERM

mkdir -p "$T/msgs"
case "$SET" in
typical) src="$SHARED/corpora/email/spamassassin_public_corpus/easy-ham-1" ;;
phishing) src="$SHARED/corpora/email/phishing_pot_sample" ;;
*) echo "SET must be typical or phishing"; exit 2 ;;
esac
ls "$src" | head -400 | while read -r f; do cp "$src/$f" "$T/msgs/$f.eml"; done
{ cat "$SRC/config/geneva.yaml"; printf 'quarantine:\n  dir: %s/quarantine\n  sendmail: %s/sendmail\n' "$T" "$T"; } > "$T/geneva.yaml"
chmod 644 "$T/geneva.yaml"

run() { # $1 = label, $2 = milter spec or ""
	rm -rf "$T/spool" "$T/vmail" "$T/data"
	SMTP_PORT=$(free_port)
	pf_setup "$T" "$SMTP_PORT" "$2"
	pf_start
	pid=0
	if [ -n "$2" ]; then
		gv_start "$T/geneva.yaml" "inet:$MILTER_PORT@127.0.0.1"
		pid=$GV_PID
	fi
	python3 "$SRC/bench/milter_load.py" "$SMTP_PORT" "$CONC" 200 "$T/msgs" > /dev/null # warm-up
	python3 "$SRC/bench/milter_load.py" "$SMTP_PORT" "$CONC" "$TOTAL" "$T/msgs" "$pid" > "$T/$1.json"
	python3 "$SRC/bench/milter_load.py" "$SMTP_PORT" "$CONC" $((RATE * 10)) "$T/msgs" "$pid" "$RATE" > "$T/$1-paced.json"
	gv_stop
	pf_stop
	if [ -n "$2" ]; then
		# the milter's own time per message (end of message -> answer)
		grep -o ' ms=[0-9.]*$' "$T/milter.log" | tail -n $((TOTAL + RATE * 10)) | cut -d= -f2 | sort -n > "$T/ms.txt"
		cp "$T/milter.log" /tmp/gv-bench-milter.log
	fi
}
MILTER_PORT=$(free_port)
run alone ""
run milter "inet:127.0.0.1:$MILTER_PORT"

python3 - "$T/alone.json" "$T/milter.json" "$CONC" "$SET" "$T/ms.txt" "$T/alone-paced.json" "$T/milter-paced.json" "$RATE" <<'PY'
import json, sys
a, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("geneva milter bench: %s messages, %s concurrent SMTP sessions, set=%s" % (a["messages"], sys.argv[3], sys.argv[4]))
print("%-28s %14s %14s" % ("", "postfix alone", "postfix+milter"))
for k, label in (("msgs_per_s", "messages/s"), ("eod_p50_ms", "end-of-data p50 (ms)"),
                 ("eod_p99_ms", "end-of-data p99 (ms)"), ("txn_p50_ms", "transaction p50 (ms)"),
                 ("txn_p99_ms", "transaction p99 (ms)")):
    print("%-28s %14s %14s" % (label, a[k], m[k]))
print("%-28s %14s %14s" % ("reply codes", json.dumps(a["codes"]), json.dumps(m["codes"])))
print("throughput ratio (milter/alone): %.2f  (goal >= 0.8)" % (m["msgs_per_s"] / a["msgs_per_s"]))
print("added end-of-data latency at saturation: p50 %+.1f ms, p99 %+.1f ms  (queueing)" %
      (m["eod_p50_ms"] - a["eod_p50_ms"], m["eod_p99_ms"] - a["eod_p99_ms"]))
ap, mp = json.load(open(sys.argv[6])), json.load(open(sys.argv[7]))
print("paced at %s messages/s (%s messages, %s sessions): postfix alone / +milter" % (sys.argv[8], ap["messages"], sys.argv[3]))
for k, label in (("msgs_per_s", "messages/s"), ("eod_p50_ms", "end-of-data p50 (ms)"),
                 ("eod_p99_ms", "end-of-data p99 (ms)"), ("txn_p50_ms", "transaction p50 (ms)"),
                 ("txn_p99_ms", "transaction p99 (ms)")):
    print("%-28s %14s %14s" % (label, ap[k], mp[k]))
print("%-28s %14s %14s" % ("reply codes", json.dumps(ap["codes"]), json.dumps(mp["codes"])))
print("added end-of-data latency (paced): p50 %+.1f ms, p99 %+.1f ms  (goal p99 <= 20 ms)" %
      (mp["eod_p50_ms"] - ap["eod_p50_ms"], mp["eod_p99_ms"] - ap["eod_p99_ms"]))
ms = [float(x) for x in open(sys.argv[5])]
if ms:
    print("inside the milter (end of message -> answer): p50 %.2f ms, p99 %.2f ms" %
          (ms[len(ms) // 2], ms[min(len(ms) - 1, len(ms) * 99 // 100)]))
print("milter CPU per message (supervisor + worker, all threads): %.2f ms at saturation, %.2f ms paced" %
      (m["milter_cpu_ms_per_msg"], mp["milter_cpu_ms_per_msg"]))
print("milter RSS (supervisor + worker): %.1f MiB with %s sessions open, peak %.1f MiB" %
      (m["rss_at_conc_kb"] / 1024, sys.argv[3], m["rss_peak_kb"] / 1024))
PY
