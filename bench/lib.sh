# Helpers shared by the bench scripts (sourced). Everything runs on loopback.

# CPU seconds (user+system) used so far by the processes whose PIDs are given.
cpu_of() {
	tck=$(getconf CLK_TCK)
	total=0
	for p in "$@"; do
		[ -r /proc/$p/stat ] || continue
		t=$(awk '{print $14+$15+$16+$17}' /proc/$p/stat)
		total=$((total + t))
	done
	awk -v t=$total -v k=$tck 'BEGIN{printf "%.3f", t/k}'
}

# Sum of peak RSS (VmHWM, MiB) of the given PIDs.
rss_of() {
	total=0
	for p in "$@"; do
		kb=$(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	awk -v k=$total 'BEGIN{printf "%.1f", k/1024}'
}

# A loopback resolver that answers NXDOMAIN for everything, so peers never
# wait on DNS (port in $1, folder in $2).
start_null_dns() {
	cat > "$2/unbound.conf" <<CONF
server:
    interface: 127.0.0.1
    port: $1
    so-reuseport: no
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$2"
    pidfile: "$2/unbound.pid"
    use-syslog: no
    access-control: 127.0.0.0/8 allow
    local-zone: "." static
CONF
	unbound -c "$2/unbound.conf" >"$2/unbound.log" 2>&1 &
	echo $! > "$2/unbound.bgpid"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		dig +time=1 +tries=1 -p "$1" @127.0.0.1 example.com >/dev/null 2>&1 && return 0
		sleep 0.3
	done
	return 0
}

wait_port() {
	for i in $(seq 1 ${3:-120}); do
		(exec 3<>/dev/tcp/$1/$2) 2>/dev/null && return 0
		sleep 0.5
	done
	echo "bench: $1:$2 did not open" >&2
	return 1
}
