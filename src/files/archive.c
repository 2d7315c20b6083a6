/*
 * archive.c — archives and compressed streams through libarchive, from
 * memory, recursively (each entry becomes a child item).
 *
 * Bounded: each entry is read into a gv_buf capped at the walk's per-file
 * budget; the decoded/consumed ratio of an entry is checked while it is
 * read, so a bomb stops after a few MB, not after it has been inflated.
 * Encrypted entries are reported; when the message body suggests a password
 * (the usual "the password is 1234" lure) the candidates are tried.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "files/files-private.h"

/* Read granularity handed to libarchive: small enough that the compressed
 * bytes consumed by an entry are known to within this much. */
#define GVF_AR_BLOCK (64 * 1024)
#define GVF_AR_RATIO_FLOOR ((uint64_t)1024 * 1024)
#define GVF_MAX_PASSWORDS 8

struct memsrc {
	const unsigned char *data;
	size_t len;
	size_t pos;
};

static la_ssize_t mem_read(struct archive *a, void *ud, const void **buf)
{
	struct memsrc *m = ud;
	size_t n = m->len - m->pos;

	(void)a;
	if (n > GVF_AR_BLOCK)
		n = GVF_AR_BLOCK;
	*buf = m->data + m->pos;
	m->pos += n;
	return (la_ssize_t)n;
}

static la_int64_t mem_seek(struct archive *a, void *ud, la_int64_t off,
			   int whence)
{
	struct memsrc *m = ud;
	la_int64_t base = whence == SEEK_SET ? 0 :
			  whence == SEEK_CUR ? (la_int64_t)m->pos :
					       (la_int64_t)m->len;

	(void)a;
	if (off > (la_int64_t)m->len || base + off < 0 ||
	    base + off > (la_int64_t)m->len)
		return ARCHIVE_FATAL;
	m->pos = (size_t)(base + off);
	return (la_int64_t)m->pos;
}

static la_int64_t mem_skip(struct archive *a, void *ud, la_int64_t req)
{
	struct memsrc *m = ud;
	size_t left = m->len - m->pos;
	size_t n = req < 0 ? 0 : (uint64_t)req > left ? left : (size_t)req;

	(void)a;
	m->pos += n;
	return (la_int64_t)n;
}

/* libarchive 3.6.2 (Debian 12) dereferences NULL on a cabinet whose
 * uncompressed data blocks claim a different size than they hold (found by
 * fuzz/fuzz-files.c). Until the fix ships, every cabinet header in the item
 * (also one inside a self-extracting .exe) is checked first; a cabinet that
 * fails is not given to libarchive's cab reader.
 * Facts from [MS-CAB]: CFHEADER, CFFOLDER (coffCabStart, cCFData,
 * typeCompress), CFDATA (csum, cbData, cbUncomp, reserve, data). */
static bool cab_at_ok(const unsigned char *d, size_t len)
{
	size_t off = 36, fres = 0, dres = 0;
	uint16_t nfolders, flags;

	if (len < 36)
		return false;
	nfolders = gvf_le16(d + 26);
	flags = gvf_le16(d + 30);
	if (flags & 0x0004) {
		if (len < 40)
			return false;
		off = 40 + (size_t)gvf_le16(d + 36);
		fres = d[38];
		dres = d[39];
	}
	if (flags & 0x0003)	/* multi-cabinet sets: not read */
		return false;
	for (uint16_t f = 0; f < nfolders; f++, off += 8 + fres) {
		if (off + 8 > len)
			return false;
		size_t pos = gvf_le32(d + off);
		uint16_t nblocks = gvf_le16(d + off + 4);
		bool stored = (gvf_le16(d + off + 6) & 0x000F) == 0;

		for (uint16_t b = 0; b < nblocks; b++) {
			if (pos > len || len - pos < 8 + dres)
				return false;
			uint16_t cb = gvf_le16(d + pos + 4), ucb = gvf_le16(d + pos + 6);

			if ((stored && cb != ucb) || cb > len - pos - 8 - dres)
				return false;
			pos += 8 + dres + cb;
		}
	}
	return true;
}

