#!/usr/bin/env python3
"""Zero-loss harness for tests/e2e/milter-zero-loss.sh.

  build DIR N SRC SHARED       write N test messages to DIR/NNNNN.eml (each with
                               an X-GV-Test header) and DIR/manifest.json
  send DIR PORT OUT CONC       send each message with swaks (CONC at a time),
                               retrying 4xx/connection failures like an MTA
                               queue would; one JSON line per message in OUT
  check T RESULTS TAG          account for every message (see check())

Message mix: clean (ham corpora, samples), spam, phishing (phishing_pot),
malware (EICAR raw/zip/nested zip, a zip bomb, ClamAV test files as
attachments), hostile/malformed (every mime_edge_cases file, synthetic junk:
random bytes, NULs, no body separator, 100-deep multipart, 3000 parts,
a 200 kB header line, broken base64).
"""
import concurrent.futures as cf
import email.message
import glob
import io
import json
import os
import random
import re
import subprocess
import sys
import time
import zipfile

RCPTS = ["alice@e2e.test", "bob@e2e.test", "carol@e2e.test"]
MAX_FILE = 2 << 20


def files_of(*patterns):
    out = []
    for p in patterns:
        out += [f for f in sorted(glob.glob(p, recursive=True))
                if os.path.isfile(f) and 0 < os.path.getsize(f) <= MAX_FILE]
    return out


def strip_from_line(b):
    if b.startswith(b"From "):
        nl = b.find(b"\n")
        return b[nl + 1:] if nl >= 0 else b""
    return b


