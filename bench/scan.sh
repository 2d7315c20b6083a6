#!/bin/bash
# Scan throughput: geneva vs rspamd vs SpamAssassin on the same messages, in
# one run. Prints messages per CPU-second of the scanning processes (robust on
# a shared machine), messages/s, MB/s, peak RSS and the ratios.
#   bench/scan.sh [N]   N messages per corpus folder (default 400)
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-400}
SHARED=${GENEVA_SHARED:-../shared}
W=$(mktemp -d /tmp/gv-bench-scan.XXXXXX)
chmod 755 "$W"
trap 'kill $(cat $W/*.bgpid 2>/dev/null) 2>/dev/null; [ -f $W/spamd.pid ] && kill $(cat $W/spamd.pid) 2>/dev/null; pkill -f "rspamd.*$W" 2>/dev/null; sleep 1; rm -rf $W' EXIT
sh scripts/deps.sh --full
sh scripts/build.sh build >/dev/null

# The same corpus for everyone: N messages from each labelled folder.
mkdir -p $W/corpus
for d in phishing_pot_sample spamassassin_public_corpus/easy-ham-1 spamassassin_public_corpus/spam-1; do
	ls "$SHARED/corpora/email/$d" | sort | head -n "$N" | while read f; do
		cp "$SHARED/corpora/email/$d/$f" "$W/corpus/$(echo $d | tr / _)-$f"
	done
done
chmod -R a+r $W/corpus
MSGS=$(ls $W/corpus | wc -l)
BYTES=$(du -sb $W/corpus | cut -f1)
MB=$(awk -v b=$BYTES 'BEGIN{printf "%.2f", b/1048576}')
echo "corpus: $MSGS messages, $MB MB"
start_null_dns 55399 $W

result() { # name cpu wall rss
	awk -v n="$1" -v c="$2" -v w="$3" -v r="$4" -v m=$MSGS -v mb=$MB \
		'BEGIN{printf "%-13s %10.1f %9.1f %7.2f %9.1f\n", n, m/c, m/w, mb/w, r}'
}
printf "%-13s %10s %9s %7s %9s\n" scanner "msg/CPU-s" "msg/s" "MB/s" "RSS MiB"

# --- geneva: one process, measured by its own rusage ---
/usr/bin/time -f "%U %S %e %M" -o $W/gv.time ./build/src/cli/geneva scan --json $W/corpus >/dev/null 2>&1 || true
read u s e m < <(tail -n 1 $W/gv.time)
GV_CPU=$(awk -v u=$u -v s=$s 'BEGIN{print u+s}')
GV_RSS=$(awk -v m=$m 'BEGIN{printf "%.1f", m/1024}')
result geneva $GV_CPU $e $GV_RSS | tee $W/gv.row

# --- rspamd: stock rules, no Redis, DNS on the null resolver ---
R=$W/rspamd
mkdir -p $R/local/override.d $R/local/local.d $R/db $R/run $R/log
cat > $R/local/override.d/worker-normal.inc <<CONF
bind_socket = "127.0.0.1:21333";
count = 1;
CONF
cat > $R/local/override.d/worker-controller.inc <<CONF
bind_socket = "127.0.0.1:21334";
CONF
echo 'enabled = false;' > $R/local/override.d/worker-proxy.inc
echo 'dns { nameserver = ["127.0.0.1:55399"]; }' > $R/local/local.d/options.inc
chown -R _rspamd:_rspamd $R
rspamd -f -u _rspamd -g _rspamd -c /etc/rspamd/rspamd.conf \
	--var=LOCAL_CONFDIR=$R/local --var=DBDIR=$R/db --var=RUNDIR=$R/run \
	--var=LOGDIR=$R/log >$R/stdout 2>&1 &
echo $! > $W/rspamd.bgpid
wait_port 127.0.0.1 21333 240
# warm up (first scans compile Hyperscan databases)
rspamc -h 127.0.0.1:21333 -n 4 $(ls -d $W/corpus/* | head -20) >/dev/null 2>&1 || true
sleep 2
PIDS=$(pgrep -x rspamd | tr "\n" " ")
C0=$(cpu_of $PIDS); T0=$(date +%s.%N)
rspamc -h 127.0.0.1:21333 -n 8 $W/corpus >/dev/null 2>&1 || true
T1=$(date +%s.%N); C1=$(cpu_of $PIDS)
RS_CPU=$(awk -v a=$C0 -v b=$C1 'BEGIN{print b-a}')
RS_WALL=$(awk -v a=$T0 -v b=$T1 'BEGIN{print b-a}')
RS_RSS=$(rss_of $PIDS)
result rspamd $RS_CPU $RS_WALL $RS_RSS | tee $W/rs.row
kill $(cat $W/rspamd.bgpid) 2>/dev/null || true

# --- SpamAssassin: spamd, Bayes off, DNS on the null resolver ---
S=$W/sa
mkdir -p $S/site $S/home
cp -r /etc/spamassassin/* $S/site/
printf 'dns_server 127.0.0.1:55399\nuse_bayes 0\nbayes_auto_learn 0\n' >> $S/site/local.cf
chown -R debian-spamd:debian-spamd $S
spamd --siteconfigpath=$S/site --listen=127.0.0.1:21783 --allowed-ips=127.0.0.1 \
	--max-children=2 --username=debian-spamd --groupname=debian-spamd \
	--nouser-config --helper-home-dir=$S/home --pidfile=$W/spamd.pid -d
wait_port 127.0.0.1 21783 240
sleep 2
spamc -d 127.0.0.1 -p 21783 -c < $(ls -d $W/corpus/* | head -1) >/dev/null 2>&1 || true
PIDS=$(pgrep -f "spamd" | tr '\n' ' ')
C0=$(cpu_of $PIDS); T0=$(date +%s.%N)
ls $W/corpus | xargs -P 2 -I{} sh -c "spamc -s 2000000 -d 127.0.0.1 -p 21783 -c < '$W/corpus/{}' >/dev/null 2>&1" || true
T1=$(date +%s.%N)
PIDS2=$(pgrep -f "spamd" | tr '\n' ' ')
C1=$(cpu_of $PIDS2)
SA_CPU=$(awk -v a=$C0 -v b=$C1 'BEGIN{print b-a}')
SA_WALL=$(awk -v a=$T0 -v b=$T1 'BEGIN{print b-a}')
SA_RSS=$(rss_of $PIDS2)
result spamassassin $SA_CPU $SA_WALL $SA_RSS | tee $W/sa.row

echo
awk -v g=$GV_CPU -v r=$RS_CPU -v s=$SA_CPU -v gr=$GV_RSS -v rr=$RS_RSS -v sr=$SA_RSS 'BEGIN{
	printf "geneva vs rspamd:       %.1fx messages per CPU-second, %.2fx memory\n", r/g, gr/rr;
	printf "geneva vs SpamAssassin: %.1fx messages per CPU-second, %.2fx memory\n", s/g, gr/sr }'
