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
# Usage: bench/attachments.sh [GENEVA_BINARY] [COPIES]
# Prints times, detections and the ratio clamscan/geneva (> 1: geneva faster).
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

now() { python3 -c 'import time; print(time.monotonic())'; }

t0=$(now)
clamscan --disable-cache --database="$T/db" --no-summary --infected \
	--file-list="$T/list" > "$T/clam.out" 2>/dev/null || true
t1=$(now)
tr '\n' '\0' < "$T/list" | xargs -0 -n 100000 "$GENEVA" files inspect -q \
	--no-items > "$T/geneva.out" 2>"$T/geneva.err" || true
t2=$(now)

CLAM_FOUND=$(grep 'FOUND$' "$T/clam.out" | sed 's/: .*//; s|.*/||' | sort -u | wc -l)
GV_FOUND=$(grep -c 'FOUND$' "$T/geneva.out" || true)
# Files where geneva hit one of the two test signatures (its YARA rules).
GV_SIG=$(tr '\n' '\0' < "$T/list" | xargs -0 -n 100000 "$GENEVA" files inspect \
	--no-items | grep -E 'yara\.(ClamAV_Test_File|EICAR_Test_File)' |
	awk '{ split($2, p, "/"); print p[1] }' | sort -u | wc -l)
python3 - "$t0" "$t1" "$t2" "$NFILES" "$CLAM_FOUND" "$GV_FOUND" "$GV_SIG" "$COPIES" <<'EOF'
import sys
t0, t1, t2 = map(float, sys.argv[1:4])
n, cf, gf, gs, copies = map(int, sys.argv[4:9])
c, g = t1 - t0, t2 - t1
print("clamscan: %.2f s  %d distinct names with a test signature (MD5)" % (c, cf))
print("geneva:   %.2f s  %d distinct names with a test signature (YARA, any depth); "
      "%d files at or above the tag score (30)" % (g, gs, gf))
print("ratio clamscan/geneva: %.2f (%s)" % (c / g, "geneva faster" if c > g else "clamscan faster"))
EOF
