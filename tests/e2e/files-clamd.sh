#!/bin/sh
# End-to-end: geneva's optional clamd check against a real clamd on loopback
# with a one-line signature database (the MD5 of the ClamAV test program
# clam.exe, made with sigtool). Checks that
#   1. an attachment clamd knows becomes a clamav.<signature> finding (100),
#      also when it is inside a zip (clamd unpacks; geneva streams the
#      attachment as it is);
#   2. a clean attachment gets no clamav finding;
#   3. with clamd stopped, inspection still runs and reports clamd.error (score 0).
# Usage: files-clamd.sh GENEVA_BINARY    (GENEVA_SHARED = the shared folder)
# Exit 0 pass, 1 fail, 77 skip (clamd not installed).
set -eu
GENEVA=${1:?usage: files-clamd.sh GENEVA_BINARY}
SHARED=${GENEVA_SHARED:-$(dirname "$0")/../../../shared}
CLAM=$SHARED/corpora/malware_test/clamav-testfiles
command -v clamd >/dev/null 2>&1 && command -v sigtool >/dev/null 2>&1 || {
	echo "skip: clamd/sigtool not installed"; exit 77; }

T=$(mktemp -d /tmp/gv-e2e-clamd.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

mkdir -p "$T/db" "$T/tmp"
sigtool --md5 "$CLAM/clam.exe" > "$T/db/test.hdb"
# A free port on loopback: let the kernel pick one, then hand it to clamd.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$T/clamd.conf" <<EOF
DatabaseDirectory $T/db
TCPSocket $PORT
TCPAddr 127.0.0.1
Foreground yes
DisableCache yes
TemporaryDirectory $T/tmp
LogFile $T/clamd.log
PidFile $T/clamd.pid
User $(id -un)
EOF
clamd -c "$T/clamd.conf" >"$T/clamd.out" 2>&1 &
PID=$!
i=0
until python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$PORT),1); s.send(b'zPING\0'); sys.exit(0 if s.recv(16).startswith(b'PONG') else 1)" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then
		echo "FAIL: clamd did not start"; cat "$T/clamd.out" "$T/clamd.log" 2>/dev/null; exit 1
	fi
	sleep 0.2
done

fail=0
check() {	# check NAME FILE PATTERN(grep -E, must match) [ABSENT-PATTERN]
	out=$("$GENEVA" files inspect --no-items --clamd "127.0.0.1:$PORT" "$2" || true)
	if ! printf '%s\n' "$out" | grep -Eq "$3"; then
		echo "FAIL: $1: no line matching /$3/"; printf '%s\n' "$out"; fail=1
	elif [ -n "${4:-}" ] && printf '%s\n' "$out" | grep -Eq "$4"; then
		echo "FAIL: $1: unexpected /$4/"; printf '%s\n' "$out"; fail=1
	else
		echo "ok: $1"
	fi
}
check "clam.exe via clamd" "$CLAM/clam.exe" '^finding clam\.exe clamav\.clam\.exe\.UNOFFICIAL score=100'
check "clam.zip via clamd" "$CLAM/clam.zip" '^finding clam\.zip clamav\.clam\.exe\.UNOFFICIAL score=100'
printf 'Hello, this is a harmless text.\n' > "$T/clean.txt"
out=$("$GENEVA" files inspect --no-items --clamd "127.0.0.1:$PORT" "$T/clean.txt"; echo "exit=$?")
if printf '%s\n' "$out" | grep -q clamav; then
	echo "FAIL: clean file has a clamav finding"; printf '%s\n' "$out"; fail=1
elif ! printf '%s\n' "$out" | grep -q 'exit=0'; then
	echo "FAIL: clean file did not exit 0"; printf '%s\n' "$out"; fail=1
else
	echo "ok: clean file"
fi

kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
check "clamd down: still inspected" "$CLAM/clam.zip" 'clamd\.error score=0'
check "clamd down: YARA still finds clam.exe" "$CLAM/clam.zip" 'yara\.ClamAV_Test_File'
exit $fail
