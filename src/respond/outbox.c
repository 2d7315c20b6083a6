/*
 * Durable outbox. spool_dir/
 *   outbox/<id>.<sink>.json  pending delivery: {"id","sink","rcpt",
 *                            "payload","created_ms","attempts","next_ms"}
 *   sent/<id>.<sink>         delivered (empty marker; pruned after 30 days)
 *   dead/<id>.<sink>.json    given up after retry_max_age (kept for people)
 * Every write is atomic (temp file + rename), so a crash leaves either the
 * old or the new entry. Delivery order: deliver, write the sent marker,
 * remove the outbox entry — a crash between the first two steps resends
 * with the same id (the receiver's Idempotency-Key check drops it); a
 * crash after the marker never resends. Retries back off exponentially:
 * retry_base_ms * 2^attempts, capped at retry_max_ms.
 */
#include "respond/respond-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ENTRY_MAX (4u << 20)
#define SENT_RETENTION_S (30 * 86400)

int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = gv_malloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* Removes sent markers older than SENT_RETENTION_S (once per process). */
static void prune_sent(struct gv_alerts *a)
{
	DIR *d = opendir(a->sent);
	if (d == NULL)
		return;
	time_t limit = time(NULL) - SENT_RETENTION_S;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    st.st_mtime < limit)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

int outbox_dirs(struct gv_alerts *a, const char **error_r)
{
	if (a->dirs_ok)
		return 0;
	if (mkdir_p(a->outbox) < 0 || mkdir_p(a->sent) < 0 ||
	    mkdir_p(a->dead) < 0) {
		*error_r = "cannot create the alert spool directories";
		gv_log(GV_LOG_ERROR, "alert: spool=%s error=\"%s\"",
		       a->cfg.spool_dir, strerror(errno));
		return -1;
	}
	a->dirs_ok = true;
	prune_sent(a);
	return 0;
}

static void entry_name(char *out, size_t cap, const char *dir, const char *id,
		       const char *sink, const char *ext)
{
	snprintf(out, cap, "%s/%s.%s%s", dir, id, sink, ext);
}

bool outbox_known(struct gv_alerts *a, const char *id, const char *sink)
{
	char p[4096];
	entry_name(p, sizeof(p), a->sent, id, sink, "");
	if (access(p, F_OK) == 0)
		return true;
	entry_name(p, sizeof(p), a->outbox, id, sink, ".json");
	if (access(p, F_OK) == 0)
		return true;
	entry_name(p, sizeof(p), a->dead, id, sink, ".json");
	return access(p, F_OK) == 0;
}

int outbox_mark_sent(struct gv_alerts *a, const char *id, const char *sink)
{
	const char *err;
	if (outbox_dirs(a, &err) < 0)
		return -1;
	char p[4096];
	entry_name(p, sizeof(p), a->sent, id, sink, "");
	return gv_write_file_atomic(p, "", 0, 0600, &err);
}

static int write_entry(const char *path, json_t *e, const char **error_r)
{
	char *text = json_dumps(e, JSON_COMPACT);
	gv_assert(text != NULL);
	int r = gv_write_file_atomic(path, text, strlen(text), 0600, error_r);
	free(text);
	return r;
}

int outbox_enqueue(struct gv_alerts *a, const char *id, const char *sink,
		   const char *rcpt, const char *payload, const char **error_r)
{
	if (outbox_dirs(a, error_r) < 0)
		return -1;
	if (outbox_known(a, id, sink))
		return 0;
	char p[4096];
	entry_name(p, sizeof(p), a->outbox, id, sink, ".json");
	int64_t now = wall_ms();
	char *text = alert_utf8_fix(payload);
	json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:I}", "id", id,
			      "sink", sink, "rcpt", rcpt, "payload", text,
			      "created_ms", (json_int_t)now, "attempts", 0,
			      "next_ms", (json_int_t)now);
	gv_free(text);
	if (e == NULL) {
		*error_r = "alert text is not valid UTF-8";
		return -1;
	}
	int r = write_entry(p, e, error_r);
	json_decref(e);
	return r < 0 ? -1 : 1;
}

static int deliver(struct gv_alerts *a, const char *id, const char *sink,
		   const char *rcpt, const char *payload)
{
	if (strcmp(sink, "webhook") == 0)
		return sink_webhook(a, id, payload);
	if (strcmp(sink, "team") == 0 || strcmp(sink, "user") == 0)
		return sink_mail(a, id, rcpt, payload);
	gv_log(GV_LOG_ERROR, "alert: id=%s unknown sink=%s", id, sink);
	return -1;
}

