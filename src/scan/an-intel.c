/* Indicator analyzer: asks the caller's threat-intel hook about every URL,
 * host, registrable domain, sender address, relay IP and file hash. */
#include <string.h>

#include "scan/scan-private.h"

static void ask(struct scan_ctx *ctx, const char *kind, const char *value,
		const char *part)
{
	const struct gv_scan_intel *in = &ctx->engine->intel;
	const char *what = NULL;
	int score = 0;
	if (value == NULL || *value == '\0')
		return;
	if (in->lookup(in->ctx, ctx->pool, kind, value, &what, &score) == 1)
		scan_add(ctx, "intel", gv_psprintf(ctx->pool, "intel.%s", kind),
			 score > 0 ? score : 80, part, "%s %.200s matches %s",
			 kind, value, what ? what : "an indicator");
}

void scan_an_intel(struct scan_ctx *ctx)
{
	if (ctx->engine->intel.lookup == NULL)
		return;
	const struct gv_mail_message *m = ctx->msg;
	for (size_t i = 0; i < m->n_urls && !scan_time_up(ctx); i++) {
		const struct gv_mail_url *u = &m->urls[i];
		ask(ctx, "url", u->url, u->part);
		ask(ctx, (u->flags & GV_URL_F_IP) ? "ip" : "domain", u->host, u->part);
		if (strcmp(u->host, u->registrable) != 0)
			ask(ctx, "domain", u->registrable, u->part);
	}
	for (size_t i = 0; i < m->n_from; i++) {
		ask(ctx, "email", m->from[i].addr, "");
		ask(ctx, "domain", m->from[i].domain, "");
	}
	if (m->reply_to)
		ask(ctx, "email", m->reply_to->addr, "");
	for (size_t i = 0; i < m->n_received_ips; i++)
		ask(ctx, "ip", m->received_ips[i], "");
	if (ctx->env && ctx->env->client_ip)
		ask(ctx, "ip", ctx->env->client_ip, "");
	for (size_t i = 0; i < ctx->result->n_files; i++) {
		ask(ctx, "sha256", ctx->result->files[i].sha256,
		    ctx->result->files[i].part);
		ask(ctx, "md5", ctx->result->files[i].md5,
		    ctx->result->files[i].part);
	}
}
