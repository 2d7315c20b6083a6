#!/usr/bin/env python3
"""geneva scan inputs and errors: .eml, folders, mbox (split at From lines),
Maildir (cur/ and new/, not tmp/), standard input; an unreadable input or a
bad argument gives one line on stderr naming it and exit 2, while the other
inputs are still scanned.

usage: cli_inputs.py GENEVA SAMPLES_DIR"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

geneva, samples = sys.argv[1], sys.argv[2]
failures = 0
count = 0


def check(cond, what):
    global failures, count
    count += 1
    print(("ok" if cond else "not ok") + f" {count} - {what}")
    failures += not cond


def scan(*args, stdin=None):
    p = subprocess.run([geneva, "scan", "--json", "--no-progress", *args],
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    lines = [json.loads(l) for l in p.stdout.decode().splitlines()]
    return p.returncode, lines, p.stderr.decode()


t = tempfile.mkdtemp(prefix="gv-inputs-")
try:
    msgs = sorted(os.path.join(samples, f) for f in os.listdir(samples))
    raw = [open(m, "rb").read() for m in msgs]
    # mbox of all samples; a body line starting "From " after text is no split
    with open(f"{t}/box.mbox", "wb") as f:
        for i, r in enumerate(raw):
            f.write(b"From sender@example.org Thu Nov 26 10:00:00 2026\n")
            f.write(r.replace(b"\r\n", b"\n"))
            if i == 0:
                f.write(b"From the desk of nobody: not a new message\n")
            f.write(b"\n")
    rc, out, err = scan(f"{t}/box.mbox")
    check(len(out) == len(raw), f"mbox split into {len(out)} of {len(raw)} messages")
    check([o["source"] for o in out] == [f"{t}/box.mbox#{i+1}" for i in range(len(raw))],
          "mbox messages named path#N in order")
    # Maildir: cur/ and new/ count, tmp/ does not
    for d in ("cur", "new", "tmp"):
        os.makedirs(f"{t}/Maildir/{d}")
    shutil.copy(msgs[0], f"{t}/Maildir/cur/1.host:2,S")
    shutil.copy(msgs[1], f"{t}/Maildir/new/2.host")
    shutil.copy(msgs[2], f"{t}/Maildir/tmp/3.host")
    rc, out, err = scan(f"{t}/Maildir/")
    check(sorted(os.path.basename(o["source"]) for o in out) == ["1.host:2,S", "2.host"],
          "Maildir: cur and new scanned, tmp skipped")
    # stdin
    rc, out, err = scan("-", stdin=raw[1])
    check(len(out) == 1 and out[0]["source"] == "-", "standard input")
    # errors: one line naming the input, exit 2, the rest still scanned
    rc, out, err = scan(f"{t}/missing.eml", msgs[0])
    check(rc == 2, f"exit status 2 on an unreadable input (got {rc})")
    check(len(out) == 1, "the other inputs are still scanned")
    lines = err.strip().splitlines()
    check(len(lines) == 1 and "missing.eml" in lines[0], f"one error line naming the input: {lines}")
    p = subprocess.run([geneva, "scan", "--no-such-option", msgs[0]],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 2, "a bad option exits 2")
    bad = f"{t}/bad.yaml"
    open(bad, "w").write("policy:\n  tag: 90\n  quarantine: 10\n")
    p = subprocess.run([geneva, "scan", "--config", bad, msgs[0]],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(p.returncode == 2 and len(p.stderr.decode().strip().splitlines()) == 1,
          "a bad config is one line and exit 2")
    # exit 0 when nothing is found, 1 when something is stopped
    rc, out, err = scan(msgs[0])
    check(rc == 0 and out[0]["verdict"]["action"] == "accept", "clean message: exit 0")
    rc, out, err = scan(*msgs)
    check(rc == 1, "a batch with phishing: exit 1")
finally:
    shutil.rmtree(t)
print(f"1..{count}")
sys.exit(1 if failures else 0)
