#!/bin/sh
# Intel store benchmark: ingest rate (events/s) into SQLite and PostgreSQL
# and report query times over N events (default 1,000,000).
#   bench/intel.sh [BUILD_DIR] [N]
#   GV_BENCH_BACKENDS="sqlite postgres" (default both)
# Goal (issue 5): >= 50,000 events/s into SQLite, top-targeted < 200 ms.
# Batches are the recorder's default size (GV_INTEL_BATCH_SIZE).
# Prints the bench program's key=value lines per backend; the PostgreSQL
# server is started here on loopback in a temp dir and stopped at the end.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-1000000}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" src/intel/intel-bench >/dev/null
bench=$PWD/$build/src/intel/intel-bench
tmp=$(mktemp -d /tmp/gv-intel-bench-XXXXXX)
chmod 755 "$tmp"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
run=""
[ "$(id -u)" = 0 ] && run="runuser -u postgres --" && chown postgres "$tmp"
cleanup() {
	[ -d "$tmp/pg" ] && $run "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate \
		-w -s stop >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

backends=${GV_BENCH_BACKENDS:-sqlite postgres}
echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
case " $backends " in *" sqlite "*)
echo "# sqlite, store ingest path (writer thread's transactions), N=$n"
"$bench" "sqlite:$tmp/intel.db" "$n"
echo "# sqlite, whole recorder path (record -> queue -> writer), 100000 events"
mkdir -p "$tmp/journal"
"$bench" "sqlite:$tmp/rec.db" 100000 --recorder "$tmp/journal"
;; esac

case " $backends " in *" postgres "*) ;; *) exit 0 ;; esac
if [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	$run "$pgbin/initdb" -D "$tmp/pg" -A trust -U geneva --no-sync \
		>/dev/null
	$run "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w -s \
		-o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" start
	echo "# postgres (shared_buffers 256MB, default durability), store ingest path, N=$n"
	"$bench" "postgres:host=$tmp port=$port user=geneva dbname=postgres" \
		"$n"
else
	echo "# postgres: server binaries not installed, skipped"
fi
