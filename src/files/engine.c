/*
 * engine.c — the files engine (libmagic cookie, compiled YARA rules,
 * defaults) and the walk: one gv_files_inspect() call inspects an item,
 * dispatches it to the format inspectors, and recurses into children under
 * the call's limits (depth, count, total bytes, ratio, single file size,
 * time). A limit hit is a finding and stops only what it must.
 */
#include <magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "files/files-private.h"

/* libmagic reads at most this much of an item: the types we need are all
 * decided by the first bytes, and it bounds libmagic's own work. */
#define GVF_MAGIC_BYTES (256 * 1024)
/* Ratios are only judged once this much has been decoded: a 10-byte file that
 * inflates to 10 kB is normal. */
#define GVF_RATIO_FLOOR ((uint64_t)1024 * 1024)

static void resolve_limits(struct gv_files_limits *out,
			   const struct gv_files_limits *in)
{
	struct gv_files_limits z = { 0 };

	if (in == NULL)
		in = &z;
	out->max_depth = in->max_depth ? in->max_depth : GV_FILES_DEFAULT_MAX_DEPTH;
	out->max_files = in->max_files ? in->max_files : GV_FILES_DEFAULT_MAX_FILES;
	out->max_total_bytes = in->max_total_bytes ? in->max_total_bytes :
			       GV_FILES_DEFAULT_MAX_TOTAL_BYTES;
	out->max_ratio = in->max_ratio ? in->max_ratio : GV_FILES_DEFAULT_MAX_RATIO;
	out->max_file_bytes = in->max_file_bytes ? in->max_file_bytes :
			      GV_FILES_DEFAULT_MAX_FILE_BYTES;
	out->time_budget_ms = in->time_budget_ms ? in->time_budget_ms :
			      GV_FILES_DEFAULT_TIME_BUDGET_MS;
}

int gv_files_engine_new(const struct gv_files_config *cfg,
			struct gv_files_engine **engine_r,
			const char **error_r)
{
	struct gv_files_config zero = { 0 };
	struct gv_files_engine *e;
	size_t bytes_max = GVF_MAGIC_BYTES;

	if (cfg == NULL)
		cfg = &zero;
	e = gv_calloc(1, sizeof(*e));
	resolve_limits(&e->limits, &cfg->limits);
	e->clamd = (cfg->clamd != NULL && cfg->clamd[0] != '\0') ?
		   gv_strdup(cfg->clamd) : NULL;
	e->clamd_timeout_ms = cfg->clamd_timeout_ms ? cfg->clamd_timeout_ms : 5000;

	/* MAGIC_NO_CHECK_COMPRESS: we decompress ourselves, under our limits;
	 * libmagic must not inflate content on its own. */
	e->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
			      MAGIC_NO_CHECK_ENCODING | MAGIC_ERROR);
	if (e->magic == NULL || magic_load(e->magic, NULL) != 0) {
		*error_r = "libmagic: cannot load the magic database";
		gv_files_engine_free(&e);
		return -1;
	}
	(void)magic_setparam(e->magic, MAGIC_PARAM_BYTES_MAX, &bytes_max);
	e->archive_filters = gvf_archive_filters();
	if (gvf_yara_compile(e, cfg, error_r) < 0) {
		gv_files_engine_free(&e);
		return -1;
	}
	*engine_r = e;
	return 1;
}

size_t gv_files_engine_rule_count(const struct gv_files_engine *engine)
{
	return engine->rule_count;
}

/* ---- findings and limits ---- */

void gvf_finding(struct gvf_walk *w, const char *path, const char *rule,
		 int score, const char *evidence)
{
	struct gv_files_finding f = {
		.rule = gv_pstrdup(w->pool, rule),
		.score = score,
		.evidence = evidence ? gv_pstrdup(w->pool, evidence) : NULL,
		.path = path,
	};

	if (w->sink != NULL && w->sink->finding != NULL)
		w->sink->finding(w->sink->ctx, &f);
}

void gvf_findingf(struct gvf_walk *w, const char *path, const char *rule,
		  int score, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	gvf_finding(w, path, rule, score, buf);
}

/* Score of every limit finding: enough to quarantine, never "clean". */
#define GVF_LIMIT_SCORE 60

