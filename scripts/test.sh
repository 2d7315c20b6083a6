#!/bin/sh
# The test command: installs what the tests need, builds Geneva twice (plain
# and with ASan+UBSan), runs every test suite in the plain build and all but
# the slow corpus suite again under ASan+UBSan (the end-to-end suites too:
# undefined behaviour in the milter's reply path and in `geneva domains`
# showed up only there), and ends with one summary line: "N passed, N failed".
#   scripts/test.sh                 everything
#   GV_TEST_SUITES="unit" scripts/test.sh   only some meson suites
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh --full

suites=${GV_TEST_SUITES:-}
suite_args=""
for s in $suites; do suite_args="$suite_args --suite $s"; done

[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
[ -f build-asan/build.ninja ] || meson setup build-asan \
	-Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all >/dev/null
ninja -C build-asan >/dev/null

status=0
meson test -C build --print-errorlogs --num-processes 2 $suite_args \
	--timeout-multiplier 2 >build/test-plain.log 2>&1 || status=1
tail -n 12 build/test-plain.log
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 \
	--no-suite slow $suite_args --timeout-multiplier 4 \
	>build-asan/test-asan.log 2>&1 || status=1
tail -n 12 build-asan/test-asan.log
python3 scripts/test-summary.py build/meson-logs/testlog.json \
	build-asan/meson-logs/testlog.json || status=1
exit $status
