/*
 * files-private.h — what the files module's own .c files share: the walk
 * context of one gv_files_inspect() call and the per-format inspectors.
 *
 * Every inspector takes the bytes of one item (pointer, length; bounded by the
 * walk's limits) and reports through gvf_finding() and gvf_child(). A child is
 * a decoded or extracted inner file; gvf_child() applies the depth, count,
 * byte, ratio and time limits and then inspects it like any other item.
 */
#ifndef GV_FILES_PRIVATE_H
#define GV_FILES_PRIVATE_H

#include <stdbool.h>

#include "files/files.h"

struct YR_RULES;
struct magic_set;

struct gv_files_engine {
	struct magic_set *magic;
	struct YR_RULES *rules;
	void *yara_scanner;	/* YR_SCANNER, reused for every item */
	size_t rule_count;
	unsigned archive_filters;	/* gvf_archive_filters() */
	char *clamd;
	uint64_t clamd_timeout_ms;
	struct gv_files_limits limits;
};

/* One gv_files_inspect() call. */
struct gvf_walk {
	struct gv_files_engine *engine;
	struct gv_pool *pool;
	const struct gv_files_sink *sink;
	struct gv_files_limits lim;	/* resolved: no zero fields */
	const char *body;
	size_t body_len;
	uint64_t deadline_ms;
	size_t nfiles;
	uint64_t total_bytes;
	/* A walk-wide limit (files, total bytes, time) was hit: stop. */
	bool stop;
	/* Limit findings already reported (one of each kind per call). */
	unsigned reported;
};

/* The item being inspected (a node of the walk). */
struct gvf_item {
	const unsigned char *data;
	size_t len;
	/* Bytes that exist at data when only the first len are inspected (an
	 * attachment cut at max_file_bytes): hashes and size cover them all.
	 * 0 = len. */
	size_t full_len;
	const char *path;
	const char *name;
	const char *declared_type;	/* only for the attachment itself */
	const char *true_type;
	int depth;
};

/* Reports a finding on item path. evidence may be NULL; it is copied. */
void gvf_finding(struct gvf_walk *w, const char *path, const char *rule,
		 int score, const char *evidence);