static bool cabs_ok(const unsigned char *d, size_t len)
{
	const unsigned char *p = d, *end = d + len;

	while ((p = memmem(p, (size_t)(end - p), "MSCF\0\0\0\0", 8)) != NULL) {
		if (!cab_at_ok(p, (size_t)(end - p)))
			return false;
		p += 8;
	}
	return true;
}

/* Compression filters, by name. Never archive_read_support_filter_all():
 * libarchive runs external programs (lrzip, grzip, lzop...) for filters it
 * was built without, and this module never runs a program. */
static const struct {
	const char *name;
	int (*support)(struct archive *);
} filters[] = {
	{ "gzip", archive_read_support_filter_gzip },
	{ "bzip2", archive_read_support_filter_bzip2 },
	{ "xz", archive_read_support_filter_xz },
	{ "lzma", archive_read_support_filter_lzma },
	{ "lzip", archive_read_support_filter_lzip },
	{ "zstd", archive_read_support_filter_zstd },
	{ "lz4", archive_read_support_filter_lz4 },
	{ "compress", archive_read_support_filter_compress },
	{ "uu", archive_read_support_filter_uu },
};

unsigned gvf_archive_filters(void)
{
	unsigned mask = 0;

	/* ARCHIVE_WARN means "through an external program": left out. */
	for (size_t i = 0; i < GV_ARRAY_LEN(filters); i++) {
		struct archive *a = archive_read_new();

		if (filters[i].support(a) == ARCHIVE_OK)
			mask |= 1u << i;
		archive_read_free(a);
	}
	return mask;
}

