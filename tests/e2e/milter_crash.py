#!/usr/bin/env python3
"""Helpers of tests/e2e/milter-crash.sh (scanner crash isolation).

  victim OUT TAG                  writes a large message (a zip of 1,000
                                  random files, ~27 MB on the wire) whose
                                  scan takes a while: the one the test kills
                                  a scanner under (TAG: another message)
  killer WORKER_PID BYTES N OUT   watches the worker's scanner processes
                                  (its children, new ones included) and
                                  kills each one that has read at least
                                  BYTES more than when first seen (= it was
                                  handed the victim): SIGSTOP at once, note
                                  whether it had written anything since the
                                  poll before (a reply would have been), then
                                  SIGKILL. Stops after N kills or 240 s.
                                  One JSON line per kill.
  send PORT FILE OUT              sends FILE once over SMTP (raw bytes),
                                  writes {"code": ..., "text": ...}
  chatter PORT DIR STOPFILE OUT   4 concurrent SMTP sessions sending the
                                  small messages of DIR in turn until
                                  STOPFILE exists (at least 40 messages);
                                  one JSON line per message with its reply
"""
import base64
import io
import json
import os
import random
import re
import signal
import smtplib
import sys
import threading
import time
import zipfile


def victim(out, tag):
    rnd = random.Random(tag)
    # lowercase letters, spaces and newlines: plain text to every type check
    alphabet = b"abcdefghijklmnopqrstuvwxyz      \n"
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(1000):
            z.writestr("data/f%04d.txt" % i, rnd.randbytes(20000).translate(table))
    b64 = base64.encodebytes(buf.getvalue()).replace(b"\n", b"\r\n")
    msg = (b"From: Archive <archive@example.org>\r\nTo: bob@e2e.test\r\n"
           b"Subject: the archive you asked for\r\nDate: Thu, 26 Nov 2026 08:00:00 +0000\r\n"
           b"Message-ID: <victim-%s@example.org>\r\n" % tag.encode() + b"MIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain\r\n\r\nhere it is\r\n"
           b"--b1\r\nContent-Type: application/zip; name=\"data.zip\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--b1--\r\n")
    with open(out, "wb") as f:
        f.write(msg)


def children(pid):
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def io_of(pid):
    v = {}
    try:
        with open("/proc/%d/io" % pid) as f:
            for line in f:
                k, _, n = line.partition(":")
                v[k] = int(n)
    except OSError:
        return None
    return v


def killer(worker, threshold, n, out):
    base, last = {}, {}
    kills = 0
    until = time.time() + 240
    with open(out, "w") as f:
        while kills < n and time.time() < until:
            for pid in children(worker):
                cur = io_of(pid)
                if cur is None:
                    continue
                if pid not in base:
                    base[pid] = cur
                    last[pid] = cur
                    continue
                if cur["rchar"] - base[pid]["rchar"] >= threshold:
                    os.kill(pid, signal.SIGSTOP)
                    stopped = io_of(pid) or cur
                    # no byte written since the last poll, when the victim
                    # was not yet read: its verdict was never sent
                    mid = stopped["wchar"] == last[pid]["wchar"]
                    time.sleep(0.3)  # the worker is waiting for the verdict now
                    os.kill(pid, signal.SIGKILL)
                    kills += 1
                    f.write(json.dumps({"pid": pid, "mid_scan": mid}) + "\n")
                    f.flush()
                    base[pid] = {"rchar": float("inf")}  # once per process
                    continue
                last[pid] = cur
            time.sleep(0.002)


REPLY_QID = re.compile(r"queued as ([0-9A-F]+)")


def send(port, path, out):
    data = open(path, "rb").read()
    res = {}
    try:
        s = smtplib.SMTP("127.0.0.1", int(port), timeout=300)
        s.ehlo("victim.example")
        s.mail("archive@example.org")
        s.rcpt("bob@e2e.test")
        code, text = s.data(data)
        res = {"code": code, "text": text.decode("ascii", "replace")}
        s.quit()
    except smtplib.SMTPResponseException as e:
        res = {"code": e.smtp_code, "text": e.smtp_error.decode("ascii", "replace")}
    except Exception as e:  # noqa: BLE001 (reported, the test fails on it)
        res = {"code": 0, "text": repr(e)}
    m = REPLY_QID.search(res.get("text", ""))
    res["qid"] = m.group(1) if m else None
    with open(out, "w") as f:
        f.write(json.dumps(res) + "\n")


def chatter(port, msg_dir, stopfile, out):
    files = sorted(os.path.join(msg_dir, x) for x in os.listdir(msg_dir))
    lock = threading.Lock()
    count = [0]
    f = open(out, "w")

    def one(k):
        i = k
        s = None
        while not os.path.exists(stopfile) or count[0] < 40:
            data = open(files[i % len(files)], "rb").read()
            i += 4
            try:
                if s is None:
                    s = smtplib.SMTP("127.0.0.1", int(port), timeout=120)
                    s.ehlo("chatter%d.example" % k)
                s.mail("chatter@example.org")
                s.rcpt("alice@e2e.test")
                code, text = s.data(data)
                r = {"code": code, "text": text.decode("ascii", "replace")}
            except smtplib.SMTPResponseException as e:
                r = {"code": e.smtp_code, "text": e.smtp_error.decode("ascii", "replace")}
                try:
                    s.rset()
                except Exception:  # noqa: BLE001
                    s = None
            except Exception as e:  # noqa: BLE001
                r = {"code": 0, "text": repr(e)}
                s = None
            m = REPLY_QID.search(r["text"])
            r["qid"] = m.group(1) if m else None
            with lock:
                count[0] += 1
                f.write(json.dumps(r) + "\n")
                f.flush()
            time.sleep(0.05)
        if s is not None:
            s.quit()

    th = [threading.Thread(target=one, args=(k,)) for k in range(4)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    f.close()


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "victim":
        victim(sys.argv[2], sys.argv[3])
    elif cmd == "killer":
        killer(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif cmd == "send":
        send(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "chatter":
        chatter(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        sys.exit("unknown command " + cmd)
