/*
 * Shared by the files module's tests: a sink that records findings and
 * items, an engine over the source tree's bundled rules, in-memory archive
 * builders (libarchive's writer) and corpus file loading.
 */
#ifndef GV_TEST_FILES_COMMON_H
#define GV_TEST_FILES_COMMON_H

#include <archive.h>
#include <archive_entry.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "files/files.h"

#define MAX_REC 4096

struct rec {
	size_t nf, ni;
	struct gv_files_finding f[MAX_REC];
	struct gv_files_item it[MAX_REC];
};

static inline void rec_finding(void *ctx, const struct gv_files_finding *f)
{
	struct rec *r = ctx;

	if (getenv("GV_TEST_VERBOSE") != NULL)
		fprintf(stderr, "  finding %s %s %d %s\n", f->path, f->rule,
			f->score, f->evidence ? f->evidence : "");
	if (r->nf < MAX_REC)
		r->f[r->nf++] = *f;
}

static inline void rec_item(void *ctx, const struct gv_files_item *it)
{
	struct rec *r = ctx;

	if (r->ni < MAX_REC)
		r->it[r->ni++] = *it;
}

/* First finding whose rule starts with prefix, or NULL. */
static inline const struct gv_files_finding *rec_has(const struct rec *r,
						     const char *prefix)
{
	for (size_t i = 0; i < r->nf; i++)
		if (strncmp(r->f[i].rule, prefix, strlen(prefix)) == 0)
			return &r->f[i];
	return NULL;
}

/* A finding with exactly this rule and path. */
static inline bool rec_has_at(const struct rec *r, const char *rule,
			      const char *path)
{
	for (size_t i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].rule, rule) == 0 && strcmp(r->f[i].path, path) == 0)
			return true;
	return false;
}

static inline int rec_worst(const struct rec *r)
{
	int w = 0;

	for (size_t i = 0; i < r->nf; i++)
		if (r->f[i].score > w)
			w = r->f[i].score;
	return w;
}

static inline bool rec_clam_found(const struct rec *r)
{
	return rec_has(r, "yara.ClamAV_Test_File") != NULL;
}

static inline struct gv_files_engine *test_engine(void)
{
	struct gv_files_config cfg = { 0 };
	struct gv_files_engine *e = NULL;
	const char *err = NULL;
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/rules/yara", getenv("GENEVA_SRC") ?
		 getenv("GENEVA_SRC") : ".");
	cfg.rules_dir = dir;
	if (gv_files_engine_new(&cfg, &e, &err) < 0)
		fail_msg("engine: %s", err);
	return e;
}

/* Inspects data with limits (NULL = defaults); records into r. */
static inline void inspect(struct gv_files_engine *e, struct rec *r,
			   const void *data, size_t len, const char *name,
			   const char *body, const struct gv_files_limits *lim)
{
	struct gv_pool *pool = gv_pool_new(64 * 1024);
	struct gv_files_sink sink = { r, rec_finding, rec_item };
	/* The pool must outlive the record: keep pools for the test run. */
	static struct gv_pool *keep[4096];
	static size_t nkeep;

	memset(r, 0, sizeof(*r));
	assert_int_equal(gv_files_inspect(e, pool, data, len, name, NULL, body,
					  body ? strlen(body) : 0, lim, &sink), 1);
	if (nkeep < GV_ARRAY_LEN(keep))
		keep[nkeep++] = pool;
	else
		gv_pool_free(&pool);
}

/* ---- in-memory archives ---- */

struct entry {
	const char *name;
	const void *data;
	size_t len;
};

/* Builds an archive of the given libarchive format (e.g.
 * archive_write_set_format_zip) in a malloc'd buffer. options may be NULL
 * ("zip:encryption=zipcrypt"), passphrase may be NULL. */
static inline unsigned char *build_archive(int (*format)(struct archive *),
				    const char *options, const char *passphrase,
				    const struct entry *ents, size_t n,
				    size_t *len_r)
{
	size_t cap = 4096, used = 0;
	unsigned char *buf;
	struct archive *a;

	/* Stored or deflated, an entry never needs more than its size plus
	 * 1% and its headers. */
	cap += 1 << 20;	/* an ISO 9660 image has ~400 KB of fixed overhead */
	for (size_t i = 0; i < n; i++)
		cap += ents[i].len + ents[i].len / 100 + 4096;
	buf = malloc(cap);
	assert_non_null(buf);
	a = archive_write_new();
	assert_int_equal(format(a), ARCHIVE_OK);
	if (options != NULL)
		assert_int_equal(archive_write_set_options(a, options), ARCHIVE_OK);
	if (passphrase != NULL)
		assert_int_equal(archive_write_set_passphrase(a, passphrase), ARCHIVE_OK);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, ents[i].name);
		archive_entry_set_size(e, (la_int64_t)ents[i].len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, ents[i].data, ents[i].len),
				 (la_ssize_t)ents[i].len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*len_r = used;
	return buf;
}

static inline unsigned char *zip1(const char *name, const void *data, size_t len,
			   size_t *len_r)
{
	struct entry e = { name, data, len };

	return build_archive(archive_write_set_format_zip, NULL, NULL, &e, 1, len_r);
}

static inline unsigned char *load_shared(const char *rel, size_t *len_r)
{
	char path[4096];
	unsigned char *data;
	bool trunc;
	const char *err;

	snprintf(path, sizeof(path), "%s/%s", getenv("GENEVA_SHARED") ?
		 getenv("GENEVA_SHARED") : "../shared", rel);
	if (gv_read_file(path, 64 * 1024 * 1024, &data, len_r, &trunc, &err) <= 0)
		fail_msg("%s: %s", path, err);
	return data;
}

static const char eicar[] =
	"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

#endif
