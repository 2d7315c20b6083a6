/*
 * The engine: built once (lists, lure patterns, attachment engine), then
 * gv_scan_message() parses a message and runs the analyzers in a fixed
 * order (attachments before intel, which needs their hashes) against one
 * shared deadline, and applies the policy.
 */
#include <stdio.h>
#include <string.h>

#include "scan/scan-private.h"

int gv_scan_engine_new(const struct gv_scan_config *cfg,
		       struct gv_scan_engine **engine_r, const char **error_r)
{
	struct gv_scan_engine *e = gv_calloc(1, sizeof(*e));
	if (cfg == NULL) {
		if (gv_scan_config_load(NULL, &e->owned_cfg, error_r) < 0) {
			gv_free(e);
			return -1;
		}
		cfg = e->owned_cfg;
	}
	e->cfg = cfg;
	gv_mail_init();
	char path[4096];
	snprintf(path, sizeof(path), "%s/lures.txt", cfg->rules_dir);
	if (scan_lists_load(e, error_r) < 0 ||
	    scan_lures_load(&e->lures, path, error_r) < 0 ||
	    scan_lookalike_load(e, error_r) < 0)
		goto fail;
	if (gv_files_engine_new(cfg->files, &e->files, error_r) < 0)
		goto fail;
	*engine_r = e;
	return 1;
fail:
	gv_scan_engine_free(&e);
	return -1;
}

int gv_scan_engine_load(const char *path, struct gv_scan_engine **engine_r,
			const char **error_r)
{
	struct gv_scan_config *cfg;
	if (gv_scan_config_load(path, &cfg, error_r) < 0)
		return -1;
	if (gv_scan_engine_new(cfg, engine_r, error_r) < 0) {
		gv_scan_config_free(&cfg);
		return -1;
	}
	(*engine_r)->owned_cfg = cfg;
	return 1;
}

const struct gv_scan_config *gv_scan_engine_config(const struct gv_scan_engine *e)
{
	return e->cfg;
}

void gv_scan_engine_free(struct gv_scan_engine **ep)
{
	struct gv_scan_engine *e = *ep;
	if (e == NULL)
		return;
	scan_lists_free(e);
	scan_lures_free(&e->lures);
	scan_lookalike_free(e);
	gv_files_engine_free(&e->files);
	gv_scan_config_free(&e->owned_cfg);
	gv_free(e);
	*ep = NULL;
}

void gv_scan_engine_set_intel(struct gv_scan_engine *e,
			      const struct gv_scan_intel *intel)
{
	e->intel = intel ? *intel : (struct gv_scan_intel){ 0 };
}

void gv_scan_engine_set_lookalike(struct gv_scan_engine *e,
				  const struct gv_scan_lookalike *l)
{
	e->lookalike = l ? *l : (struct gv_scan_lookalike){ 0 };
}

void gv_scan_engine_set_classifier(struct gv_scan_engine *e,
				   const struct gv_scan_classifier *c)
{
	e->classifier = c ? *c : (struct gv_scan_classifier){ 0 };
}

static void run_classifier(struct scan_ctx *ctx)
{
	const struct gv_scan_classifier *c = &ctx->engine->classifier;
	if (c->classify == NULL)
		return;
	struct gv_finding out[4];
	size_t n = c->classify(c->ctx, ctx->pool, ctx->result, out, 4);
	for (size_t i = 0; i < n && i < 4; i++)
		scan_add(ctx, "learn", out[i].rule, out[i].score, "", "%s",
			 out[i].evidence ? out[i].evidence : "");
}

void scan_note_lookalike(struct scan_ctx *ctx, const char *domain,
			 const char *brand, const char *technique, int score)
{
	struct gv_scan_result *r = ctx->result;
	for (size_t i = 0; i < r->n_lookalikes; i++)
		if (strcmp(r->lookalikes[i].domain, domain) == 0)
			return;
	if (r->n_lookalikes >= GV_SCAN_MAX_LOOKALIKES)
		return;
	if (r->lookalikes == NULL)
		r->lookalikes = gv_palloc(ctx->pool, GV_SCAN_MAX_LOOKALIKES *
							     sizeof(*r->lookalikes));
	r->lookalikes[r->n_lookalikes++] = (struct gv_scan_lookalike_hit){
		.domain = gv_pstrdup(ctx->pool, domain),
		.brand = gv_pstrdup(ctx->pool, brand),
		.technique = gv_pstrdup(ctx->pool, technique),
		.score = score,
	};
}