void gvf_findingf(struct gvf_walk *w, const char *path, const char *rule,
		  int score, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Limit kinds, reported once per call each. */
enum gvf_limit {
	GVF_LIMIT_DEPTH = 1 << 0,
	GVF_LIMIT_FILES = 1 << 1,
	GVF_LIMIT_TOTAL = 1 << 2,
	GVF_LIMIT_RATIO = 1 << 3,
	GVF_LIMIT_FILE_SIZE = 1 << 4,
	GVF_LIMIT_TIME = 1 << 5,
};
void gvf_limit(struct gvf_walk *w, const char *path, enum gvf_limit kind,
	       const char *evidence);

/* True when the walk must stop (a walk-wide limit, including time, hit). */
bool gvf_should_stop(struct gvf_walk *w, const char *path);

/* Accounts for `add` more decoded bytes. Returns false (and reports the
 * limit) when the total budget is exhausted. */
bool gvf_account(struct gvf_walk *w, const char *path, uint64_t add);

/* Inspects an inner file named name (may be NULL: "unnamed") of parent.
 * encoded_len is the size it had inside the parent (for the ratio; 0 =
 * unknown). The bytes only need to live for the duration of the call. */
void gvf_child(struct gvf_walk *w, const struct gvf_item *parent,
	       const char *name, const unsigned char *data, size_t len,
	       uint64_t encoded_len);

/* Decoded-size budget for one child: min(max_file_bytes, what is left of
 * the total). */
size_t gvf_child_budget(const struct gvf_walk *w);

/* ---- inspectors (one file each) ---- */
/* names.c: declared name/type vs true type, extensions, Unicode tricks. */
void gvf_check_name(struct gvf_walk *w, const struct gvf_item *it);
bool gvf_name_has_ext(const char *name, const char *const *exts);
/* archive.c: libarchive formats; 1 if it was an archive, 0 if not. */
int gvf_archive(struct gvf_walk *w, const struct gvf_item *it, bool raw);
/* Bit mask of the compression filters libarchive has built in (those it
 * would run an external program for are left out). */
unsigned gvf_archive_filters(void);
/* ole2.c + vba.c */
int gvf_ole2(struct gvf_walk *w, const struct gvf_item *it);
void gvf_vba_project(struct gvf_walk *w, const struct gvf_item *it,
		     const unsigned char *dir, size_t dir_len,
		     int (*stream)(void *ctx, const char *name,
				   const unsigned char **data_r,
				   size_t *len_r),
		     void *ctx);
/* MS-OVBA 2.4.1 decompression into out (bounded by out->max).
 * 1 ok, 0 output cut at out->max, -1 malformed. */
int gvf_ovba_decompress(const unsigned char *data, size_t len,
			struct gv_buf *out);
/* Looks at macro source text for auto-exec entry points and risky calls. */
void gvf_vba_source(struct gvf_walk *w, const char *path,
		    const unsigned char *src, size_t len);
/* office.c: OOXML parts (by zip entry name), BIFF XLM, PowerPoint objects. */
void gvf_ooxml_part(struct gvf_walk *w, const struct gvf_item *it);
/* ole2.c hands every stream it does not unpack itself to office.c. */
void gvf_office_stream(struct gvf_walk *w, const struct gvf_item *it,
		       const char *name, const unsigned char *d, size_t len);
/* pdf.c, rtf.c, html.c, decoders.c */
int gvf_pdf(struct gvf_walk *w, const struct gvf_item *it);
int gvf_rtf(struct gvf_walk *w, const struct gvf_item *it);
int gvf_html(struct gvf_walk *w, const struct gvf_item *it);
int gvf_text_decoders(struct gvf_walk *w, const struct gvf_item *it);
int gvf_binhex(struct gvf_walk *w, const struct gvf_item *it);
int gvf_szdd(struct gvf_walk *w, const struct gvf_item *it);
int gvf_tnef(struct gvf_walk *w, const struct gvf_item *it);
int gvf_onenote(struct gvf_walk *w, const struct gvf_item *it);
int gvf_lnk(struct gvf_walk *w, const struct gvf_item *it);
/* Inflates zlib/deflate (zlib_header selects) into out, bounded by
 * out->max. 1 ok, 0 cut at max, -1 corrupt (what was decoded stays). */
int gvf_inflate(const unsigned char *data, size_t len, bool zlib_header,
		struct gv_buf *out);
/* Base64 decoding that skips whitespace; stops at the first other byte.
 * Returns the number of input bytes consumed. */
size_t gvf_base64_decode(const unsigned char *in, size_t len,
			 struct gv_buf *out);
/* yara.c */
int gvf_yara_compile(struct gv_files_engine *e, const struct gv_files_config *cfg,
		     const char **error_r);
void gvf_yara_scan(struct gvf_walk *w, const struct gvf_item *it);
void gvf_yara_free(struct gv_files_engine *e);
/* hash.c: lower-case hex digests. */
void gvf_hashes(const unsigned char *data, size_t len, char sha256[65],
		char md5[33]);
/* clamd.c: 1 infected (virus name in *name_r, from pool), 0 clean, -1 error
 * (*error_r static). */
int gvf_clamd_scan(const char *address, uint64_t timeout_ms,
		   struct gv_pool *pool, const unsigned char *data, size_t len,
		   const char **name_r, const char **error_r);

/* Runs one inspector directly on data (no libmagic dispatch for the item
 * itself; children are dispatched normally). For fuzz targets and parser
 * tests. Returns the inspector's result. */
enum gvf_format {
	GVF_FMT_ARCHIVE, GVF_FMT_OLE2, GVF_FMT_PDF, GVF_FMT_RTF, GVF_FMT_HTML,
	GVF_FMT_TEXT, GVF_FMT_BINHEX, GVF_FMT_SZDD, GVF_FMT_TNEF, GVF_FMT_ONENOTE, GVF_FMT_LNK,
};
int gvf_inspect_format(struct gv_files_engine *engine, struct gv_pool *pool,
		       const unsigned char *data, size_t len, enum gvf_format fmt,
		       const struct gv_files_limits *limits,
		       const struct gv_files_sink *sink);

/* Little helpers for bounds-checked reads. */
static inline uint16_t gvf_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t gvf_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint32_t gvf_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
/* memmem over bytes, case-sensitive. */
const unsigned char *gvf_memmem(const unsigned char *hay, size_t len,
				const char *needle);
/* Case-insensitive count-limited search helper: true if found. */
bool gvf_contains_ci(const unsigned char *hay, size_t len, const char *needle);

#endif
