#!/usr/bin/env python3
"""Scans every file under the shared e-mail corpora with `geneva scan --json`
and checks that nothing crashed or hung, that every file (every message of
an mbox) got a verdict, and that every JSON line is well-formed.

usage: corpus_scan.py GENEVA CORPUS_DIR"""
import json
import os
import subprocess
import sys

geneva, corpus = sys.argv[1], sys.argv[2]
if not os.path.isdir(corpus):
    print(f"corpus_scan: {corpus} is missing", file=sys.stderr)
    sys.exit(1)
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs)
proc = subprocess.run([geneva, "scan", "--json", "--no-progress", corpus],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      timeout=1500)
if proc.returncode not in (0, 1):
    print(f"corpus_scan: exit status {proc.returncode}\n"
          f"{proc.stderr.decode(errors='replace')[-4000:]}", file=sys.stderr)
    sys.exit(1)
seen = set()
actions = {}
for n, line in enumerate(proc.stdout.decode("utf-8").splitlines(), 1):
    r = json.loads(line)
    assert r["version"] == 1, f"line {n}: version"
    action = r["verdict"]["action"]
    assert action in ("accept", "tag", "quarantine", "reject"), f"line {n}: {action}"
    for f in r["findings"]:
        assert f["rule"] and isinstance(f["score"], int), f"line {n}: finding"
    seen.add(r["source"].split("#")[0])
    actions[action] = actions.get(action, 0) + 1
missing = [f for f in files if f not in seen]
print(f"{len(files)} files, {sum(actions.values())} messages: {actions}")
if missing:
    print(f"corpus_scan: {len(missing)} files got no verdict, e.g. {missing[:5]}",
          file=sys.stderr)
    sys.exit(1)
