/* libFuzzer target: Dovecot log lines through the parser and the whole
 * detector (sessions, baselines, windows). The input is split on '\n';
 * the first line is also parsed alone with a small max_line so the limit
 * paths run too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "watch/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_finding(void *ctx, const struct gv_watch_finding *f)
{
	size_t *n = ctx;
	/* touch every string the finding hands out */
	*n += strlen(f->user) + strlen(f->session) + strlen(f->rip) +
	      strlen(f->client) + strlen(f->mailbox) + strlen(f->dedup_key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gv_watch_event ev;
	struct gv_watch_limits small = { .max_line = 128, .json_depth = 3 };
	gv_watch_parse_line(data, size, &small, 1795651200, &ev);

	size_t n = 0;
	struct gv_watch_config cfg = { .min_messages = 2, .bulk_messages = 3,
				       .limits = { .max_sessions = 64,
						   .max_users = 16 } };
	struct gv_watch *w = gv_watch_new(&cfg, on_finding, &n);
	gv_watch_set_ref_time(w, 1795651200);
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		gv_watch_feed_line(w, p, len);
		p += len + (nl ? 1 : 0);
	}
	gv_watch_free(&w);
	return 0;
}
