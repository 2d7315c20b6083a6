#!/bin/sh
# End-to-end test of the DNS sinkhole: a real Unbound (Debian `unbound`) on
# a loopback port loads the RPZ zone that `geneva domains rpz` writes from
# `geneva domains watch --json` output.
#
#   lookalike found by watch (paypa1.com)   -> CNAME to the sinkhole host,
#                                              which answers 192.0.2.53
#   the real brand (paypal.com)             -> its own address 203.0.113.10
#                                              (served from a local root zone)
#   a new lookalike + rpz --reload          -> sinkholed without a restart
#   a fixed-address zone (--a/--aaaa)       -> 192.0.2.66
#
# Offline setup (see ../shared/notes/PEERS.md): module-config includes
# respip, the sinkhole host is an auth-zone with for-upstream: yes (the
# iterator chases the RPZ CNAME into it), so-reuseport: no, a free port.
# The root itself is a local auth-zone (for-upstream, no fallback), so the
# iterator never leaves the machine: names it does not hold are NXDOMAIN.
# (`local-zone: "." static` would also stop the RPZ CNAME target.)
#
# usage: domains-unbound.sh GENEVA_BINARY    (TAP output; only 127.0.0.1)
set -eu
GENEVA=$(readlink -f "$1")
UNBOUND=${UNBOUND:-/usr/sbin/unbound}
CONTROL=${UNBOUND_CONTROL:-/usr/sbin/unbound-control}
SRC=${GENEVA_SRC:-$(dirname "$0")/../..}
[ -x "$UNBOUND" ] && [ -x "$CONTROL" ] || { echo "1..0 # SKIP unbound not installed"; exit 77; }
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 77; }

T=$(mktemp -d /tmp/gv-e2e-dns-XXXXXX)
chmod 755 "$T"
UB_PID=
cleanup() {
	if [ -n "$UB_PID" ]; then
		"$CONTROL" -c "$T/unbound.conf" stop >/dev/null 2>&1 || kill "$UB_PID" 2>/dev/null || true
		wait "$UB_PID" 2>/dev/null || true
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; echo "# --- unbound log"; tail -20 "$T/unbound.log" 2>/dev/null | sed 's/^/# /'; exit 1; }
echo "1..7"

PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# A-record lookup through our Unbound; prints the addresses, or the rcode
# name when there are none (no dig needed: a few lines of DNS wire format).
query() {
	python3 - "$PORT" "$1" <<'EOF'
import socket, struct, sys, random
port, name = int(sys.argv[1]), sys.argv[2]
qid = random.randrange(65536)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
for label in name.rstrip(".").split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, ("127.0.0.1", port))
r, _ = s.recvfrom(4096)
rid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", r[:12])
def skip_name(b, o):
    while True:
        l = b[o]
        if l == 0: return o + 1
        if l & 0xC0 == 0xC0: return o + 2
        o += l + 1
o = 12
for _ in range(qd):
    o = skip_name(r, o) + 4
out = []
for _ in range(an):
    o = skip_name(r, o)
    t, c, ttl, rdl = struct.unpack(">HHIH", r[o:o + 10])
    o += 10
    if t == 1:
        out.append(socket.inet_ntoa(r[o:o + 4]))
    o += rdl
rc = flags & 0xF
print(" ".join(out) if out else {0: "NODATA", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}.get(rc, "RCODE%d" % rc))
EOF
}

cat > "$T/sinkhole.example.zone" <<'EOF'
$TTL 300
@   IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 300
    IN NS  localhost.
@   IN A    192.0.2.53
EOF
cat > "$T/root.zone" <<'EOF'
$TTL 300
.            IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 300
.            IN NS  localhost.
paypal.com.  IN A   203.0.113.10
example.org. IN A   203.0.113.20
EOF
cat > "$T/unbound.conf" <<EOF
server:
    verbosity: 1
    interface: 127.0.0.1
    port: $PORT
    so-reuseport: no
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$T"
    pidfile: "$T/unbound.pid"
    logfile: "$T/unbound.log"
    use-syslog: no
    access-control: 127.0.0.0/8 allow
    module-config: "respip validator iterator"
auth-zone:
    name: "."
    zonefile: "$T/root.zone"
    for-downstream: no
    for-upstream: yes
    fallback-enabled: no
auth-zone:
    name: "sinkhole.example."
    zonefile: "$T/sinkhole.example.zone"
    for-downstream: no
    for-upstream: yes
    fallback-enabled: no
rpz:
    name: "rpz.local."
    zonefile: "$T/rpz.local.zone"
    rpz-log: yes
    rpz-log-name: "geneva-sinkhole"
remote-control:
    control-enable: yes
    control-interface: "$T/unbound.ctl"
    control-use-cert: no
