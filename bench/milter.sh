#!/bin/sh
# Postfix alone vs Postfix + geneva milter under the same SMTP load, side
# by side: messages/s, end-of-data reply latency p50/p99 (the step the
# milter adds to), and the milter's RSS (supervisor + worker) with CONC
# concurrent sessions open. Root; loopback only; ~4 minutes.
#
# Two loads per setup: saturation (every session sends as fast as it can:
# throughput) and a paced open-loop load at RATE messages/s (latency
# without queueing, the "added latency for typical mail").
#
# usage: bench/milter.sh [GENEVA_BINARY]   env: CONC (50), TOTAL (2000),
#        RATE (100), ROUNDS (3), SET (typical = easy-ham corpus | phishing =
#        phishing_pot), SOCK (unix = a unix socket, the fast setup; inet =
#        TCP on loopback)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
GENEVA=$(readlink -f "${1:-$SRC/build/src/cli/geneva}")
SHARED=${GENEVA_SHARED:-$SRC/../shared}
CONC=${CONC:-50}
TOTAL=${TOTAL:-2000}
SET=${SET:-typical}
RATE=${RATE:-100}
SOCK=${SOCK:-unix}
ROUNDS=${ROUNDS:-3}
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
{ gv_example_config; printf 'quarantine:\n  dir: %s/quarantine\n  sendmail: %s/sendmail\n' "$T" "$T"
  printf 'milter:\n  socket_group: postfix\n'; } > "$T/geneva.yaml"
chmod 644 "$T/geneva.yaml"

# Two Postfix instances run side by side (one without, one with the milter)
# and the loads alternate between them ROUNDS times: the machine is shared,
# so a single "alone" run and a later "milter" run can see different
# background load; medians over interleaved rounds are what we compare.
MILTER_PORT=$(free_port)
PORT_A=$(free_port)
PORT_M=$(free_port)
case "$SOCK" in
unix) PF_MILTER="unix:$T/milter.sock" GV_SOCK="unix:$T/milter.sock" ;;
inet) PF_MILTER="inet:127.0.0.1:$MILTER_PORT" GV_SOCK="inet:$MILTER_PORT@127.0.0.1" ;;
*) echo "SOCK must be unix or inet"; exit 2 ;;
esac
pf_setup "$T/a" "$PORT_A" ""
PF_A=$PF
pf_setup "$T/m" "$PORT_M" "$PF_MILTER"
PF_M=$PF
PF=$PF_A; pf_start
PF=$PF_M; pf_start
cleanup() { gv_stop; PF=$PF_A; pf_stop; PF=$PF_M; pf_stop; rm -rf "$T"; }
gv_start "$T/geneva.yaml" "$GV_SOCK"
LOAD="$SRC/bench/milter_load.py"
python3 "$LOAD" "$PORT_A" "$CONC" 200 "$T/msgs" > /dev/null # warm-up
python3 "$LOAD" "$PORT_M" "$CONC" 200 "$T/msgs" > /dev/null
r=1
while [ $r -le "$ROUNDS" ]; do
	python3 "$LOAD" "$PORT_A" "$CONC" "$TOTAL" "$T/msgs" > "$T/alone-$r.json"
	python3 "$LOAD" "$PORT_M" "$CONC" "$TOTAL" "$T/msgs" "$GV_PID" > "$T/milter-$r.json"
	python3 "$LOAD" "$PORT_A" "$CONC" $((RATE * 10)) "$T/msgs" 0 "$RATE" > "$T/alone-paced-$r.json"
	python3 "$LOAD" "$PORT_M" "$CONC" $((RATE * 10)) "$T/msgs" "$GV_PID" "$RATE" > "$T/milter-paced-$r.json"
	r=$((r + 1))
done
# the milter's own time per message (end of message -> answer)
grep -o ' ms=[0-9.]*$' "$T/milter.log" | cut -d= -f2 | sort -n > "$T/ms.txt"
cp "$T/milter.log" /tmp/gv-bench-milter.log

