/* HTML analyzer: credential forms and login pages inside a message, forms
 * posting elsewhere, scripts, meta refresh. Mail clients do not need any of
 * these to show a message; phishing kits do. */
#include <string.h>

#include "scan/scan-private.h"

void scan_an_html(struct scan_ctx *ctx)
{
	const struct gv_mail_message *m = ctx->msg;
	bool pw = false, form = false, script = false, refresh = false;
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct gv_mail_part *p = &m->parts[i];
		if (!p->is_html || p->text == NULL)
			continue;
		const char *pos = p->text, *end = p->text + p->text_len;
		struct gv_html_tag t;
		while (gv_html_next_tag(&pos, end, &t) == 1) {
			if (t.closing)
				continue;
			const char *v;
			size_t vl;
			if (!pw && gv_html_tag_is(&t, "input") &&
			    gv_html_attr(&t, "type", &v, &vl) == 1 && vl == 8 &&
			    gv_mem_has_prefix_ci(v, vl, "password")) {
				pw = true;
				scan_add(ctx, "html", "phish.password_form", 45,
					 p->path, "asks for a password inside the message");
			} else if (!form && gv_html_tag_is(&t, "form")) {
				form = true;
				scan_add(ctx, "html", "phish.form", 25, p->path,
					 "HTML form in the message body");
			} else if (!script && gv_html_tag_is(&t, "script")) {
				script = true;
				scan_add(ctx, "html", "html.script", 15, p->path,
					 "script in the message body");
			} else if (!refresh && gv_html_tag_is(&t, "meta") &&
				   gv_html_attr(&t, "http-equiv", &v, &vl) == 1 &&
				   gv_mem_has_prefix_ci(v, vl, "refresh")) {
				refresh = true;
				scan_add(ctx, "html", "html.refresh", 20, p->path,
					 "meta refresh redirects the reader");
			}
		}
	}
}