void gvf_limit(struct gvf_walk *w, const char *path, enum gvf_limit kind,
	       const char *evidence)
{
	static const struct {
		enum gvf_limit kind;
		const char *rule;
	} names[] = {
		{ GVF_LIMIT_DEPTH, "limit.archive_depth" },
		{ GVF_LIMIT_FILES, "limit.archive_files" },
		{ GVF_LIMIT_TOTAL, "limit.archive_total_bytes" },
		{ GVF_LIMIT_RATIO, "limit.archive_ratio" },
		{ GVF_LIMIT_FILE_SIZE, "limit.file_size" },
		{ GVF_LIMIT_TIME, "limit.time" },
	};

	if (w->reported & kind)
		return;
	w->reported |= kind;
	for (size_t i = 0; i < GV_ARRAY_LEN(names); i++)
		if (names[i].kind == kind)
			gvf_finding(w, path, names[i].rule, GVF_LIMIT_SCORE,
				    evidence);
}

bool gvf_should_stop(struct gvf_walk *w, const char *path)
{
	if (w->stop)
		return true;
	if (gv_now_ms() > w->deadline_ms) {
		gvf_limit(w, path, GVF_LIMIT_TIME, "time budget exhausted");
		w->stop = true;
	}
	return w->stop;
}

bool gvf_account(struct gvf_walk *w, const char *path, uint64_t add)
{
	if (w->total_bytes + add > w->lim.max_total_bytes) {
		w->total_bytes = w->lim.max_total_bytes;
		gvf_limit(w, path, GVF_LIMIT_TOTAL,
			  "total decoded bytes over the limit");
		w->stop = true;
		return false;
	}
	w->total_bytes += add;
	return true;
}

size_t gvf_child_budget(const struct gvf_walk *w)
{
	uint64_t left = w->lim.max_total_bytes - w->total_bytes;

	/* +1 so that a child of exactly the remaining size is not mistaken for
	 * one that was cut. */
	if (left + 1 < (uint64_t)w->lim.max_file_bytes)
		return (size_t)left + 1;
	return w->lim.max_file_bytes;
}

/* ---- dispatch ---- */

static bool type_is(const char *t, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(t, list[i]) == 0)
			return true;
	return false;
}

static bool has_prefix(const unsigned char *d, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && memcmp(d, p, n) == 0;
}

/* Types handed to libarchive (formats and compression filters). PE files
 * are included because libarchive finds self-extracting zip/7z/rar/cab. */
static const char *const archive_types[] = {
	"application/zip", "application/x-zip-compressed",
	"application/x-rar", "application/vnd.rar", "application/x-rar-compressed",
	"application/x-7z-compressed", "application/x-tar", "application/x-gtar",
	"application/gzip", "application/x-gzip", "application/x-bzip2",
	"application/x-xz", "application/x-lzma", "application/zstd",
	"application/x-lzip", "application/x-compress",
	"application/vnd.ms-cab-compressed", "application/x-iso9660-image",
	"application/x-cpio", "application/x-lzh-compressed",
	"application/x-lha", "application/x-archive", "application/x-xar",
	"application/java-archive", "application/vnd.android.package-archive",
	"application/vnd.microsoft.portable-executable",
	"application/x-dosexec", "application/x-msdownload",
	"application/x-ms-installer", "application/vnd.ms-office",
	NULL,
};

/* Archive formats neither libarchive nor our decoders read: their content
 * is invisible, which is reason enough to look twice. */
static const char *const unsupported_archive_types[] = {
	"application/x-arj", "application/x-ace-compressed", "application/x-ace",
	"application/x-stuffit", "application/x-zoo", "application/x-alz",
	"application/x-arc", "application/vnd.ms-htmlhelp",
	"application/vnd.symbian.install", "application/x-installshield",
	NULL,
};

static bool is_ooxml_or_odf(const char *t)
{
	return strncmp(t, "application/vnd.openxmlformats-", 31) == 0 ||
	       strncmp(t, "application/vnd.ms-word.", 24) == 0 ||
	       strncmp(t, "application/vnd.ms-excel.", 25) == 0 ||
	       strncmp(t, "application/vnd.ms-powerpoint.", 30) == 0 ||
	       strncmp(t, "application/vnd.oasis.opendocument.", 35) == 0;
}