EOF

# 1. watch finds the lookalike, rpz writes the zone from its JSON output
printf 'paypal.com\npaypa1.com\nexample.org\n' > "$T/feed.txt"
rc=0
"$GENEVA" domains watch --json --brands "$SRC/rules/brands-top100.txt" "$T/feed.txt" \
	> "$T/found.jsonl" 2> "$T/watch.err" || rc=$?
[ "$rc" = 1 ] && grep -q '"domain":"paypa1.com"' "$T/found.jsonl" &&
	! grep -q '"domain":"paypal.com"' "$T/found.jsonl" ||
	fail "watch reports paypa1.com (exit $rc), not paypal.com"
"$GENEVA" domains rpz --zone "$T/rpz.local.zone" --origin rpz.local \
	--sinkhole sinkhole.example "$T/found.jsonl" 2> "$T/rpz.err" ||
	fail "rpz: $(cat "$T/rpz.err")"
grep -q '^paypa1.com CNAME sinkhole.example.$' "$T/rpz.local.zone" ||
	fail "zone has the paypa1.com trigger"
# BIND's checker accepts the same zone when it is installed (bind9-utils)
if command -v named-checkzone >/dev/null; then
	named-checkzone -q rpz.local "$T/rpz.local.zone" || fail "named-checkzone rejects the zone"
fi
ok "watch -> rpz zone with the lookalike"

"$UNBOUND" -d -c "$T/unbound.conf" > "$T/unbound.out" 2>&1 &
UB_PID=$!
i=0
until "$CONTROL" -c "$T/unbound.conf" status >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "unbound did not start"
	sleep 0.1
done
ok "unbound started on 127.0.0.1:$PORT"

# 2. the lookalike resolves to the sinkhole, the brand does not
a=$(query paypa1.com)
[ "$a" = "192.0.2.53" ] || fail "paypa1.com -> $a, expected the sinkhole 192.0.2.53"
a=$(query www.paypa1.com)
[ "$a" = "192.0.2.53" ] || fail "www.paypa1.com -> $a (wildcard trigger)"
ok "lookalike and its subdomains resolve to the sinkhole"
a=$(query paypal.com)
[ "$a" = "203.0.113.10" ] || fail "the real brand paypal.com -> $a, expected 203.0.113.10"
ok "the real brand resolves to its own address ($a)"

# 3. a new lookalike + reload, no restart
a=$(query micros0ft-support.com)
[ "$a" != "192.0.2.53" ] || fail "micros0ft-support.com sinkholed before it was added"
serial1=$(awk '/ SOA /{print $6}' "$T/rpz.local.zone")
echo micros0ft-support.com | "$GENEVA" domains rpz --zone "$T/rpz.local.zone" \
	--origin rpz.local --sinkhole sinkhole.example --reload \
	--control-config "$T/unbound.conf" - 2> "$T/rpz.err" || fail "rpz --reload: $(cat "$T/rpz.err")"
serial2=$(awk '/ SOA /{print $6}' "$T/rpz.local.zone")
[ "$serial2" -gt "$serial1" ] || fail "serial not bumped ($serial1 -> $serial2)"
a=$(query micros0ft-support.com)
[ "$a" = "192.0.2.53" ] || fail "micros0ft-support.com -> $a after reload"
a=$(query paypa1.com)
[ "$a" = "192.0.2.53" ] || fail "paypa1.com lost after reload ($a)"
kill -0 "$UB_PID" || fail "unbound restarted or died"
ok "added domain sinkholed after auth_zone_reload, serial $serial1 -> $serial2, same process"

# 4. fixed address action
"$GENEVA" domains rpz --zone "$T/rpz.local.zone" --origin rpz.local \
	--a 192.0.2.66 --aaaa 2001:db8::66 --reload --control-config "$T/unbound.conf" \
	2> "$T/rpz.err" || fail "rpz --a: $(cat "$T/rpz.err")"
a=$(query paypa1.com)
[ "$a" = "192.0.2.66" ] || fail "paypa1.com -> $a with --a 192.0.2.66"
[ "$(grep -c '^paypa1.com ' "$T/rpz.local.zone")" = 2 ] || fail "paypa1.com: one A and one AAAA line expected"
ok "fixed A record action"

# 5. NXDOMAIN action
"$GENEVA" domains rpz --zone "$T/rpz.local.zone" --origin rpz.local \
	--action nxdomain --reload --control-config "$T/unbound.conf" \
	2> "$T/rpz.err" || fail "rpz nxdomain: $(cat "$T/rpz.err")"
a=$(query paypa1.com)
[ "$a" = "NXDOMAIN" ] || fail "paypa1.com -> $a with --action nxdomain"
ok "NXDOMAIN action"