static struct archive *open_reader(struct memsrc *m, unsigned filter_mask,
				   bool raw, const char *const *passwords,
				   size_t npw)
{
	struct archive *a = archive_read_new();

	for (size_t i = 0; i < GV_ARRAY_LEN(filters); i++)
		if (filter_mask & (1u << i))
			(void)filters[i].support(a);
	if (raw) {
		archive_read_support_format_raw(a);
	} else {
		/* Named formats only: format_all would also accept mtree,
		 * which reads any text file as a list of paths. */
		archive_read_support_format_zip(a);
		archive_read_support_format_7zip(a);
		archive_read_support_format_rar(a);
		archive_read_support_format_rar5(a);
		archive_read_support_format_tar(a);
		archive_read_support_format_cpio(a);
		if (cabs_ok(m->data, m->len))
			archive_read_support_format_cab(a);
		archive_read_support_format_iso9660(a);
		archive_read_support_format_lha(a);
		archive_read_support_format_xar(a);
		archive_read_support_format_ar(a);
		archive_read_support_format_warc(a);
	}
	for (size_t i = 0; i < npw; i++)
		archive_read_add_passphrase(a, passwords[i]);
	m->pos = 0;
	archive_read_set_read_callback(a, mem_read);
	archive_read_set_seek_callback(a, mem_seek);
	archive_read_set_skip_callback(a, mem_skip);
	archive_read_set_callback_data(a, m);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* 1 and *next_r past it when a filler word starts at p. */
static int filler_word(const char *p, const char *end, const char **next_r)
{
	static const char *const words[] = { "is ", "ist ", "est ", "es ",
					     "for ", "the ", "file ", "zip ", NULL };

	for (size_t i = 0; words[i] != NULL; i++) {
		size_t l = strlen(words[i]);

		if ((size_t)(end - p) >= l && strncasecmp(p, words[i], l) == 0) {
			*next_r = p + l;
			return 1;
		}
	}
	return 0;
}

/* Picks words that follow "password"-like keywords in the message text. */
static size_t body_passwords(struct gvf_walk *w, char **out, size_t max)
{
	static const char *const keys[] = {
		"password", "passwort", "passcode", "pass:", "pwd", "pw:",
		"kennwort", "mot de passe", "contrase", "senha", "code:", NULL,
	};
	size_t n = 0;

	if (w->body == NULL)
		return 0;
	for (size_t k = 0; keys[k] != NULL && n < max; k++) {
		const char *p = w->body, *end = w->body + w->body_len;

		while (p < end && n < max &&
		       (p = gv_memcasemem(p, (size_t)(end - p), keys[k],
					  strlen(keys[k]))) != NULL) {
			const char *q = p + strlen(keys[k]), *s;

			/* Rest of the keyword ("passwords"), separators, and
			 * filler words: "Password: x", "the password is x". */
			while (q < end && isalpha((unsigned char)*q))
				q++;
			for (int round = 0; round < 3; round++) {
				while (q < end && *q != '\0' &&
				       strchr(" \t:=\"'*", *q) != NULL)
					q++;
				if (filler_word(q, end, &q) == 0)
					break;
			}
			s = q;
			while (q < end && q - s < 64 && *q != '\0' &&
			       !isspace((unsigned char)*q) &&
			       *q != '"' && *q != '\'' && *q != '<')
				q++;
			if (q > s) {
				size_t l = (size_t)(q - s);

				/* "1234." at the end of a sentence. */
				while (l > 1 && strchr(".,;)", s[l - 1]) != NULL)
					l--;
				out[n++] = gv_pstrndup(w->pool, s, l);
			}
			p = q > p ? q : p + 1;
		}
	}
	return n;
}

/* Reads one entry into buf. 1 complete, 0 stopped by a limit (buf holds
 * what was read), -1 read error (*err_r set). */
static int read_entry(struct gvf_walk *w, struct archive *a, struct memsrc *m,
		      const char *path, struct gv_buf *buf, size_t start_pos,
		      const char **err_r)
{
	unsigned char chunk[GVF_AR_BLOCK];

	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		size_t consumed;

		if (n == 0)
			return 1;
		if (n < 0) {
			*err_r = archive_error_string(a);
			if (*err_r == NULL)
				*err_r = "read error";
			return -1;
		}
		/* Decoded bytes count against the walk's total as they are
		 * produced, also for an entry that is then given up. */
		if (!gvf_account(w, path, (uint64_t)n))
			return 0;
		if (gv_buf_append(buf, chunk, (size_t)n) < 0) {
			size_t room = buf->max - buf->len;

			(void)gv_buf_append(buf, chunk, room < (size_t)n ? room : (size_t)n);
			gvf_limit(w, path, GVF_LIMIT_FILE_SIZE,
				  "extracted file larger than the limit; only "
				  "its start is inspected");
			return 0;
		}
		consumed = m->pos > start_pos ? m->pos - start_pos : 0;
		if (consumed < GVF_AR_BLOCK)
			consumed = GVF_AR_BLOCK;
		if (buf->len >= GVF_AR_RATIO_FLOOR &&
		    buf->len / consumed > w->lim.max_ratio) {
			gvf_limit(w, path, GVF_LIMIT_RATIO,
				  gv_psprintf(w->pool, "over %zu bytes from about "
					      "%zu compressed (ratio limit %u)",
					      buf->len, consumed,
					      w->lim.max_ratio));
			/* The attachment is a decompression bomb: that alone
			 * quarantines it, and whatever else it holds is most
			 * likely more of the same (42.zip has 65536 leaves).
			 * Stop the whole walk instead of burning the budget. */
			w->stop = true;
			return -2;
		}
		if (gvf_should_stop(w, path))
			return 0;
	}
}

static const char *raw_name(struct gvf_walk *w, const struct gvf_item *it)
{
	static const char *const sfx[] = { ".gz", ".tgz", ".bz2", ".xz", ".lzma",
					   ".z", ".zst", ".lz", NULL };
	size_t n = strlen(it->name);

	for (size_t i = 0; sfx[i] != NULL; i++) {
		size_t l = strlen(sfx[i]);

		if (n > l && strcasecmp(it->name + n - l, sfx[i]) == 0)
			return gv_pstrndup(w->pool, it->name, n - l);
	}
	return "data";
}

struct walk_result {
	int entries;
	bool encrypted;
	bool opened;
};

