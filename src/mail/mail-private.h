/* Internals shared by the mail module's files. */
#ifndef GV_MAIL_PRIVATE_H
#define GV_MAIL_PRIVATE_H

#include "mail/mail.h"

/* Pool-backed growable array of fixed-size elements (grows by doubling). */
void *gv_mail_grow(struct gv_pool *pool, void *arr, size_t elem, size_t *cap,
		   size_t need);

#include <gmime/gmime.h>

/* State of one parse: the message being filled and the limits' counters. */
struct walk {
	struct gv_pool *pool;
	struct gv_mail_message *msg;
	const struct gv_mail_limits *lim;
	size_t parts_cap, anom_cap, urls_cap;
	size_t decoded_total;
	bool parts_limit_hit, depth_limit_hit, decoded_limit_hit, time_hit;
	const char *boundaries[64];
	size_t n_boundaries;
	const char *cur_part; /* for GMime warnings */
};

/* Copies and lowercases s into the pool (NULL stays NULL). */
const char *mail_pool_lower(struct gv_pool *pool, const char *s);
/* Copies s[0..len) into the pool as valid UTF-8 ("" for NULL). */
const char *mail_pool_utf8(struct gv_pool *pool, const char *s, size_t len);
/* True (and an anomaly, once) when the time budget is spent. */
bool mail_deadline_passed(struct walk *w);
/* Walks the GMime tree below obj into w->msg->parts (walk.c). */
void mail_walk(struct walk *w, GMimeObject *obj, const char *path, int depth);
/* Checks the raw header block of data[0..len) against the limits. */
void mail_check_header_block(struct walk *w, const unsigned char *data,
			     size_t len, const char *part);


/* True when s is an ICANN public suffix (e.g. "com", "co.uk"). */
bool mail_is_public_suffix(const char *s);

/* Extracts the URLs of all text parts into msg->urls (urls-of-message.c). */
void mail_collect_urls(struct walk *w);

#endif
