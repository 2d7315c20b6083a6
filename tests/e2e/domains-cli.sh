#!/bin/sh
# End-to-end test of `geneva domains` without servers: feeds (plain, gzip,
# standard input, a followed folder), bad lines skipped and counted, exit
# codes, JSON Lines, permute, abuse reports from a saved RDAP answer, and
# a brand's own registrations told apart by saved RDAP answers.
#
# usage: domains-cli.sh GENEVA_BINARY     (TAP output)
set -eu
GENEVA=$(readlink -f "$1")
SRC=${GENEVA_SRC:-$(dirname "$0")/../..}
BRANDS=$SRC/rules/brands-top100.txt
T=$(mktemp -d /tmp/gv-e2e-domains-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT INT TERM
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); echo "not ok $n - $*"; exit 1; }
echo "1..10"

# 1. clean feed: exit 0, nothing printed
printf 'example.org\nwikipedia.org\n' > "$T/clean.txt"
rc=0
"$GENEVA" domains watch --brands "$BRANDS" "$T/clean.txt" > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 0 ] && [ ! -s "$T/out" ] || fail "clean feed: exit $rc, output $(cat "$T/out")"
ok "clean feed exits 0"

# 2. hostile lines are skipped and counted; the lookalikes still found
{
	printf 'paypa1.com\n'
	printf '\377\376garbage\n'
	printf 'xn--zz--.com\n'
	printf 'bad..name\n'
	head -c 10000 /dev/zero | tr '\0' 'a'
	printf '\n'
	printf 'micros0ft-support.com,extra,fields\n'
	printf 'not a domain at all\n'  # first field "not": a one-label name
	printf '\n'
} > "$T/mixed.txt"
rc=0
"$GENEVA" domains watch --brands "$BRANDS" "$T/mixed.txt" > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] || fail "mixed feed: exit $rc"
grep -q '^paypa1.com ' "$T/out" && grep -q '^micros0ft-support.com ' "$T/out" ||
	fail "mixed feed output: $(cat "$T/out")"
grep -q '3 names, 2 lookalikes, 4 bad lines skipped (1 over 4096 bytes)' "$T/err" ||
	fail "mixed feed summary: $(cat "$T/err")"
ok "bad lines skipped and counted, lookalikes found (exit 1)"

# 3. gzip and standard input, JSON Lines
printf 'g00gle.com\n' | gzip > "$T/feed.gz"
printf 'paypal-login-secure.xyz\n' | "$GENEVA" domains watch --json --brands "$BRANDS" \
	"$T/feed.gz" - > "$T/out" 2> "$T/err" || true
python3 - "$T/out" <<'EOF' || fail "JSON Lines: $(cat "$T/out")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["domain"] for r in rows] == ["g00gle.com", "paypal-login-secure.xyz"], rows
assert rows[0]["brand"] == "google.com" and rows[0]["technique"] == "homoglyph"
assert rows[1]["brand"] == "paypal.com" and rows[1]["score"] >= 70
assert all("first_seen" in r and "registrable" in r for r in rows)
EOF
ok "gzip file and standard input, JSON Lines"

# 4. a followed folder picks up files moved in later
mkdir "$T/incoming"
"$GENEVA" domains watch --follow --idle-exit 3 --brands "$BRANDS" "$T/incoming" \
	> "$T/follow.out" 2> "$T/follow.err" &
pid=$!
sleep 1
mkdir "$T/dir" && mv "$T/dir" "$T/incoming/dir"   # not a file: skipped
printf 'paypa1.com\n' > "$T/new.txt"
mv "$T/new.txt" "$T/incoming/new.txt"
wait $pid || true
grep -q '^paypa1.com ' "$T/follow.out" || fail "follow: $(cat "$T/follow.out" "$T/follow.err")"
ok "--follow reads files moved into the folder"

