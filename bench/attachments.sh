#!/bin/sh
# Attachment scanning: geneva vs clamscan on the same attachment-heavy corpus
# with the same test signatures, single-threaded both.
#
# Corpus (built in a temp dir, nothing written elsewhere): every file of
# corpora/malware_test (the 44 ClamAV test containers + EICAR) and every
# attachment taken out of the email corpora (images, PDFs, archives, Office
# files...), copied COPIES times (default 4).
# Signatures: clamscan gets a database with the MD5s of clam.exe and
# eicar.com (sigtool --md5); geneva uses its bundled YARA rules, which carry
# the same two test files (content rules + the clam.exe MD5).
# geneva runs `geneva files inspect` (the attachment library that `geneva
# scan` calls for every attachment), so both sides scan the same files.
#
# Part 2 (end to end): every corpus file is attached (base64) to its own
# message; `geneva scan` (MIME parsing, every analyzer, attachments through
# src/files, policy) and clamscan (which parses mail too) scan the same .eml
# files.
#
# Usage: bench/attachments.sh [GENEVA_BINARY] [COPIES]
# Prints CPU and wall times, detections and the CPU-time ratio clamscan/geneva
# (> 1: geneva faster).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GENEVA=${1:-$ROOT/build/src/cli/geneva}
COPIES=${2:-4}
SHARED=${GENEVA_SHARED:-$ROOT/../shared}
[ -x "$GENEVA" ] || { echo "bench: $GENEVA: not built" >&2; exit 2; }
command -v clamscan >/dev/null || { echo "bench: clamscan not installed" >&2; exit 2; }

