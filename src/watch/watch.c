/*
 * struct gv_watch: configuration defaults, line feeding and counters.
 */
#include "watch/watch-private.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const default_ignore[] = {
	"Trash", "Junk", "Spam", "Deleted Items", "Deleted Messages",
};

struct gv_watch *gv_watch_new(const struct gv_watch_config *cfg,
			      gv_watch_finding_fn *fn, void *ctx)
{
	struct gv_watch *w = gv_calloc(1, sizeof(*w));
	if (cfg != NULL)
		w->cfg = *cfg;
	struct gv_watch_config *c = &w->cfg;
	if (c->share_threshold <= 0)
		c->share_threshold = 0.5;
	if (c->min_messages == 0)
		c->min_messages = 50;
	if (c->bulk_messages == 0)
		c->bulk_messages = 200;
	if (c->min_bytes == 0)
		c->min_bytes = 1024 * 1024;
	if (c->baseline_factor <= 0)
		c->baseline_factor = 3;
	if (c->window_seconds == 0)
		c->window_seconds = 86400;
	if (c->session_timeout == 0)
		c->session_timeout = 86400;
	if (c->work_hour_start == 0 && c->work_hour_end == 0) {
		c->work_hour_start = 7;
		c->work_hour_end = 19;
	}
	gv_watch_limits_fill(&c->limits, cfg ? &cfg->limits : NULL);
	const char *const *ign = c->ignore_copy_to;
	size_t n = c->n_ignore_copy_to;
	if (ign == NULL || n == 0) {
		ign = default_ignore;
		n = GV_ARRAY_LEN(default_ignore);
	}
	w->ignore = gv_calloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		w->ignore[i] = gv_strdup(ign[i]);
	w->n_ignore = n;
	c->ignore_copy_to = NULL;
	c->n_ignore_copy_to = 0;
	w->fn = fn;
	w->fn_ctx = ctx;
	w->ref_time = (int64_t)time(NULL);
	wtable_init(&w->users);
	wtable_init(&w->sessions);
	return w;
}

static void free_file(struct wfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	gv_free(f->path);
	gv_buf_free(&f->partial);
}

void gv_watch_free(struct gv_watch **wp)
{
	struct gv_watch *w = *wp;
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->sessions.cap; i++) {
		struct wsession *s = (struct wsession *)w->sessions.slots[i];
		if (s) {
			gv_free(s->k.key);
			gv_free(s);
		}
	}
	for (size_t i = 0; i < w->users.cap; i++) {
		struct wuser *u = (struct wuser *)w->users.slots[i];
		if (u) {
			gv_free(u->k.key);
			gv_free(u);
		}
	}
	wtable_free(&w->sessions);
	wtable_free(&w->users);
	for (size_t i = 0; i < w->n_ignore; i++)
		gv_free(w->ignore[i]);
	gv_free(w->ignore);
	for (size_t i = 0; i < w->n_files; i++)
		free_file(&w->files[i]);
	gv_free(w->files);
	for (size_t i = 0; i < w->n_saved; i++)
		free_file(&w->saved[i]);
	gv_free(w->saved);
	gv_free(w);
	*wp = NULL;
}

void gv_watch_set_ref_time(struct gv_watch *w, int64_t ref_time)
{
	w->ref_time = ref_time;
}

int gv_watch_feed_line(struct gv_watch *w, const unsigned char *line,
		       size_t len)
{
	w->st.lines++;
	w->st.bytes += len + 1;
	int r = gv_watch_parse_line(line, len, &w->cfg.limits, w->ref_time,
				    &w->ev);
	if (r < 0) {
		w->st.garbage++;
		return r;
	}
	if (r == 0) {
		size_t i = 0;
		while (i < len && (line[i] == ' ' || line[i] == '\t' ||
				   line[i] == '\r'))
			i++;
		if (i == len)
			w->st.blank++;
		else
			w->st.ignored++;
		return 0;
	}
	w->st.events++;
	if (w->last_sweep == 0)
		w->last_sweep = w->ev.time;
	if (w->ev.time - w->last_sweep > 300)
		watch_sweep(w, w->ev.time);
	w->log_time = w->ev.time;
	watch_handle_event(w, &w->ev);
	return 1;
}

void gv_watch_get_stats(const struct gv_watch *w, struct gv_watch_stats *r)
{
	*r = w->st;
	r->sessions_open = w->sessions.count;
	r->users = w->users.count;
}

bool gv_watch_state_dirty(const struct gv_watch *w)
{
	return w->dirty;
}