# 5. errors: missing brand list, unreadable feed -> exit 2, one line naming the input
rc=0
"$GENEVA" domains watch --brands "$T/nope.txt" "$T/clean.txt" > /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q "nope.txt" "$T/err" || fail "missing brands: exit $rc $(cat "$T/err")"
rc=0
"$GENEVA" domains watch --brands "$BRANDS" "$T/missing-feed" > /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q "missing-feed" "$T/err" || fail "missing feed: exit $rc"
ok "errors exit 2 and name the input"

# 6. permute: every technique, and the index finds the typo ones
"$GENEVA" domains permute paypal.com > "$T/perm.txt"
for t in addition bitsquatting homoglyph hyphenation insertion omission repetition \
	replacement subdomain transposition vowel-swap dictionary tld-swap plural; do
	grep -q "^$t " "$T/perm.txt" || fail "permute: no $t"
done
echo paypal.com > "$T/one.txt"
grep -vE '^(dictionary|tld-swap) ' "$T/perm.txt" | awk '{print $2}' > "$T/typos.txt"
total=$(wc -l < "$T/typos.txt")
found=$("$GENEVA" domains watch --brands "$T/one.txt" "$T/typos.txt" 2>/dev/null | wc -l)
[ $((found * 100)) -ge $((total * 99)) ] || fail "index finds $found of $total permutations"
ok "permute covers every technique; index finds $found of $total"

# 7. abuse report from a saved RDAP answer
cat > "$T/rdap.json" <<'EOF'
{"objectClassName":"domain","ldhName":"paypa1.com","entities":[{"objectClassName":"entity",
"roles":["registrar"],"vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text",
"Example Registrar"]]],"entities":[{"objectClassName":"entity","roles":["abuse"],
"vcardArray":["vcard",[["version",{},"text","4.0"],["email",{},"text","abuse@registrar.example"]]]}]}]}
EOF
printf 'paypa1.com\n' | "$GENEVA" domains watch --json --brands "$BRANDS" 2>/dev/null > "$T/found.jsonl" || true
mkdir "$T/reports"
"$GENEVA" domains report --rdap "$T/rdap.json" --from abuse-desk@example.org \
	--org "Example Org" --out-dir "$T/reports" "$T/found.jsonl" 2> "$T/err" ||
	fail "report: $(cat "$T/err")"
python3 - "$T/reports/paypa1.com.eml" <<'EOF' || fail "report message"
import email, json, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
assert msg["To"] == "abuse@registrar.example", msg["To"]
parts = list(msg.walk())
text = [p for p in parts if p.get_content_type() == "text/plain"][0].get_payload()
assert "paypal.com" in text and "homoglyph" in text
x = json.loads([p for p in parts if p.get_content_type() == "application/json"][0].get_payload())
assert x["xarf_version"] == "4.0.0" and x["domain"] == "paypa1.com" and x["target_brand"] == "paypal.com"
EOF
ok "X-ARF report in an RFC 5322 message to the RDAP abuse contact"

# 8. report without any abuse contact is an error
rc=0
"$GENEVA" domains report --from a@b.example --domain x.example --brand paypal.com \
	> /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 2 ] || fail "report without contact: exit $rc"
ok "report without an abuse contact exits 2"

# 9. --rdap-dir: a lookalike its brand registered (same registrar, same
# organisation) is counted as owned; an impostor using the brand's name at
# another registrar, a name without an answer and one with a broken answer
# are reported
mkdir "$T/rdap"
rdap() { # FILE IANA-ID REGISTRAR ORG
	cat > "$T/rdap/$1.json" <<EOF
{"objectClassName":"domain","ldhName":"$1","entities":[
 {"objectClassName":"entity","roles":["registrar"],"publicIds":[{"type":"IANA Registrar ID","identifier":"$2"}],
  "vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","$3"]]]},
 {"objectClassName":"entity","roles":["registrant"],
  "vcardArray":["vcard",[["version",{},"text","4.0"],["org",{},"text","$4"]]]}]}
