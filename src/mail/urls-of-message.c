/* Collects the URLs of every text part of a parsed message (and of the
 * Subject, where lures sometimes put them) into msg->urls. */
#include <string.h>

#include "mail/mail-private.h"

void mail_collect_urls(struct walk *w)
{
	struct gv_mail_message *msg = w->msg;
	struct gv_url_limits ul = { .max_urls = w->lim->max_urls,
				    .max_input = w->lim->max_text_bytes };
	bool cut = false;
	for (size_t i = 0; i < msg->n_parts && !cut; i++) {
		struct gv_mail_part *p = &msg->parts[i];
		if (p->text == NULL)
			continue;
		if (mail_deadline_passed(w))
			return;
		gv_url_extract(w->pool, p->text, p->text_len, p->is_html,
			       p->path, &ul, &msg->urls, &msg->n_urls,
			       &w->urls_cap, &cut);
	}
	if (!cut && msg->subject && *msg->subject)
		gv_url_extract(w->pool, msg->subject, strlen(msg->subject),
			       false, "", &ul, &msg->urls, &msg->n_urls,
			       &w->urls_cap, &cut);
	if (cut)
		gv_mail_add_anomaly(w->pool, msg, "limit.urls", "",
				    "more than %zu URLs; the rest not analysed",
				    w->lim->max_urls);
}