python3 - "$T" "$ROUNDS" "$CONC" "$SET" "$RATE" "$SOCK" <<'PY'
import json, statistics, sys
t, rounds, conc, set_, rate, sock = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def load(name):
    return [json.load(open("%s/%s-%d.json" % (t, name, r))) for r in range(1, rounds + 1)]
def med(runs, k):
    return round(statistics.median(x[k] for x in runs), 2)
A, M, AP, MP = load("alone"), load("milter"), load("alone-paced"), load("milter-paced")
keys = (("msgs_per_s", "messages/s"), ("eod_p50_ms", "end-of-data p50 (ms)"),
        ("eod_p99_ms", "end-of-data p99 (ms)"), ("txn_p50_ms", "transaction p50 (ms)"),
        ("txn_p99_ms", "transaction p99 (ms)"))
print("geneva milter bench: set=%s, %s concurrent SMTP sessions, %d interleaved rounds, medians, milter socket %s"
      % (set_, conc, rounds, sock))
print("saturation (%d messages per round)      postfix alone  postfix+milter" % A[0]["messages"])
for k, label in keys:
    print("  %-36s %14s %14s" % (label, med(A, k), med(M, k)))
print("  %-36s %14s %14s" % ("messages/s per round", [x["msgs_per_s"] for x in A], [x["msgs_per_s"] for x in M]))
codes = lambda runs: sum(sum(v for c, v in x["codes"].items() if c != "250") for x in runs)
print("  %-36s %14s %14s" % ("non-250 replies (all rounds)", codes(A), codes(M)))
print("  throughput ratio (milter/alone, medians): %.2f  (goal >= 0.8)" %
      (med(M, "msgs_per_s") / med(A, "msgs_per_s")))
# each round's milter run follows its alone run directly, so a round's
# ratio compares like with like when the machine's other load drifts
rr = [m["msgs_per_s"] / a["msgs_per_s"] for a, m in zip(A, M)]
print("  per-round ratios: %s, median %.2f" % ([round(x, 2) for x in rr], statistics.median(rr)))
print("paced at %s messages/s (%d messages per round)" % (rate, AP[0]["messages"]))
for k, label in keys:
    print("  %-36s %14s %14s" % (label, med(AP, k), med(MP, k)))
print("  %-36s %14s %14s" % ("non-250 replies (all rounds)", codes(AP), codes(MP)))
print("  added end-of-data latency (paced, medians): p50 %+.1f ms, p99 %+.1f ms  (goal p99 <= 20 ms)" %
      (med(MP, "eod_p50_ms") - med(AP, "eod_p50_ms"), med(MP, "eod_p99_ms") - med(AP, "eod_p99_ms")))
ms = [float(x) for x in open(t + "/ms.txt")]
print("inside the milter (end of message -> answer, all messages): p50 %.2f ms, p99 %.2f ms" %
      (ms[len(ms) // 2], ms[min(len(ms) - 1, len(ms) * 99 // 100)]))
print("milter CPU per message (supervisor + worker + scanners, all threads): %.2f ms saturated, %.2f ms paced" %
      (med(M, "milter_cpu_ms_per_msg"), med(MP, "milter_cpu_ms_per_msg")))
sp = lambda runs, k: round(statistics.median(x["milter_cpu_split_ms"][k] for x in runs), 3)
print("  of which (saturated): supervisor %s, worker (protocol) %s, scanners %s ms" %
      (sp(M, "supervisor"), sp(M, "worker"), sp(M, "scanners")))
print("milter RSS (supervisor + worker + scanners) with %s sessions open: %.1f MiB summed RSS, %.1f MiB PSS (max over rounds)" %
      (conc, max(x["rss_at_conc_kb"] for x in M) / 1024, max(x.get("pss_at_conc_kb", 0) for x in M) / 1024))
PY
