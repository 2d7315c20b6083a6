#!/usr/bin/env python3
"""SMTP load generator for bench/milter.sh.

  milter_load.py PORT CONC TOTAL MSG_DIR [MILTER_PID [RATE]]

CONC persistent SMTP sessions send TOTAL messages (drawn in turn from the
.eml files in MSG_DIR) to 127.0.0.1:PORT. Per message it times the
end-of-data reply (the step a milter adds to: Postfix answers only after
the milter's end-of-message reply) and the whole MAIL..DATA transaction.
With MILTER_PID it samples the RSS of that process and its children every
50 ms. With RATE > 0 (messages/s) message i is not sent before
t0 + i/RATE (an open-loop, unsaturated load: latency without queueing);
otherwise every session sends as fast as it can (saturation: throughput).
Prints one JSON object.
"""
import json
import os
import re
import smtplib
import sys
import threading
import time


def load_msgs(d):
    out = []
    for f in sorted(os.listdir(d)):
        b = open(os.path.join(d, f), "rb").read()
        if b.startswith(b"From "):
            b = b[b.find(b"\n") + 1:]
        b = re.sub(rb"\r?\n", b"\r\n", b)
        b = re.sub(rb"(?m)^\.", b"..", b)
        if not b.endswith(b"\r\n"):
            b += b"\r\n"
        out.append(b)
    return out


def tree(pid):
    """pid and all its descendants (children of every thread: the milter's
    scanner processes are started by its pool thread)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def rss_kb(pid):
    """RSS summed over the process tree (shared pages counted in each
    process: an upper bound)."""
    total = 0
    for p in tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def pss_kb(pid):
    """PSS summed over the process tree (shared pages split between the
    processes sharing them)."""
    total = 0
    for p in tree(pid):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_s(pid, depth=None):
    """user+system CPU seconds of pid and its descendants (threads
    included); depth 0/1/2 = only the supervisor / worker / scanners."""
    total = 0.0
    levels = [[pid]]
    while levels[-1]:
        direct = []
        for p in levels[-1]:
            try:
                for tid in os.listdir("/proc/%d/task" % p):
                    with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                        direct += [int(x) for x in f.read().split()]
            except OSError:
                pass
        levels.append(direct)
    pids = tree(pid) if depth is None else (levels[depth] if depth < len(levels) else [])
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                v = f.read().rsplit(")", 1)[1].split()
            total += (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def main():
    port, conc, total, msg_dir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    pid = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    rate = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
    msgs = load_msgs(msg_dir)
    lock = threading.Lock()
    state = {"next": 0}
    start = {"t": time.perf_counter() + 0.5}
    eod, whole, codes = [], [], {}
    peak = {"rss": 0, "sessions_rss": 0, "sessions_pss": 0}
    stop = threading.Event()
    active = {"n": 0}

    def take():
        with lock:
            i = state["next"]
            if i >= total:
                return -1
            state["next"] = i + 1
            return i

    def session():
        s = smtplib.SMTP("127.0.0.1", port, timeout=300)
        s.ehlo("bench.example")
        with lock:
            active["n"] += 1
        while True:
            i = take()
            if i < 0:
                break
            data = msgs[i % len(msgs)]
            if rate > 0:
                delay = start["t"] + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            t0 = time.perf_counter()
            s.mail("bench@example.org")
            s.rcpt(("alice", "bob", "carol")[i % 3] + "@e2e.test")
            c, _ = s.docmd("DATA")
            if c != 354:
                with lock:
                    codes[c] = codes.get(c, 0) + 1
                s.rset()
                continue
            s.send(data + b".\r\n")
            t1 = time.perf_counter()
            c, _ = s.getreply()
            t2 = time.perf_counter()
            with lock:
                eod.append((t2 - t1) * 1000)
                whole.append((t2 - t0) * 1000)
                codes[c] = codes.get(c, 0) + 1
            if c >= 400:
                s.rset()
        with lock:
            active["n"] -= 1
        s.quit()

    def sampler():
        while not stop.is_set():
            r = rss_kb(pid)
            peak["rss"] = max(peak["rss"], r)
            if active["n"] >= conc:
                peak["sessions_rss"] = max(peak["sessions_rss"], r)
                peak["sessions_pss"] = max(peak["sessions_pss"], pss_kb(pid))
            time.sleep(0.05)

    cpu0 = cpu_s(pid) if pid else 0.0
    split0 = [cpu_s(pid, d) for d in range(3)] if pid else [0.0] * 3
    if pid:
        threading.Thread(target=sampler, daemon=True).start()
    t0 = time.perf_counter()
    start["t"] = t0 + 0.5
    th = [threading.Thread(target=session) for _ in range(conc)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    elapsed = time.perf_counter() - t0
    stop.set()
    cpu = cpu_s(pid) - cpu0 if pid else 0.0
    split = [(cpu_s(pid, d) - split0[d]) * 1000 / max(1, len(eod)) if pid else 0.0 for d in range(3)]

    def pct(v, p):
        v = sorted(v)
        return v[min(len(v) - 1, int(len(v) * p / 100))] if v else 0.0

    print(json.dumps({
        "messages": len(eod), "seconds": round(elapsed, 2),
        "msgs_per_s": round(len(eod) / elapsed, 1),
        "eod_p50_ms": round(pct(eod, 50), 2), "eod_p99_ms": round(pct(eod, 99), 2),
        "txn_p50_ms": round(pct(whole, 50), 2), "txn_p99_ms": round(pct(whole, 99), 2),
        "codes": {str(k): v for k, v in sorted(codes.items())},
        "milter_cpu_ms_per_msg": round(cpu * 1000 / max(1, len(eod)), 3),
        "milter_cpu_split_ms": {"supervisor": round(split[0], 3), "worker": round(split[1], 3),
                                "scanners": round(split[2], 3)},
        "rss_peak_kb": peak["rss"], "rss_at_conc_kb": peak["sessions_rss"],
        "pss_at_conc_kb": peak["sessions_pss"],
    }))


if __name__ == "__main__":
    main()
