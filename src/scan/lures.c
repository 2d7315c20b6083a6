/*
 * Credential-lure language, matched in one pass with Hyperscan over the
 * subject and the visible text. The pattern file (rules/lures.txt) is the
 * project's own and editable: "SCORE ID REGEX" per line, case-insensitive.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan-private.h"

int scan_lures_load(struct scan_lures *l, const char *path,
		    const char **error_r)
{
	static __thread char err[512];
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		*error_r = err;
		return -1;
	}
	char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t cap = 0, lineno = 0;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		size_t len = strlen(p);
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			p[--len] = '\0';
		if (len == 0 || *p == '#')
			continue;
		char *end;
		long score = strtol(p, &end, 10);
		char id[128];
		int n = 0;
		if (end == p || sscanf(end, " %127s %n", id, &n) != 1 || n == 0) {
			snprintf(err, sizeof(err), "%s:%zu: expected SCORE ID REGEX",
				 path, lineno);
			fclose(f);
			goto fail;
		}
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			exprs = gv_realloc(exprs, cap * sizeof(char *));
			flags = gv_realloc(flags, cap * sizeof(unsigned));
			ids = gv_realloc(ids, cap * sizeof(unsigned));
			l->ids = gv_realloc(l->ids, cap * sizeof(char *));
			l->scores = gv_realloc(l->scores, cap * sizeof(int));
		}
		exprs[l->n] = gv_strdup(end + n);
		flags[l->n] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH |
			      HS_FLAG_UTF8; /* no UCP: Unicode \\w tables make
					      the database huge and slow */
		ids[l->n] = (unsigned)l->n;
		l->ids[l->n] = gv_strdup(id);
		l->scores[l->n] = (int)score;
		l->n++;
	}
	fclose(f);
	if (l->n == 0) {
		snprintf(err, sizeof(err), "%s: no patterns", path);
		goto fail;
	}
	hs_compile_error_t *cerr = NULL;
	if (hs_compile_multi((const char *const *)exprs, flags, ids,
			     (unsigned)l->n, HS_MODE_BLOCK, NULL, &l->db,
			     &cerr) != HS_SUCCESS) {
		snprintf(err, sizeof(err), "%s: pattern %d (%s): %s", path,
			 cerr->expression,
			 cerr->expression >= 0 ? l->ids[cerr->expression] : "?",
			 cerr->message);
		hs_free_compile_error(cerr);
		goto fail;
	}
	if (hs_alloc_scratch(l->db, &l->scratch) != HS_SUCCESS) {
		snprintf(err, sizeof(err), "%s: cannot allocate scratch", path);
		goto fail;
	}
	for (size_t i = 0; i < l->n; i++)
		gv_free(exprs[i]);
	gv_free(exprs);
	gv_free(flags);
	gv_free(ids);
	return 1;
fail:
	for (size_t i = 0; i < l->n; i++)
		gv_free(exprs[i]);
	gv_free(exprs);
	gv_free(flags);
	gv_free(ids);
	*error_r = err;
	return -1;
}

void scan_lures_free(struct scan_lures *l)
{
	if (l->scratch)
		hs_free_scratch(l->scratch);
	if (l->db)
		hs_free_database(l->db);
	for (size_t i = 0; i < l->n; i++)
		gv_free(l->ids[i]);
	gv_free(l->ids);
	gv_free(l->scores);
	memset(l, 0, sizeof(*l));
}

/* Lure findings together never weigh more than this: wording alone must
 * not quarantine a message, it only adds to other evidence. */
#define LURE_CAP 45

struct hits {
	unsigned char seen[4096];
	struct scan_ctx *ctx;
	const char *where;
	int total;
};

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *arg)
{
	(void)from;
	(void)to;
	(void)flags;
	struct hits *h = arg;
	if (id < sizeof(h->seen) * 8 && !(h->seen[id / 8] & (1u << (id % 8)))) {
		h->seen[id / 8] |= (unsigned char)(1u << (id % 8));
		const struct scan_lures *l = &h->ctx->engine->lures;
		int score = l->scores[id];
		if (score > LURE_CAP - h->total)
			score = LURE_CAP - h->total;
		h->total += score;
		scan_add(h->ctx, "lure", l->ids[id], score, "",
			 "lure language in %s", h->where);
	}
	return 0;
}

void scan_an_lures(struct scan_ctx *ctx)
{
	const struct scan_lures *l = &ctx->engine->lures;
	if (l->db == NULL)
		return;
	struct hits h = { .ctx = ctx };
	/* Hyperscan needs valid UTF-8 in UTF8 mode: the mail module only
	 * hands out valid UTF-8 (and the subject/visible text folded here
	 * stays valid). Subject and body are scanned as one text so a
	 * pattern counts once. */
	h.where = "subject/body";
	struct gv_buf all;
	gv_buf_init(&all, (8u << 20));
	gv_buf_append(&all, ctx->subject_folded, strlen(ctx->subject_folded));
	gv_buf_putc(&all, '\n');
	gv_buf_append(&all, ctx->body_folded, strlen(ctx->body_folded));
	if (all.len > 0 && all.len < UINT32_MAX)
		hs_scan(l->db, (const char *)all.data, (unsigned)all.len, 0,
			l->scratch, on_match, &h);
	gv_buf_free(&all);
}
