/* Attachment analyzer: hands every attachment (and every non-text leaf) to
 * the files module, which types it, opens archives and documents, runs YARA
 * and hashes what it finds; its findings and file list join the result. */
#include <string.h>

#include "scan/scan-private.h"

struct sink_ctx {
	struct scan_ctx *ctx;
	const char *part;
};

static void on_finding(void *c, const struct gv_files_finding *f)
{
	struct sink_ctx *s = c;
	scan_add(s->ctx, "file", f->rule, f->score, s->part, "%s%s%s",
		 f->path ? f->path : "", f->evidence ? ": " : "",
		 f->evidence ? f->evidence : "");
}

static void on_item(void *c, const struct gv_files_item *it)
{
	struct sink_ctx *s = c;
	struct gv_scan_result *r = s->ctx->result;
	if (r->n_files >= 4096)
		return;
	if (r->n_files == s->ctx->files_cap) {
		size_t cap = s->ctx->files_cap ? s->ctx->files_cap * 2 : 8;
		struct gv_scan_file *n = gv_palloc(s->ctx->pool, cap * sizeof(*n));
		if (r->n_files)
			memcpy(n, r->files, r->n_files * sizeof(*n));
		r->files = n;
		s->ctx->files_cap = cap;
	}
	struct gv_scan_file *f = &r->files[r->n_files++];
	f->part = s->part;
	f->path = gv_pstrdup(s->ctx->pool, it->path ? it->path : "");
	f->true_type = gv_pstrdup(s->ctx->pool, it->true_type ? it->true_type : "");
	f->size = it->size;
	memcpy(f->sha256, it->sha256, sizeof(f->sha256));
	memcpy(f->md5, it->md5, sizeof(f->md5));
	f->depth = it->depth;
}

void scan_an_attachments(struct scan_ctx *ctx)
{
	struct gv_files_engine *fe = ctx->engine->files;
	if (fe == NULL)
		return;
	const struct gv_mail_message *m = ctx->msg;
	for (size_t i = 0; i < m->n_parts && !scan_time_up(ctx); i++) {
		const struct gv_mail_part *p = &m->parts[i];
		if (p->is_multipart || p->is_message || p->is_text ||
		    p->body == NULL || p->body_len == 0)
			continue;
		struct sink_ctx sc = { .ctx = ctx, .part = p->path };
		struct gv_files_sink sink = { .ctx = &sc, .finding = on_finding,
					      .item = on_item };
		uint64_t now = gv_now_us();
		uint64_t left_ms = m->deadline_us > now
					   ? (m->deadline_us - now) / 1000 : 1;
		struct gv_files_limits lim = { .time_budget_ms = left_ms ? left_ms : 1 };
		const char *name = p->filename ? p->filename : "";
		if (gv_files_inspect(fe, ctx->pool, p->body, p->body_len, name,
				     p->content_type, ctx->body_text,
				     ctx->body_text_len, &lim, &sink) < 0)
			scan_add(ctx, "file", "file.error", 60, p->path,
				 "attachment could not be inspected");
	}
}
