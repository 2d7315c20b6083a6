/* Structure analyzer: turns the parser's anomalies into findings. Limits
 * that stop analysis weigh enough to quarantine (see the policy's action
 * floors); cosmetic breakage that real mailers produce weighs little. */
#include <string.h>

#include "scan/scan-private.h"

static const struct {
	const char *code;
	int score;
} weights[] = {
	{ "limit.message_bytes", 60 }, { "limit.parts", 60 },
	{ "limit.depth", 60 }, { "limit.decoded_bytes", 60 },
	{ "limit.time", 60 }, { "limit.header_bytes", 20 },
	{ "limit.headers", 20 }, { "limit.text_bytes", 10 },
	{ "limit.urls", 15 }, { "mime.unparsable", 30 },
	{ "mime.no_boundary", 15 }, { "mime.boundary_reused", 20 },
	{ "mime.no_closing_boundary", 3 }, { "mime.bad_base64", 10 },
	{ "mime.bad_qp", 2 }, { "mime.malformed", 10 },
	{ "mime.truncated", 5 }, { "mime.empty_part", 5 },
	{ "mime.empty_multipart", 5 }, { "mime.part_without_content", 3 },
	{ "mime.unknown_charset", 5 }, { "mime.bad_content_type", 5 },
	{ "mime.no_body", 5 }, { "header.8bit", 2 },
	{ "header.bad_rfc2047", 2 }, { "header.duplicated", 3 },
	{ "header.duplicated_param", 3 }, { "header.conflicting", 10 },
	{ "header.conflicting_param", 10 }, { "header.bad_param", 2 },
	{ "header.bad_address", 3 }, { "header.bad_name", 5 },
};

static int weight_of(const char *code)
{
	for (size_t i = 0; i < GV_ARRAY_LEN(weights); i++)
		if (strcmp(weights[i].code, code) == 0)
			return weights[i].score;
	return 3;
}

void scan_an_structure(struct scan_ctx *ctx)
{
	const struct gv_mail_message *m = ctx->msg;
	for (size_t i = 0; i < m->n_anomalies; i++) {
		const struct gv_mail_anomaly *a = &m->anomalies[i];
		scan_add(ctx, "structure", a->code, weight_of(a->code), a->part,
			 "%s", a->detail);
	}
	if (m->n_headers > 0 && gv_mail_header(m, "Date") == NULL)
		scan_add(ctx, "structure", "header.no_date", 3, "",
			 "no Date header");
	if (m->n_headers > 0 && *m->message_id == '\0')
		scan_add(ctx, "structure", "header.no_message_id", 3, "",
			 "no Message-ID header");
}