EOF
}
rdap paypal.com 292 "MarkMonitor Inc." "PayPal Inc."
rdap paypal-login.com 292 "MarkMonitor, Inc." "PAYPAL, INC"
rdap paypa1.com 1068 "NameCheap, Inc." "PayPal Inc."
printf '{"entities": [' > "$T/rdap/paypal-verify.com.json"
mkfifo "$T/rdap/paypal-secure.com.json" # must not block the feed
printf 'paypal-login.com\npaypa1.com\npaypal-account.com\npaypal-verify.com\npaypal-secure.com\n' > "$T/owned.txt"
rc=0
timeout 60 "$GENEVA" domains watch --brands "$BRANDS" --rdap-dir "$T/rdap" "$T/owned.txt" \
	> "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] || fail "--rdap-dir: exit $rc: $(cat "$T/err")"
! grep -q '^paypal-login.com ' "$T/out" || fail "the brand's own registration reported"
for d in paypa1.com paypal-account.com paypal-verify.com paypal-secure.com; do
	grep -q "^$d " "$T/out" || fail "--rdap-dir: $d not reported: $(cat "$T/out")"
done
grep -q '1 owned by their brand (RDAP), 2 unreadable RDAP answers' "$T/err" &&
	grep -q 'paypal-verify.com.json: not an RDAP JSON object' "$T/err" &&
	grep -q 'paypal-secure.com.json: not a regular file' "$T/err" ||
	fail "--rdap-dir summary: $(cat "$T/err")"
rc=0
"$GENEVA" domains watch --brands "$BRANDS" --rdap-dir "$T/nowhere" "$T/owned.txt" \
	> /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q 'not a folder' "$T/err" || fail "--rdap-dir missing folder: exit $rc"
ok "--rdap-dir: the brand's own registration is not reported, impostors are"

# 10. report --rdap-dir: each lookalike to its own registrar's abuse
# address; one without an answer is an error for that one only, or goes to
# --abuse-contact
mkdir "$T/rdap2" "$T/rep2" "$T/rep3"
abuse() { # DOMAIN ADDRESS
	cat > "$T/rdap2/$1.json" <<EOF
{"objectClassName":"domain","ldhName":"$1","entities":[{"objectClassName":"entity",
"roles":["registrar"],"vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","R"]]],
"entities":[{"objectClassName":"entity","roles":["abuse"],
"vcardArray":["vcard",[["version",{},"text","4.0"],["email",{},"text","$2"]]]}]}]}
EOF
}
abuse paypa1.com abuse@registrar-a.example
abuse micros0ft-support.com abuse@registrar-b.example
printf 'paypa1.com\nlogin.micros0ft-support.com\ng00gle.com\n' |
	"$GENEVA" domains watch --json --brands "$BRANDS" 2>/dev/null > "$T/three.jsonl" || true
[ "$(wc -l < "$T/three.jsonl")" = 3 ] || fail "report --rdap-dir: input $(cat "$T/three.jsonl")"
rc=0
"$GENEVA" domains report --rdap-dir "$T/rdap2" --from abuse-desk@example.org \
	--out-dir "$T/rep2" "$T/three.jsonl" 2> "$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q 'g00gle.com: no abuse contact' "$T/err" ||
	fail "report --rdap-dir without a fallback: exit $rc: $(cat "$T/err")"
grep -q '^To: abuse@registrar-a.example' "$T/rep2/paypa1.com.eml" &&
	grep -q '^To: abuse@registrar-b.example' "$T/rep2/login.micros0ft-support.com.eml" &&
	[ ! -e "$T/rep2/g00gle.com.eml" ] || fail "report --rdap-dir: $(ls "$T/rep2")"
"$GENEVA" domains report --rdap-dir "$T/rdap2" --abuse-contact abuse@fallback.example \
	--from abuse-desk@example.org --out-dir "$T/rep3" "$T/three.jsonl" 2> "$T/err" ||
	fail "report --rdap-dir with a fallback: $(cat "$T/err")"
grep -q '^To: abuse@fallback.example' "$T/rep3/g00gle.com.eml" &&
	grep -q '^To: abuse@registrar-a.example' "$T/rep3/paypa1.com.eml" ||
	fail "report --rdap-dir fallback: $(ls "$T/rep3")"
ok "report --rdap-dir: one registrar per lookalike, a missing contact fails that one only"
