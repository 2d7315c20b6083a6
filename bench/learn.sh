#!/bin/bash
# Classifier costs: training speed, model memory, and the time classification
# adds to a scan (CPU of `geneva scan` with and without a model, best of 3,
# divided by the number of messages). Goals: <= 50 us/message added,
# >= 5,000 training messages/s, <= 64 MB of model.
set -eu
cd "$(dirname "$0")/.."
SHARED=${GENEVA_SHARED:-../shared}
E=$SHARED/corpora/email
sh scripts/build.sh build >/dev/null
G=./build/src/cli/geneva
W=$(mktemp -d /tmp/gv-bench-learn.XXXXXX)
trap 'rm -rf $W' EXIT
cpu() { /usr/bin/time -f "%U %S" -o $W/t "$@" >/dev/null 2>&1 || true; tail -n1 $W/t | awk '{print $1+$2}'; }
best() { b=999999; for i in 1 2 3; do c=$(cpu "$@"); b=$(awk -v a=$b -v c=$c 'BEGIN{print (c<a)?c:a}'); done; echo $b; }

C1=$(cpu $G learn --db $W/l.db --as phishing --no-retrain $E/phishing_pot_sample)
C2=$(cpu $G learn --db $W/l.db --as spam --no-retrain $E/spamassassin_public_corpus/spam-1)
C3=$(cpu $G learn --db $W/l.db --as ham --no-retrain $E/spamassassin_public_corpus/easy-ham-1)
echo "learn (parse + scan + features + store, 3 start-ups included), 4280 messages: $(awk -v a=$C1 -v b=$C2 -v c=$C3 'BEGIN{printf "%.0f", 4280/(a+b+c)}') messages per CPU-second"
$G learn --db $W/l.db --retrain

N=$($G scan --json $E/phishing_pot_sample $E/spamassassin_public_corpus | wc -l)
WITHOUT=$(best $G scan --json $E/phishing_pot_sample $E/spamassassin_public_corpus)
WITH=$(best $G scan --json --learn-db $W/l.db $E/phishing_pot_sample $E/spamassassin_public_corpus)
awk -v n=$N -v a=$WITHOUT -v b=$WITH 'BEGIN{
	printf "scan CPU, %d messages: %.3f s without a model, %.3f s with one\n", n, a, b;
	printf "classification adds %.1f us per message (model load included)\n", (b-a)/n*1e6 }'
