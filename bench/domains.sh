#!/bin/sh
# Domain defense benchmark.
#   bench/domains.sh [BUILD_DIR]
# 1. Brand index: names/s on one core (CPU time of one thread) against the
#    first 1,000 brands of the Tranco top list (../shared corpora), over a
#    feed of popular domains, real phishing domains and generated variants.
#    Goal (issue 6): >= 1,000,000 names/s.
# 2. Permutations: geneva's generator against `dnstwist --format list` for
#    the same domains: names generated, time, and how many of dnstwist's
#    names the brand index reports (recall), printed as ratios.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
shared=${GENEVA_SHARED:-$PWD/../shared}
corp=$shared/corpora/domains
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" src/domains/domains-bench src/cli/geneva >/dev/null
bench=$PWD/$build/src/domains/domains-bench
geneva=$PWD/$build/src/cli/geneva
tmp=$(mktemp -d /tmp/gv-domains-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# json_list FILE KEY [LIMIT]: the strings of one list, leading dots dropped
json_list() { python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))[sys.argv[2]]; n=int(sys.argv[3]); [print(x.lstrip(".")) for x in (l[:n] if n else l)]' "$1" "$2" "${3:-0}"; }
json_list "$corp/benign/tranco10k/list.json" list 1000 > "$tmp/brands.txt"
{
	json_list "$corp/benign/tranco10k/list.json" list
	json_list "$corp/benign/majestic_million/list.json" list
	json_list "$corp/lookalike/metamask_eth-phishing-detect_1.2.0_config.json" blacklist
	cut -d, -f1 "$corp"/lookalike/ail-typo-squatting_tests/*.txt
} > "$tmp/names.txt"
n=$(wc -l < "$tmp/names.txt")
echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# 1. brand index: $(wc -l < "$tmp/brands.txt") brands (tranco top), $n names x 40 rounds, one thread"
"$bench" match "$tmp/brands.txt" "$tmp/names.txt" 40 | tee "$tmp/match.out"
awk '{for(i=1;i<=NF;i++){split($i,a,"="); if(a[1]=="names_per_s") printf "ratio names_per_s/goal(1,000,000) = %.2f\n", a[2]/1000000}}' "$tmp/match.out"

echo "# 2. permutations: geneva domains permute vs dnstwist --format list"
if ! command -v dnstwist >/dev/null; then
	echo "dnstwist not installed (scripts/deps.sh --full): skipped"
	exit 0
fi
for d in microsoft.com google.com paypal.com americanexpress.com; do
	t0=$(date +%s.%N)
	dnstwist --format list "$d" 2>/dev/null | grep -vx "$d" > "$tmp/dt.txt"
	t1=$(date +%s.%N)
	"$geneva" domains permute "$d" | awk '{print $2}' > "$tmp/gv.txt"
	t2=$(date +%s.%N)
	echo "$d" > "$tmp/brand1.txt"
	found=$("$geneva" domains watch --brands "$tmp/brand1.txt" "$tmp/dt.txt" 2>/dev/null | wc -l)
	both=$(sort -u "$tmp/dt.txt" | comm -12 - "$(sort -u "$tmp/gv.txt" > "$tmp/gvs.txt"; echo "$tmp/gvs.txt")" | wc -l)
	awk -v d="$d" -v dn="$(wc -l < "$tmp/dt.txt")" -v gn="$(wc -l < "$tmp/gv.txt")" \
	    -v dt="$(echo "$t1 - $t0" | bc)" -v gt="$(echo "$t2 - $t1" | bc)" \
	    -v found="$found" -v both="$both" 'BEGIN {
		printf "%s dnstwist=%d names %.2fs geneva=%d names %.3fs | ratio names geneva/dnstwist=%.2f speed dnstwist_time/geneva_time=%.1f shared_names=%.2f index_recall_of_dnstwist=%.4f\n",
		    d, dn, dt, gn, gt, gn / dn, (gt > 0 ? dt / gt : 0), both / dn, found / dn }'
done