T=$(mktemp -d /tmp/gv-bench-att.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
mkdir -p "$T/one" "$T/corpus" "$T/db"

# Attachments out of the mail corpora (python3's email parser).
python3 - "$SHARED/corpora/email" "$T/one" <<'EOF'
import email, os, sys
src, out = sys.argv[1], sys.argv[2]
n = 0
for root, _, files in os.walk(src):
    for f in sorted(files):
        try:
            m = email.message_from_binary_file(open(os.path.join(root, f), 'rb'))
            parts = [p for p in m.walk() if not p.is_multipart()]
        except Exception:
            continue
        for p in parts:
            fn = p.get_filename()
            if not fn and p.get_content_maintype() in ('text', 'message'):
                continue
            try:
                d = p.get_payload(decode=True)
            except Exception:
                continue
            if not d:
                continue
            n += 1
            safe = ''.join(c if c.isalnum() or c in '._-' else '_' for c in (fn or 'part'))
            open(os.path.join(out, '%05d-%s' % (n, safe[-80:])), 'wb').write(d)
print('attachments from mail corpora:', n)
EOF
cp "$SHARED"/corpora/malware_test/clamav-testfiles/* "$SHARED"/corpora/malware_test/eicar/* "$T/one/"
i=0
while [ $i -lt "$COPIES" ]; do
	mkdir -p "$T/corpus/$i"; cp "$T/one/"* "$T/corpus/$i/"; i=$((i + 1))
done
NFILES=$(find "$T/corpus" -type f | wc -l)
BYTES=$(du -sb "$T/corpus" | cut -f1)
echo "corpus: $NFILES files, $BYTES bytes ($COPIES copies)"

sigtool --md5 "$SHARED/corpora/malware_test/clamav-testfiles/clam.exe" > "$T/db/test.hdb"
sigtool --md5 "$SHARED/corpora/malware_test/eicar/eicar.com" >> "$T/db/test.hdb"

find "$T/corpus" -type f | sort > "$T/list"
# Warm the page cache for both.
cat $(cat "$T/list") > /dev/null

# run OUT ERR CMD...: runs CMD with stdout to OUT, prints "wall cpu" (CPU =
# user + system of CMD and everything it waited for). CPU time is what the
# ratio uses: on a shared machine wall time mostly measures the neighbours.
run() {
	python3 - "$@" <<'EOF2'
import resource, subprocess, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
subprocess.run(cmd, stdout=open(out, 'w'), stderr=open(err, 'w'))
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f" % (time.monotonic() - t, r.ru_utime + r.ru_stime))
EOF2
}

C1=$(run "$T/clam.out" /dev/null clamscan --disable-cache --database="$T/db" \
	--no-summary --infected --file-list="$T/list")
G1=$(run "$T/geneva.out" "$T/geneva.err" sh -c \
	'tr "\n" "\0" < "$1" | xargs -0 -n 100000 "$2" files inspect -q --no-items' \
	sh "$T/list" "$GENEVA")

CLAM_FOUND=$(grep 'FOUND$' "$T/clam.out" | sed 's/: .*//; s|.*/||' | sort -u | wc -l)
GV_FOUND=$(grep -c 'FOUND$' "$T/geneva.out" || true)
# Files where geneva hit one of the two test signatures (its YARA rules).
GV_SIG=$(tr '\n' '\0' < "$T/list" | xargs -0 -n 100000 "$GENEVA" files inspect \
	--no-items | grep -E 'yara\.(ClamAV_Test_File|EICAR_Test_File)' |
	awk '{ split($2, p, "/"); print p[1] }' | sort -u | wc -l)
python3 - "$C1" "$G1" "$CLAM_FOUND" "$GV_FOUND" "$GV_SIG" <<'EOF'
import sys
cw, cc = map(float, sys.argv[1].split())
gw, gc = map(float, sys.argv[2].split())
cf, gf, gs = map(int, sys.argv[3:6])
print("clamscan: %.2f s CPU (%.2f s wall)  %d distinct names with a test signature (MD5)" % (cc, cw, cf))
print("geneva:   %.2f s CPU (%.2f s wall)  %d distinct names with a test signature "
      "(YARA, any depth); %d files at or above the tag score (30)" % (gc, gw, gs, gf))
print("ratio clamscan/geneva (CPU): %.2f (%s)" % (cc / gc, "geneva faster" if cc > gc else "clamscan faster"))
EOF

# ---- part 2: the same files as attachments of messages, end to end ----
mkdir -p "$T/mail"
python3 - "$T/corpus" "$T/mail" <<'EOF2'
import base64, os, sys
src, out = sys.argv[1], sys.argv[2]
n = 0
for root, _, files in os.walk(src):
    for f in sorted(files):
        d = open(os.path.join(root, f), 'rb').read()
        n += 1
        name = f.split('-', 1)[-1] if f[:5].isdigit() else f
        b = base64.encodebytes(d).decode()
        with open(os.path.join(out, '%05d.eml' % n), 'w') as m:
            m.write('From: a@example.com\nTo: b@example.com\nSubject: file %d\n'
                    'Date: Thu, 26 Nov 2026 06:00:00 +0000\nMessage-ID: <%d@example.com>\n'
                    'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n'
                    '--b1\nContent-Type: text/plain\n\nPlease see the attached file.\n'
                    '--b1\nContent-Type: application/octet-stream; name="%s"\n'
                    'Content-Disposition: attachment; filename="%s"\n'
                    'Content-Transfer-Encoding: base64\n\n%s--b1--\n' % (n, n, name, name, b))
print('messages:', n)
EOF2
cat "$T"/mail/* > /dev/null
C2=$(run "$T/clam2.out" /dev/null clamscan --disable-cache --database="$T/db" \
	--no-summary --infected -r "$T/mail")
G2=$(run "$T/geneva2.out" "$T/geneva2.err" "$GENEVA" scan --quiet --no-progress "$T/mail")
CF2=$(grep -c 'FOUND$' "$T/clam2.out" || true)
GF2=$(grep -Ec '^(quarantine|reject) ' "$T/geneva2.out" || true)
if grep -q 'unknown command' "$T/geneva2.err"; then
	echo "part 2 skipped: this geneva has no 'scan' command"
else
python3 - "$C2" "$G2" "$CF2" "$GF2" <<'EOF2'
import sys
cw, cc = map(float, sys.argv[1].split())
gw, gc = map(float, sys.argv[2].split())
cf, gf = map(int, sys.argv[3:5])
print("end to end (messages): clamscan %.2f s CPU (%.2f s wall), %d with a test signature; "
      "geneva scan %.2f s CPU (%.2f s wall), %d quarantined or rejected" % (cc, cw, cf, gc, gw, gf))
print("ratio clamscan/geneva (messages, CPU): %.2f (%s)" % (cc / gc, "geneva faster" if cc > gc else "clamscan faster"))
EOF2
fi