static void dispatch(struct gvf_walk *w, const struct gvf_item *it)
{
	const unsigned char *d = it->data;
	size_t len = it->len;
	const char *t = it->true_type;

	if (has_prefix(d, len, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"))
		gvf_ole2(w, it);
	else if (gvf_memmem(d, len < 1024 ? len : 1024, "%PDF-") != NULL)
		gvf_pdf(w, it);
	else if (has_prefix(d, len, "{\\rt"))
		gvf_rtf(w, it);
	else if (has_prefix(d, len, "SZDD\x88\xF0\x27\x33"))
		gvf_szdd(w, it);
	else if (has_prefix(d, len, "\x78\x9F\x3E\x22"))
		gvf_tnef(w, it);
	else if (has_prefix(d, len, "\xE4\x52\x5C\x7B\x8C\xD8\xA7\x4D"))
		gvf_onenote(w, it);
	else if (has_prefix(d, len, "\x4C\x00\x00\x00\x01\x14\x02\x00"))
		gvf_lnk(w, it);
	else if (has_prefix(d, len, "MSCF") || type_is(t, archive_types) ||
		 is_ooxml_or_odf(t))
		gvf_archive(w, it, false);
	else if (strcmp(t, "application/mac-binhex40") == 0)
		gvf_binhex(w, it);
	else if (type_is(t, unsupported_archive_types))
		gvf_findingf(w, it->path, "archive.unsupported", 30,
			     "archive format that cannot be inspected (%s)", t);
	else if (strncmp(t, "text/", 5) == 0 ||
		 strcmp(t, "message/rfc822") == 0 ||
		 strcmp(t, "application/javascript") == 0) {
		gvf_html(w, it);
		if (gvf_memmem(d, len < 4096 ? len : 4096,
			       "(This file must be converted with BinHex") != NULL)
			gvf_binhex(w, it);
		gvf_text_decoders(w, it);
	}
	/* Inner OOXML parts are judged by their zip entry names. */
	if (it->depth > 0)
		gvf_ooxml_part(w, it);
}

static void inspect_item(struct gvf_walk *w, struct gvf_item *it)
{
	struct gv_files_item rep = { 0 };
	const char *t;

	t = magic_buffer(w->engine->magic, it->data, it->len);
	it->true_type = gv_pstrdup(w->pool, t != NULL ? t :
				   "application/octet-stream");
	rep.path = it->path;
	rep.name = it->name;
	rep.true_type = it->true_type;
	rep.size = it->full_len ? it->full_len : it->len;
	rep.depth = it->depth;
	gvf_hashes(it->data, (size_t)rep.size, rep.sha256, rep.md5);
	if (w->sink != NULL && w->sink->item != NULL)
		w->sink->item(w->sink->ctx, &rep);

	gvf_check_name(w, it);
	gvf_yara_scan(w, it);
	dispatch(w, it);
}

static const char *child_path(struct gvf_walk *w, const char *parent,
			      const char *name)
{
	return gv_psprintf(w->pool, "%s/%s", parent, name);
}

void gvf_child(struct gvf_walk *w, const struct gvf_item *parent,
	       const char *name, const unsigned char *data, size_t len,
	       uint64_t encoded_len)
{
	struct gvf_item it = { 0 };
	const char *base;

	if (name == NULL || name[0] == '\0')
		name = "unnamed";
	/* The last component of an archive path is the item's own name. */
	base = strrchr(name, '/');
	base = (base != NULL && base[1] != '\0') ? base + 1 : name;
	it.path = child_path(w, parent->path, name);
	it.name = gv_pstrdup(w->pool, base);
	/* An empty decoded buffer may have no storage at all. */
	it.data = data != NULL ? data : (const unsigned char *)"";
	it.len = data != NULL ? len : 0;
	it.depth = parent->depth + 1;

	if (gvf_should_stop(w, it.path))
		return;
	if ((size_t)it.depth > w->lim.max_depth) {
		gvf_limit(w, it.path, GVF_LIMIT_DEPTH, "nesting deeper than the limit");
		return;
	}
	if (w->nfiles >= w->lim.max_files) {
		gvf_limit(w, it.path, GVF_LIMIT_FILES, "more files than the limit");
		w->stop = true;
		return;
	}
	if (encoded_len > 0 && len >= GVF_RATIO_FLOOR &&
	    len / encoded_len > w->lim.max_ratio) {
		gvf_limit(w, it.path, GVF_LIMIT_RATIO,
			  gv_psprintf(w->pool, "%zu bytes from %llu", len,
				      (unsigned long long)encoded_len));
		return;
	}
	w->nfiles++;
	inspect_item(w, &it);
}

int gv_files_inspect(struct gv_files_engine *engine, struct gv_pool *pool,
		     const unsigned char *data, size_t len,
		     const char *declared_name, const char *declared_type,
		     const char *body_text, size_t body_text_len,
		     const struct gv_files_limits *limits,
		     const struct gv_files_sink *sink)
{
	struct gvf_walk w = { 0 };
	struct gvf_item it = { 0 };
	const char *name = declared_name != NULL && declared_name[0] != '\0' ?
			   declared_name : "attachment";

	w.engine = engine;
	w.pool = pool;
	w.sink = sink;
	/* Each 0 field of the caller's limits takes the engine's (configured)
	 * value: the scan engine passes only its time budget. */
	struct gv_files_limits eff = engine->limits;

	if (limits != NULL) {
		eff.max_depth = limits->max_depth ? limits->max_depth : eff.max_depth;
		eff.max_files = limits->max_files ? limits->max_files : eff.max_files;
		eff.max_total_bytes = limits->max_total_bytes ?
				      limits->max_total_bytes : eff.max_total_bytes;
		eff.max_ratio = limits->max_ratio ? limits->max_ratio : eff.max_ratio;
		eff.max_file_bytes = limits->max_file_bytes ?
				     limits->max_file_bytes : eff.max_file_bytes;
		eff.time_budget_ms = limits->time_budget_ms ?
				     limits->time_budget_ms : eff.time_budget_ms;
	}
	resolve_limits(&w.lim, &eff);
	w.body = body_text;
	w.body_len = body_text != NULL ? body_text_len : 0;
	w.deadline_ms = gv_now_ms() + w.lim.time_budget_ms;
	w.nfiles = 1;

	it.data = data != NULL ? data : (const unsigned char *)"";
	it.len = data != NULL ? len : 0;
	it.path = gv_pstrdup(pool, name);
	it.name = it.path;
	it.declared_type = declared_type;
	it.depth = 0;
	if (it.len > w.lim.max_file_bytes) {
		gvf_limit(&w, it.path, GVF_LIMIT_FILE_SIZE,
			  "attachment larger than the single-file limit; "
			  "only its start is inspected");
		it.full_len = it.len;
		it.len = w.lim.max_file_bytes;
	}
	inspect_item(&w, &it);

	if (engine->clamd != NULL) {
		const char *virus = NULL, *err = NULL;
		int r = gvf_clamd_scan(engine->clamd, engine->clamd_timeout_ms,
				       pool, data, len, &virus, &err);

		if (r > 0)
			gvf_finding(&w, it.path,
				    gv_psprintf(pool, "clamav.%s", virus), 100,
				    "clamd found a signature");
		else if (r < 0)
			gvf_finding(&w, it.path, "clamd.error", 0, err);
	}
	return 1;
}

int gvf_inspect_format(struct gv_files_engine *engine, struct gv_pool *pool,
		       const unsigned char *data, size_t len, enum gvf_format fmt,
		       const struct gv_files_limits *limits,
		       const struct gv_files_sink *sink)
{
	struct gvf_walk w = { 0 };
	struct gvf_item it = { 0 };

	w.engine = engine;
	w.pool = pool;
	w.sink = sink;
	resolve_limits(&w.lim, limits != NULL ? limits : &engine->limits);
	w.deadline_ms = gv_now_ms() + w.lim.time_budget_ms;
	w.nfiles = 1;
	it.data = data;
	it.len = len;
	it.path = "input";
	it.name = "input";
	it.true_type = "application/octet-stream";
	switch (fmt) {
	case GVF_FMT_ARCHIVE: return gvf_archive(&w, &it, false);
	case GVF_FMT_OLE2: return gvf_ole2(&w, &it);
	case GVF_FMT_PDF: return gvf_pdf(&w, &it);
	case GVF_FMT_RTF: return gvf_rtf(&w, &it);
	case GVF_FMT_HTML: return gvf_html(&w, &it);
	case GVF_FMT_TEXT: return gvf_text_decoders(&w, &it);
	case GVF_FMT_BINHEX: return gvf_binhex(&w, &it);
	case GVF_FMT_SZDD: return gvf_szdd(&w, &it);
	case GVF_FMT_TNEF: return gvf_tnef(&w, &it);
	case GVF_FMT_ONENOTE: return gvf_onenote(&w, &it);
	case GVF_FMT_LNK: return gvf_lnk(&w, &it);
	}
	return -1;
}

void gv_files_engine_free(struct gv_files_engine **engine)
{
	struct gv_files_engine *e = *engine;

	if (e == NULL)
		return;
	if (e->magic != NULL)
		magic_close(e->magic);
	gvf_yara_free(e);
	gv_free(e->clamd);
	gv_free(e);
	*engine = NULL;
}