void scan_add(struct scan_ctx *ctx, const char *analyzer, const char *rule,
	      int score, const char *part, const char *fmt, ...)
{
	struct gv_scan_result *r = ctx->result;
	if (r->n_findings >= 512)
		return; /* bounded: the first 512 reasons explain any verdict */
	if (r->n_findings == ctx->findings_cap) {
		size_t cap = ctx->findings_cap ? ctx->findings_cap * 2 : 16;
		struct gv_finding *n = gv_palloc(ctx->pool, cap * sizeof(*n));
		if (r->n_findings)
			memcpy(n, r->findings, r->n_findings * sizeof(*n));
		r->findings = n;
		ctx->findings_cap = cap;
	}
	char ev[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev, sizeof(ev), fmt, ap);
	va_end(ap);
	/* evidence is attacker text: keep it on one printable line */
	for (char *c = ev; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	r->findings[r->n_findings++] = (struct gv_finding){
		.analyzer = analyzer,
		.rule = rule,
		.score = score,
		.evidence = gv_pstrdup(ctx->pool, ev),
		.part = part ? part : "",
	};
}

bool scan_time_up(struct scan_ctx *ctx)
{
	if (gv_now_us() <= ctx->msg->deadline_us)
		return false;
	gv_mail_add_anomaly(ctx->pool, ctx->msg, "limit.time", "",
			    "time budget spent during analysis");
	return true;
}

/* All visible text (plain parts and HTML's visible text), for the lure
 * matcher and the attachment analyzer's password search. */
static void gather_text(struct scan_ctx *ctx)
{
	const struct gv_mail_message *m = ctx->msg;
	struct gv_buf b;
	gv_buf_init(&b, m->n_parts ? ctx->engine->cfg->limits.max_text_bytes * 2
				   : 1);
	bool html_seen = false;
	for (size_t i = 0; i < m->n_parts; i++)
		html_seen |= m->parts[i].is_html && m->parts[i].visible;
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct gv_mail_part *p = &m->parts[i];
		if (!p->is_text)
			continue;
		/* in multipart/alternative the HTML and plain copies say
		 * the same; prefer HTML's visible text when there is one */
		const char *t = p->is_html ? p->visible : p->text;
		size_t tl = p->is_html ? p->visible_len : p->text_len;
		if (!p->is_html && html_seen && p->depth > 0 &&
		    strcmp(m->parts[0].content_type, "multipart/alternative") == 0)
			continue;
		if (t && (gv_buf_append(&b, t, tl) < 0 || gv_buf_putc(&b, '\n') < 0))
			break;
	}
	ctx->body_text_len = b.len;
	ctx->body_text = b.len ? gv_pstrndup(ctx->pool, (const char *)b.data, b.len)
			       : "";
	gv_buf_free(&b);
	size_t letters;
	ctx->subject_folded = scan_fold(ctx->pool, m->subject, strlen(m->subject),
					&ctx->subject_folds, &letters);
	ctx->body_folded = scan_fold(ctx->pool, ctx->body_text, ctx->body_text_len,
				     &ctx->body_folds, &letters);
}

int gv_scan_message(struct gv_scan_engine *e, struct gv_pool *pool,
		    const unsigned char *data, size_t len,
		    const struct gv_scan_envelope *env,
		    struct gv_scan_result **result_r, const char **error_r)
{
	uint64_t start = gv_now_us();
	struct gv_mail_limits lim = e->cfg->limits;
	lim.deadline_us = start + lim.time_budget_ms * 1000;
	struct scan_ctx ctx = { .engine = e, .pool = pool, .env = env };
	ctx.result = gv_palloc(pool, sizeof(*ctx.result));
	if (gv_mail_parse(pool, data, len, &lim, &ctx.msg, error_r) < 0)
		return -1;
	ctx.result->msg = ctx.msg;
	gather_text(&ctx);
	static void (*const analyzers[])(struct scan_ctx *) = {
		scan_an_urls, scan_an_html, scan_an_lures, scan_an_sender,
		scan_an_auth, scan_an_text,
		scan_an_attachments, scan_an_intel,
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(analyzers); i++) {
		if (scan_time_up(&ctx))
			break;
		analyzers[i](&ctx);
	}
	/* last, so that limits hit by any analyzer are reported */
	scan_an_structure(&ctx);
	ctx.result->text = ctx.body_text;
	ctx.result->text_len = ctx.body_text_len;
	ctx.result->subject_folded = ctx.subject_folded;
	ctx.result->text_folded = ctx.body_folded;
	run_classifier(&ctx);
	scan_policy_apply(e->cfg, ctx.result);
	ctx.result->elapsed_us = gv_now_us() - start;
	*result_r = ctx.result;
	return 1;
}