def mime_with(payload, name, ctype, subject):
    m = email.message.EmailMessage()
    m["From"] = "billing@vendor.example.com"
    m["To"] = "alice@e2e.test"
    m["Subject"] = subject
    m.set_content("Please find the document attached.")
    maintype, subtype = ctype.split("/")
    m.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def zipped(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def malware(shared, rnd, n):
    eicar = open(os.path.join(shared, "corpora/malware_test/eicar/eicar.com"), "rb").read()
    bomb = zipped([("zeros%d.bin" % i, b"\0" * (20 << 20)) for i in range(3)])
    clam = files_of(os.path.join(shared, "corpora/malware_test/clamav-testfiles/**/*"))
    out = []
    for i in range(n):
        k = i % 6
        if k == 0:
            out.append(mime_with(eicar, "invoice.com", "application/octet-stream", "invoice %d" % i))
        elif k == 1:
            out.append(mime_with(zipped([("invoice.com", eicar)]), "invoice.zip", "application/zip", "zip %d" % i))
        elif k == 2:
            inner = zipped([("doc/eicar.txt", eicar)])
            out.append(mime_with(zipped([("inner.zip", inner)]), "docs.zip", "application/zip", "nested %d" % i))
        elif k == 3:
            out.append(mime_with(bomb, "backup.zip", "application/zip", "bomb %d" % i))
        elif clam:
            f = clam[rnd.randrange(len(clam))]
            out.append(mime_with(open(f, "rb").read(), os.path.basename(f),
                                 "application/octet-stream", "sample %d" % i))
        else:
            out.append(mime_with(eicar, "e.com", "application/octet-stream", "e %d" % i))
    return out


def hostile_synthetic(rnd, n):
    out = []
    for i in range(n):
        k = i % 8
        if k == 0:
            out.append(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(100, 5000))))
        elif k == 1:
            out.append(b"Subject: nul\r\n\r\nbody\0with\0nuls\r\n" * 20)
        elif k == 2:
            out.append(b"just a line without any header structure\r\nand another\r\n")
        elif k == 3:
            body = b""
            for d in range(100):
                body += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (d, d)
            out.append(b"Subject: deep\r\nMIME-Version: 1.0\r\n" + body + b"\r\nleaf\r\n")
        elif k == 4:
            parts = b"".join(b"--x\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % j for j in range(3000))
            out.append(b"Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
                       + parts + b"--x--\r\n")
        elif k == 5:
            out.append(b"Subject: " + b"A" * 200000 + b"\r\n\r\nlong header\r\n")
        elif k == 6:
            out.append(b"Subject: b64\r\nMIME-Version: 1.0\r\nContent-Type: application/pdf; name=x.pdf\r\n"
                       b"Content-Transfer-Encoding: base64\r\n\r\n" + b"!!!%%%@@@" * 500 + b"\r\n")
        else:
            out.append(b"From: =?utf-8?B?" + b"\xff\xfe" * 50 + b"?= <x@y>\r\nSubject: =?bogus?Q?=ZZ?=\r\n\r\n"
                       b"bare\rcarriage\rreturns\n\n.\r\n..\r\n")
    return out


def build(out_dir, n, src, shared):
    rnd = random.Random(20261126)
    e = os.path.join(shared, "corpora/email")
    clean = files_of(e + "/spamassassin_public_corpus/easy-ham-1/*", e + "/spamassassin_t_data/nice/*",
                     e + "/rspamd_test_messages/**/*.eml", src + "/samples/01-newsletter.eml")
    spam = files_of(e + "/spamassassin_public_corpus/spam-1/*", e + "/spamassassin_t_data/spam/*")
    phish = files_of(e + "/phishing_pot_sample/*.eml", src + "/samples/02-credential-phish.eml",
                     e + "/spamassassin_t_data/phishing/*")
    edge = files_of(e + "/mime_edge_cases/**/*")
    counts = {"clean": n * 35 // 100, "spam": n * 12 // 100, "phishing": n * 25 // 100,
              "malware": n * 8 // 100}
    counts["hostile"] = n - sum(counts.values())
    msgs = []
    for cat, pool in (("clean", clean), ("spam", spam), ("phishing", phish)):
        pick = rnd.sample(pool, min(len(pool), counts[cat]))
        while len(pick) < counts[cat]:
            pick.append(rnd.choice(pool))
        msgs += [(cat, strip_from_line(open(f, "rb").read())) for f in pick]
    msgs += [("malware", m) for m in malware(shared, rnd, counts["malware"])]
    hostile = [open(f, "rb").read() for f in edge][:counts["hostile"]]
    hostile += hostile_synthetic(rnd, counts["hostile"] - len(hostile))
    msgs += [("hostile", m) for m in hostile]
    rnd.shuffle(msgs)
    os.makedirs(out_dir, exist_ok=True)
    manifest = {}
    for i, (cat, data) in enumerate(msgs):
        tid = "%05d" % i
        with open(os.path.join(out_dir, tid + ".eml"), "wb") as f:
            f.write(b"X-GV-Test: " + tid.encode() + b"\r\n" + data)
        manifest[tid] = {"category": cat, "rcpt": RCPTS[i % 3]}
    json.dump(manifest, open(os.path.join(out_dir, "manifest.json"), "w"))
    print("built %d messages: %s" % (len(msgs), json.dumps(counts)))


REPLY = re.compile(rb"^(?:<-|<\*\*)\s+([2-5]\d\d)[ -](.*)$", re.M)


def send_one(path, port, rcpt, deadline):
    tries = 0
    while True:
        tries += 1
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(port),
                            "--from", "sender@example.org", "--to", rcpt, "--data", path,
                            "--timeout", "120", "--suppress-data"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        replies = REPLY.findall(p.stdout)
        codes = [c for c, _ in replies]
        queued = [t for c, t in replies if c == b"250" and b"queued as" in t]
        if queued:
            qid = re.search(rb"queued as ([0-9A-F]+)", queued[-1]).group(1).decode()
            return {"outcome": "accepted", "qid": qid, "tries": tries}
        perm = [(c, t) for c, t in replies if c.startswith(b"5")]
        if perm:
            c, t = perm[-1]
            return {"outcome": "rejected", "reply": (c + b" " + t).decode("ascii", "replace"),
                    "tries": tries}
        # 4xx or no answer at all (milter/Postfix restarting): retry later,
        # as an MTA's queue would
        if time.time() > deadline:
            return {"outcome": "gaveup", "codes": [c.decode() for c in codes], "tries": tries}
        time.sleep(1.0)


def send(msg_dir, port, out, conc):
    manifest = json.load(open(os.path.join(msg_dir, "manifest.json")))
    deadline = time.time() + 900
    t0 = time.time()
    with open(out, "w") as f, cf.ThreadPoolExecutor(conc) as ex:
        futs = {ex.submit(send_one, os.path.join(msg_dir, tid + ".eml"), port, m["rcpt"], deadline): tid
                for tid, m in sorted(manifest.items())}
        for fu in cf.as_completed(futs):
            r = fu.result()
            r["id"] = futs[fu]
            f.write(json.dumps(r) + "\n")
            f.flush()
    print("sent %d messages in %.1f s" % (len(manifest), time.time() - t0))


def headers_of(path):
    raw = open(path, "rb").read()
    end = raw.find(b"\n\n")
    return raw[:end if end >= 0 else len(raw)].decode("latin-1")


def check(t, results_path, tag):
    """Every message has a final SMTP outcome; every accepted one (250 +
    queue id) is either delivered (and carries X-Geneva-Verdict: nothing
    delivered unscanned) or in the quarantine; every rejected one names the
    queue id the milter logged; every accepted or rejected message has its
    event=message log line."""
    manifest = json.load(open(os.path.join(t, "msgs", "manifest.json")))
    res = {}
    for line in open(results_path):
        r = json.loads(line)
        res[r["id"]] = r
    problems = []
    missing = set(manifest) - set(res)
    if missing:
        problems.append("%d messages without an outcome" % len(missing))
    gaveup = [k for k, r in res.items() if r["outcome"] == "gaveup"]
    if gaveup:
        problems.append("%d messages never accepted or rejected: %s" % (len(gaveup), gaveup[:5]))
    accepted = {r["qid"]: k for k, r in res.items() if r["outcome"] == "accepted"}
    rejected = {k: r for k, r in res.items() if r["outcome"] == "rejected"}
    retried = sum(1 for r in res.values() if r["tries"] > 1)

    delivered = {}
    unscanned = []
    for f in glob.glob(os.path.join(t, "vmail", "*", "new", "*")) + \
            glob.glob(os.path.join(t, "vmail", "*", "cur", "*")):
        h = headers_of(f)
        m = re.search(r"with ESMTP id ([0-9A-F]+)", h)
        qid = m.group(1) if m else None
        if "\nX-Geneva-Verdict:" not in h and not h.startswith("X-Geneva-Verdict:"):
            unscanned.append(f)
        if qid:
            delivered.setdefault(qid, []).append(f)
    quarantined = {}
    for f in glob.glob(os.path.join(t, "quarantine", "msg", "*.json")):
        j = json.load(open(f))
        quarantined.setdefault(j["queue_id"], []).append(j["id"])

    log = open(os.path.join(t, "milter.log"), encoding="latin-1").read()
    logged = {}
    for m in re.finditer(r"event=message qid=(\S+) .*? action=(\S+)", log):
        logged.setdefault(m.group(1), []).append(m.group(2))

    lost, double, nolog = [], [], []
    for qid, tid in accepted.items():
        d, q = len(delivered.get(qid, [])), len(quarantined.get(qid, []))
        if d + q == 0:
            lost.append((tid, qid))
        if d > 1 or (d and q):
            double.append((tid, qid))
        if qid not in logged:
            nolog.append((tid, qid))
    foreign = [q for q in delivered if q not in accepted]
    rej_nolog = []
    for tid, r in rejected.items():
        m = re.search(r"queue id ([0-9A-F]+)", r["reply"])
        if not m or "reject" not in logged.get(m.group(1), []):
            rej_nolog.append((tid, r["reply"][:80]))
    extra_q = [q for q in quarantined if q not in accepted]
    n_del = sum(1 for q in accepted if q in delivered)
    n_q = sum(1 for q in accepted if q in quarantined)
    for what, v in (("lost (accepted, neither delivered nor quarantined)", lost),
                    ("delivered twice or delivered and quarantined", double),
                    ("accepted without a log line", nolog),
                    ("delivered without X-Geneva headers (unscanned)", unscanned),
                    ("delivered but never accepted by this run", foreign),
                    ("rejected without a matching log line", rej_nolog)):
        if v:
            problems.append("%d %s: %s" % (len(v), what, v[:5]))
    cats = {}
    for tid, r in res.items():
        c = manifest[tid]["category"]
        o = r["outcome"]
        if o == "accepted":
            o = "delivered" if r["qid"] in delivered else "quarantined" if r["qid"] in quarantined else "LOST"
        cats.setdefault(c, {}).setdefault(o, 0)
        cats[c][o] += 1
    print("%s: %d messages: %d accepted (%d delivered, %d quarantined), %d rejected at SMTP, "
          "%d needed retries (4xx / no answer), %d extra quarantine copies of tempfailed attempts, "
          "%d log lines" % (tag, len(manifest), len(accepted), n_del, n_q, len(rejected), retried,
                            sum(len(v) for k, v in quarantined.items() if k not in accepted),
                            sum(len(v) for v in logged.values())))
    for c in sorted(cats):
        print("  %-9s %s" % (c, json.dumps(cats[c], sort_keys=True)))
    for p in problems:
        print("PROBLEM: " + p)
    return 0 if not problems else 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "build":
        build(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif cmd == "send":
        send(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    elif cmd == "check":
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4]))