static bool outbox_known_sent(struct gv_alerts *a, const char *id,
			      const char *sink)
{
	char p[4096];
	entry_name(p, sizeof(p), a->sent, id, sink, "");
	return access(p, F_OK) == 0;
}

/* One outbox entry. Returns 1 delivered or dead, 0 still pending (with
 * *next_r its next try), -1 unreadable. */
/* Sinks that failed in the current flush pass: their other entries wait
 * for the next pass instead of each paying the same timeout (a receiver
 * that hangs must not stall the caller for minutes). */
struct pass {
	char failed[4][16];
	size_t n_failed;
};

static bool pass_failed(const struct pass *ps, const char *sink)
{
	for (size_t i = 0; i < ps->n_failed; i++)
		if (strcmp(ps->failed[i], sink) == 0)
			return true;
	return false;
}

static int process(struct gv_alerts *a, const char *name, int64_t now,
		   struct pass *ps, int64_t *next_r)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", a->outbox, name);
	json_error_t jerr;
	json_t *e = json_load_file(p, 0, &jerr);
	const char *id = json_string_value(json_object_get(e, "id"));
	const char *sink = json_string_value(json_object_get(e, "sink"));
	const char *rcpt = json_string_value(json_object_get(e, "rcpt"));
	const char *payload = json_string_value(json_object_get(e, "payload"));
	if (!id || !sink || !rcpt || !payload ||
	    strlen(id) != ALERT_ID_LEN || strchr(sink, '/')) {
		gv_log(GV_LOG_ERROR, "alert: outbox=%s unreadable entry", p);
		json_decref(e);
		return -1;
	}
	int64_t next = json_integer_value(json_object_get(e, "next_ms"));
	if (next > now || pass_failed(ps, sink)) {
		*next_r = next > now ? next : now + a->cfg.retry_base_ms;
		json_decref(e);
		return 0;
	}
	const char *err;
	int r = 1;
	if (outbox_known_sent(a, id, sink) ||
	    deliver(a, id, sink, rcpt, payload) > 0) {
		outbox_mark_sent(a, id, sink);
		unlink(p);
		a->st.delivered++;
		gv_log(GV_LOG_INFO, "alert: id=%s sink=%s delivered", id, sink);
	} else if (now - json_integer_value(json_object_get(e, "created_ms")) >
		   (int64_t)a->cfg.retry_max_age * 1000) {
		char d[4096];
		entry_name(d, sizeof(d), a->dead, id, sink, ".json");
		rename(p, d);
		a->st.dead++;
		gv_log(GV_LOG_ERROR, "alert: id=%s sink=%s undeliverable, "
		       "moved to %s", id, sink, d);
	} else {
		json_int_t n = json_integer_value(json_object_get(e,
							"attempts")) + 1;
		int64_t delay = a->cfg.retry_base_ms;
		for (json_int_t i = 1; i < n && delay < a->cfg.retry_max_ms; i++)
			delay *= 2;
		if (delay > a->cfg.retry_max_ms)
			delay = a->cfg.retry_max_ms;
		json_object_set_new(e, "attempts", json_integer(n));
		json_object_set_new(e, "next_ms", json_integer(now + delay));
		if (write_entry(p, e, &err) < 0)
			gv_log(GV_LOG_ERROR, "alert: outbox=%s error=\"%s\"",
			       p, err);
		a->st.attempts_failed++;
		if (ps->n_failed < GV_ARRAY_LEN(ps->failed))
			snprintf(ps->failed[ps->n_failed++], sizeof(ps->failed[0]),
				 "%s", sink);
		*next_r = now + delay;
		r = 0;
	}
	json_decref(e);
	return r;
}

int gv_alerts_flush(struct gv_alerts *a, uint32_t wait_ms)
{
	const char *err;
	if (outbox_dirs(a, &err) < 0)
		return -1;
	int64_t deadline = wall_ms() + wait_ms;
	for (;;) {
		DIR *d = opendir(a->outbox);
		if (d == NULL)
			return -1;
		int pending = 0;
		int64_t now = wall_ms(), soonest = INT64_MAX;
		struct pass ps = { .n_failed = 0 };
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);
			if (de->d_name[0] == '.' || n < 6 ||
			    strcmp(de->d_name + n - 5, ".json") != 0)
				continue;
			int64_t next = now;
			if (process(a, de->d_name, now, &ps, &next) == 0) {
				pending++;
				if (next < soonest)
					soonest = next;
			}
		}
		closedir(d);
		now = wall_ms();
		if (pending == 0 || now >= deadline)
			return pending;
		int64_t sleep_ms = (soonest < deadline ? soonest : deadline) -
				   now;
		if (sleep_ms > 0) {
			struct timespec ts = { sleep_ms / 1000,
					       (sleep_ms % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
}