static void walk(struct gvf_walk *w, const struct gvf_item *it, bool raw,
		 const char *const *pw, size_t npw, struct walk_result *res)
{
	struct memsrc m = { it->data, it->len, 0 };
	struct archive *a = open_reader(&m, w->engine->archive_filters, raw,
					pw, npw);
	struct archive_entry *e;
	int r;

	if (a == NULL) {
		/* No archive format matched: maybe a bare compressed stream
		 * (file.gz, file.bz2) — one entry through the raw format. */
		if (!raw)
			walk(w, it, true, pw, npw, res);
		return;
	}
	/* Raw format over uncompressed data would hand back the item itself. */
	if (raw && archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		archive_read_free(a);
		return;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname_utf8(e), *err = NULL;
		struct gv_buf buf;
		size_t start = m.pos;
		int rr;

		res->opened = true;
		if (name == NULL)
			name = archive_entry_pathname(e);
		if (raw)
			name = raw_name(w, it);
		if (archive_entry_filetype(e) != AE_IFREG && !raw)
			continue;
		res->entries++;
		if (archive_entry_is_encrypted(e)) {
			res->encrypted = true;
			if (npw == 0)
				continue;
		} else if (npw > 0) {
			/* The retry with passwords: plain entries were
			 * inspected by the first pass already. */
			continue;
		}
		if (gvf_should_stop(w, it->path))
			break;
		gv_buf_init(&buf, gvf_child_budget(w));
		rr = read_entry(w, a, &m, gv_psprintf(w->pool, "%s/%s", it->path,
						      name ? name : "unnamed"),
				&buf, start, &err);
		if (rr == -1 && archive_entry_is_encrypted(e)) {
			/* Wrong or missing passphrase: nothing to inspect. */
		} else {
			if (rr == -1 && strstr(err, "Unsupported") != NULL)
				gvf_findingf(w, it->path, "archive.unsupported_method",
					     30, "%s: %s", name ? name : "entry", err);
			else if (rr == -1)
				gvf_findingf(w, it->path, "archive.corrupt", 10,
					     "%s: %s", name ? name : "entry", err);
			if (rr != -2)
				gvf_child(w, it, name, buf.data, buf.len,
					  m.pos > start ? m.pos - start : 0);
		}
		gv_buf_free(&buf);
		if (rr == -2 || w->stop)
			break;
	}
	if (!res->opened && r == ARCHIVE_FATAL && res->entries == 0)
		res->opened = false;
	if (!raw && !res->opened && archive_filter_count(a) > 1 &&
	    archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE) {
		archive_read_free(a);
		/* A bare compressed stream (file.gz, file.bz2): one entry. */
		walk(w, it, true, pw, npw, res);
		return;
	}
	archive_read_free(a);
}

int gvf_archive(struct gvf_walk *w, const struct gvf_item *it, bool raw)
{
	struct walk_result res = { 0 };
	char *pw[GVF_MAX_PASSWORDS];
	size_t npw;

	if (!raw && it->len >= 4 && memcmp(it->data, "MSCF", 4) == 0 &&
	    !cabs_ok(it->data, it->len))
		gvf_finding(w, it->path, "archive.malformed", 40,
			    "cabinet with inconsistent data blocks (not unpacked)");
	walk(w, it, raw, NULL, 0, &res);
	if (!res.encrypted)
		return res.opened ? 1 : 0;
	npw = body_passwords(w, pw, GVF_MAX_PASSWORDS);
	if (npw == 0) {
		gvf_finding(w, it->path, "archive.encrypted", 40,
			    "password-protected archive: its content cannot be "
			    "inspected");
		return 1;
	}
	gvf_findingf(w, it->path, "archive.encrypted_password_in_body", 70,
		     "password-protected archive, and the message text gives "
		     "a password (\"%s\"%s)", pw[0], npw > 1 ? ", ..." : "");
	/* Try the candidates: the content is then inspected like any other. */
	res = (struct walk_result){ 0 };
	walk(w, it, raw, (const char *const *)pw, npw, &res);
	return 1;
}
