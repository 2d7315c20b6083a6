#!/usr/bin/env python3
"""Independent count of `geneva scan --json` output versus the intel
reports made from the same scan (see intel-report.sh). Prints TAP."""
import collections
import json
import sys

d = sys.argv[1]
scans = [json.loads(line) for line in open(f"{d}/scan.jsonl")]
load = lambda name: json.load(open(f"{d}/{name}.json"))
MAL = {"quarantine", "reject"}

tests = []


def check(name, ok, detail=""):
    tests.append((name, ok, detail))


# Targeted users: messages and malicious messages per recipient (To/Cc,
# lower-cased, each message counted once per user).
total = collections.Counter()
mal = collections.Counter()
for s in scans:
    users = {u.lower() for u in s.get("to") or [] if "@" in u}
    for u in users:
        total[u] += 1
        if s["verdict"]["action"] in MAL:
            mal[u] += 1
rows = {r["user"]: r for r in load("targeted")["rows"]}
check("targeted: same set of users", set(rows) == set(total),
      f"{len(rows)} vs {len(total)}")
bad = [u for u in total if u in rows and
       (rows[u]["messages"] != total[u] or rows[u]["malicious"] != mal[u])]
check("targeted: messages and malicious per user", not bad, str(bad[:5]))
top = max(total, key=lambda u: (mal[u], total[u]))
check("targeted: top user", load("targeted")["rows"][0]["user"] == top,
      top)

# Top rules: messages per rule (a rule counted once per message).
rule_msgs = collections.Counter()
rule_mal = collections.Counter()
for s in scans:
    for r in {f'{f["analyzer"]}/{f["rule"]}' for f in s["findings"]}:
        rule_msgs[r] += 1
        if s["verdict"]["action"] in MAL:
            rule_mal[r] += 1
rep = {r["value"]: r for r in load("malware")["rows"] if r["kind"] == "rule"}
check("malware: every rule reported", set(rep) == set(rule_msgs),
      f"{len(rep)} vs {len(rule_msgs)}")
bad = [r for r in rule_msgs if r in rep and
       (rep[r]["messages"] != rule_msgs[r] or rep[r]["malicious"] != rule_mal[r])]
check("malware: messages per rule", not bad, str(bad[:5]))

# Campaigns: messages that were not accepted, clustered transitively by a
# shared attachment (SHA-256) or lure URL pattern (registrable domain +
# first path segment, digits folded; embedded src/css resources are not
# lures) -- an independent union-find over the scan output. Messages with
# neither are grouped by relay network or sender domain, which the scan
# JSON does not carry, so the check covers the clusters of messages with
# strong features; those never merge with the others.
def lure_key(u):
    dom, url = u.get("registrable") or u.get("host"), u.get("url")
    if not dom or not url:
        return None
    b = url.encode()
    seg = b""
    p = b.find(b"://")
    q = b.find(b"/", p + 3) if p >= 0 else -1
    if q >= 0:
        for ch in b[q + 1:]:
            if ch in b"/?" or len(seg) >= 63:
                break
            seg += b"#" if 48 <= ch <= 57 else bytes([ch])
    return (b"lure:" + dom.encode() + b"/" + seg).lower().decode(
        "utf-8", "replace")


parent = {}


def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


msg_feats = []
for s in scans:
    if s["verdict"]["action"] == "accept":
        continue
    feats = ["attachment:" + a["sha256"] for a in s.get("attachments") or []
             if a.get("sha256")]
    feats += [k for k in (lure_key(u) for u in s.get("urls") or []
                          if u.get("source") not in ("src", "css")) if k]
    if not feats:
        continue
    for f in feats[1:]:
        parent[find(f)] = find(feats[0])
    users = {u.lower() for u in s.get("to") or [] if "@" in u}
    msg_feats.append((feats[0], users))
size = collections.Counter()
users_of = collections.defaultdict(set)
for f, users in msg_feats:
    size[find(f)] += 1
    users_of[find(f)] |= users
camps = {c["campaign"]: c for c in load("campaigns")["rows"]}
strong = {k: v for k, v in camps.items()
          if k.startswith(("attachment:", "lure:"))}
# every cluster of two or more messages is reported once, with its size
want = {r: n for r, n in size.items() if n >= 2}
got = collections.Counter(find(k) for k in strong if k in parent)
bad = [r for r, n in want.items()
       if got[r] != 1 or not any(find(k) == r and c["messages"] == n
                                 for k, c in strong.items() if k in parent)]
check("campaigns: clusters by shared attachment or lure pattern",
      not bad and want, f"{len(want)} clusters, wrong: {bad[:3]}")
bad = [k for k in strong if k not in parent or size[find(k)] < 2]
check("campaigns: no reported cluster outside the independent ones",
      not bad, str(bad[:3]))
bad = [k for k, c in strong.items() if k in parent and
       ({t["user"] for t in c["targets"]} - users_of[find(k)] or
        (users_of[find(k)] and not c["targets"]))]
check("campaigns: targets of the clusters", not bad, str(bad[:3]))

s1, s2 = load("stats"), load("stats2")
check("store: one event per scanned message", s1["events"] == len(scans),
      f'{s1["events"]} vs {len(scans)}')
check("store: rescan records nothing twice", s1 == s2)
nb = load("neighbors")
check("neighbors: walk reaches messages and senders",
      any(n["node"].startswith("message:") for n in nb["rows"]) and
      any(n["node"].startswith("sender:") for n in nb["rows"]))
check("recommendations: each has evidence",
      all(r["evidence"] for r in load("recommendations")["rows"]))

print(f"1..{len(tests)}")
failed = 0
for i, (name, ok, detail) in enumerate(tests, 1):
    print(f'{"ok" if ok else "not ok"} {i} - {name}' +
          (f" # {detail}" if detail and not ok else ""))
    failed += not ok
sys.exit(1 if failed else 0)
