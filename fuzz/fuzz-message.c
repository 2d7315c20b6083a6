/* libFuzzer target: the message entry point (MIME parse, decoding, URL
 * extraction) with small limits so deep and wide inputs hit them. */
#include <stddef.h>
#include <stdint.h>

#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gv_mail_limits lim = { .max_parts = 64, .max_depth = 8,
				      .max_urls = 64, .max_text_bytes = 65536,
				      .max_header_bytes = 16384, .max_headers = 128 };
	struct gv_pool *pool = gv_pool_new(16384);
	struct gv_mail_message *m;
	const char *err;
	if (gv_mail_parse(pool, data, size, &lim, &m, &err) == 1) {
		for (size_t i = 0; i < m->n_parts; i++)
			gv_assert(m->parts[i].depth <= 8 + 1);
		gv_assert(m->n_urls <= 64);
		gv_assert(m->n_parts <= 64);
	}
	gv_pool_free(&pool);
	return 0;
}
