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

# Campaigns: messages sharing an attachment hash (the first clustering key)
# among messages that were not accepted.
by_hash = collections.Counter()
hash_users = collections.defaultdict(set)
for s in scans:
    if s["verdict"]["action"] == "accept":
        continue
    hashes = [a.get("sha256") for a in s.get("attachments") or []
              if a.get("sha256")]
    if hashes:
        by_hash["attachment:" + hashes[0]] += 1
        hash_users["attachment:" + hashes[0]] |= {
            u.lower() for u in s.get("to") or [] if "@" in u}
camps = {c["campaign"]: c for c in load("campaigns")["rows"]}
want = {k: v for k, v in by_hash.items() if v >= 2}
bad = [k for k, v in want.items()
       if k not in camps or camps[k]["messages"] != v]
check("campaigns: attachment clusters and their sizes", not bad and want,
      f"{len(want)} clusters, wrong: {bad[:3]}")
bad = [k for k in want if k in camps and
       ({t["user"] for t in camps[k]["targets"]} - hash_users[k] or
        (hash_users[k] and not camps[k]["targets"]))]
check("campaigns: targets of attachment clusters", not bad, str(bad[:3]))

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
