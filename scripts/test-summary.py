#!/usr/bin/env python3
"""Counts test cases across meson test logs and prints 'N passed, N failed'.

A TAP test (the cmocka unit tests) counts each 'ok'/'not ok' line; any other
test counts once by its result. Exits 1 if anything failed or nothing ran."""
import json
import re
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        print(f"test-summary: {path}: {e}", file=sys.stderr)
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        res = t.get("result")
        out = t.get("stdout", "") or ""
        oks = len(re.findall(r"^ok \d+", out, re.M))
        noks = len(re.findall(r"^not ok \d+", out, re.M))
        if t.get("protocol") == "tap" or oks + noks:
            passed += oks
            failed += noks
            if res not in ("OK", "EXPECTEDFAIL", "SKIP") and noks == 0:
                failed += 1  # crashed or timed out outside a case
        elif res == "SKIP":
            skipped += 1
        elif res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
