/* Default limits, in one place (Postfix mail_params.h style). */
#include "mail/mail.h"
#include <string.h>
#include "mail/mail-private.h"

void gv_mail_limits_apply_defaults(struct gv_mail_limits *l)
{
	if (l->max_message_bytes == 0)
		l->max_message_bytes = 64u << 20;
	if (l->max_header_bytes == 0)
		l->max_header_bytes = 256u << 10;
	if (l->max_headers == 0)
		l->max_headers = 1000;
	if (l->max_parts == 0)
		l->max_parts = 1000;
	if (l->max_depth == 0)
		l->max_depth = 32;
	if (l->max_decoded_bytes == 0)
		l->max_decoded_bytes = 128u << 20;
	if (l->max_text_bytes == 0)
		l->max_text_bytes = 2u << 20;
	if (l->max_urls == 0)
		l->max_urls = 2000;
	if (l->time_budget_ms == 0)
		l->time_budget_ms = 10000;
}

void *gv_mail_grow(struct gv_pool *pool, void *arr, size_t elem, size_t *cap,
		   size_t need)
{
	if (need <= *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	void *n = gv_palloc(pool, gv_mul_size(ncap, elem));
	if (arr != NULL && *cap > 0)
		memcpy(n, arr, *cap * elem);
	*cap = ncap;
	return n;
}
