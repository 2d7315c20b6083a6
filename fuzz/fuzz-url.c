/* libFuzzer target: URL extractor (HTML and text) and URL parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct gv_pool *pool = gv_pool_new(16384);
	struct gv_url_limits lim = { .max_urls = 100, .max_url_len = 1024 };
	struct gv_mail_url *urls = NULL;
	size_t n = 0, cap = 0;
	bool html = data[0] & 1;
	gv_url_extract(pool, (const char *)data + 1, size - 1, html, "1", &lim,
		       &urls, &n, &cap, NULL);
	gv_assert(n <= 100);
	for (size_t i = 0; i < n; i++)
		gv_assert(urls[i].url != NULL && urls[i].host != NULL);
	struct gv_mail_url u;
	gv_url_parse(pool, (const char *)data, size, &u);
	size_t tl;
	gv_html_to_text(pool, (const char *)data, size, &tl);
	gv_pool_free(&pool);
	return 0;
}
