/*
 * State file: the read position of every followed log, the user baselines
 * and the open sessions (with the findings they already raised), as one
 * JSON document written atomically. Position and model are saved together,
 * so after a restart the lines after the position are replayed into the
 * model exactly as it was: nothing is missed and a finding already raised
 * is not raised again (its session remembers it). Written by the follower
 * loop, not on the per-line path, so jansson's cost does not matter here.
 */
#include "watch/watch-private.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAX (256u << 20)

static json_t *str_list(const char *base, size_t n, size_t stride)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(base + i * stride));
	return a;
}

static json_t *user_json(const struct wuser *u)
{
	json_t *boxes = json_array();
	for (size_t i = 0; i < WATCH_MAX_BOXES; i++)
		if (u->boxes[i].name[0])
			json_array_append_new(boxes, json_pack("[sI]",
				u->boxes[i].name, (json_int_t)u->boxes[i].size));
	json_t *hours = json_array();
	for (size_t i = 0; i < 24; i++)
		json_array_append_new(hours, json_integer(u->hours[i]));
	return json_pack("{s:s%,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:b,"
			 "s:I,s:o,s:o,s:I,s:o,s:I,s:o,s:I}",
		"name", u->k.key, u->k.len, "mean_msgs", u->mean_msgs,
		"mean_bytes", u->mean_bytes, "mean_day", u->mean_day,
		"sessions", (json_int_t)u->sessions, "days", (json_int_t)u->days,
		"day", (json_int_t)u->day, "day_msgs", (json_int_t)u->day_msgs,
		"win_start", (json_int_t)u->win_start,
		"win_msgs", (json_int_t)u->win_msgs,
		"win_alerted", u->win_alerted,
		"total_size", (json_int_t)u->total_size, "boxes", boxes,
		"ips", str_list(&u->ips[0][0], WATCH_MAX_IPS, WATCH_IP_LEN),
		"ip_next", (json_int_t)u->ip_next,
		"clients", str_list(&u->clients[0][0], WATCH_MAX_CLIENTS,
				    WATCH_CLIENT_LEN),
		"client_next", (json_int_t)u->client_next, "hours", hours,
		"last_seen", (json_int_t)u->last_seen);
}

static json_t *session_json(const struct wsession *s)
{
	return json_pack("{s:s%,s:s%,s:s,s:s,s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,"
			 "s:I,s:I,s:I,s:I,s:b,s:b,s:b,s:I,s:I}",
		"key", s->k.key, s->k.len, "user", s->user->k.key,
		s->user->k.len, "rip", s->rip, "client", s->client,
		"service", s->service, "mailbox", s->mailbox,
		"multi_box", s->multi_box, "start", (json_int_t)s->start,
		"last", (json_int_t)s->last,
		"fetch_msgs", (json_int_t)s->fetch_msgs,
		"fetch_bytes", (json_int_t)s->fetch_bytes,
		"body_count", (json_int_t)s->body_count,
		"body_bytes", (json_int_t)s->body_bytes,
		"copy_cmd", (json_int_t)s->copy_cmd,
		"copy_log", (json_int_t)s->copy_log,
		"copy_bytes", (json_int_t)s->copy_bytes,
		"fetch_whole", s->fetch_whole, "copy_whole", s->copy_whole,
		"cmd_events", s->cmd_events,
		"alerted", (json_int_t)s->alerted,
		"counted", (json_int_t)s->counted);
}

int gv_watch_state_save(struct gv_watch *w, const char *path,
			const char **error_r)
{
	json_t *files = json_array(), *users = json_array(),
	       *sessions = json_array();
	for (size_t i = 0; i < w->n_files; i++) {
		const struct wfile *f = &w->files[i];
		char hex[2 * WATCH_TAIL_LEN + 1];
		for (size_t k = 0; k < f->tail_len; k++)
			snprintf(hex + 2 * k, 3, "%02x", f->tail[k]);
		hex[2 * f->tail_len] = '\0';
		json_array_append_new(files, json_pack("{s:s,s:I,s:I,s:I,s:s}",
			"path", f->path, "dev", (json_int_t)f->dev,
			"ino", (json_int_t)f->ino, "off", (json_int_t)f->off,
			"tail", hex));
	}
	for (size_t i = 0; i < w->users.cap; i++)
		if (w->users.slots[i])
			json_array_append_new(users,
				user_json((struct wuser *)w->users.slots[i]));
	for (size_t i = 0; i < w->sessions.cap; i++)
		if (w->sessions.slots[i])
			json_array_append_new(sessions, session_json(
				(struct wsession *)w->sessions.slots[i]));
	json_t *root = json_pack("{s:i,s:I,s:I,s:o,s:o,s:o}", "version", 1,
				 "log_time", (json_int_t)w->log_time,
				 "last_sweep", (json_int_t)w->last_sweep,
				 "files", files, "users", users,
				 "sessions", sessions);
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (text == NULL) {
		*error_r = "cannot serialize state";
		return -1;
	}
	int r = gv_write_file_atomic(path, text, strlen(text), 0600, error_r);
	free(text);
	if (r > 0)
		w->dirty = false;
	return r;
}

static void copy_list(json_t *a, char *base, size_t n, size_t stride)
{
	for (size_t i = 0; i < n && i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (s)
			watch_copy_str(base + i * stride, stride, s, strlen(s));
	}
}

static int load_user(struct gv_watch *w, json_t *j)
{
	json_t *name = json_object_get(j, "name");
	if (!json_is_string(name))
		return -1;
	struct wuser *u = watch_user_get(w, json_string_value(name),
					 json_string_length(name), true);
	if (u == NULL)
		return -1;
#define I(k) json_integer_value(json_object_get(j, k))
	u->mean_msgs = json_number_value(json_object_get(j, "mean_msgs"));
	u->mean_bytes = json_number_value(json_object_get(j, "mean_bytes"));
	u->mean_day = json_number_value(json_object_get(j, "mean_day"));
	u->sessions = (uint32_t)I("sessions");
	u->days = (uint32_t)I("days");
	u->day = I("day");
	u->day_msgs = (uint64_t)I("day_msgs");
	u->win_start = I("win_start");
	u->win_msgs = (uint64_t)I("win_msgs");
	u->win_alerted = json_is_true(json_object_get(j, "win_alerted"));
	u->total_size = (uint64_t)I("total_size");
	u->ip_next = (unsigned)I("ip_next") % WATCH_MAX_IPS;
	u->client_next = (unsigned)I("client_next") % WATCH_MAX_CLIENTS;
	u->last_seen = I("last_seen");
	json_t *boxes = json_object_get(j, "boxes"), *b;
	size_t i;
	json_array_foreach(boxes, i, b) {
		const char *bn = json_string_value(json_array_get(b, 0));
		if (i >= WATCH_MAX_BOXES || bn == NULL)
			break;
		watch_copy_str(u->boxes[i].name, WATCH_BOX_LEN, bn, strlen(bn));
		u->boxes[i].size = (uint64_t)json_integer_value(
			json_array_get(b, 1));
	}
	copy_list(json_object_get(j, "ips"), &u->ips[0][0], WATCH_MAX_IPS,
		  WATCH_IP_LEN);
	copy_list(json_object_get(j, "clients"), &u->clients[0][0],
		  WATCH_MAX_CLIENTS, WATCH_CLIENT_LEN);
	json_t *hours = json_object_get(j, "hours");
	for (i = 0; i < 24 && i < json_array_size(hours); i++)
		u->hours[i] = (uint32_t)json_integer_value(
			json_array_get(hours, i));
	return 0;
}

#define SCOPY(dst, k) do { \
	const char *v_ = json_string_value(json_object_get(j, k)); \
	if (v_) watch_copy_str(dst, sizeof(dst), v_, strlen(v_)); \
} while (0)

static int load_session(struct gv_watch *w, json_t *j)
{
	json_t *key = json_object_get(j, "key"), *user = json_object_get(j, "user");
	if (!json_is_string(key) || !json_is_string(user))
		return -1;
	struct wuser *u = watch_user_get(w, json_string_value(user),
					 json_string_length(user), true);
	if (u == NULL)
		return -1;
	struct wsession *s = watch_session_new(w, json_string_value(key),
					       json_string_length(key), u);
	if (s == NULL)
		return -1;
	SCOPY(s->rip, "rip");
	SCOPY(s->client, "client");
	SCOPY(s->service, "service");
	SCOPY(s->mailbox, "mailbox");
	s->multi_box = json_is_true(json_object_get(j, "multi_box"));
	s->start = I("start");
	s->last = I("last");
	s->fetch_msgs = (uint64_t)I("fetch_msgs");
	s->fetch_bytes = (uint64_t)I("fetch_bytes");
	s->body_count = (uint64_t)I("body_count");
	s->body_bytes = (uint64_t)I("body_bytes");
	s->copy_cmd = (uint64_t)I("copy_cmd");
	s->copy_log = (uint64_t)I("copy_log");
	s->copy_bytes = (uint64_t)I("copy_bytes");
	s->fetch_whole = json_is_true(json_object_get(j, "fetch_whole"));
	s->copy_whole = json_is_true(json_object_get(j, "copy_whole"));
	s->cmd_events = json_is_true(json_object_get(j, "cmd_events"));
	s->alerted = (unsigned)I("alerted");
	s->counted = (uint64_t)I("counted");
	return 0;
}

static void load_file(struct gv_watch *w, json_t *j)
{
	const char *path = json_string_value(json_object_get(j, "path"));
	if (path == NULL)
		return;
	w->saved = gv_realloc(w->saved, gv_mul_size(w->n_saved + 1,
						    sizeof(*w->saved)));
	struct wfile *f = &w->saved[w->n_saved++];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = gv_strdup(path);
	f->dev = (dev_t)I("dev");
	f->ino = (ino_t)I("ino");
	f->off = (off_t)I("off");
	f->have_saved = true;
	const char *hex = json_string_value(json_object_get(j, "tail"));
	size_t hl = hex ? strlen(hex) : 0;
	if (hl % 2 == 0 && hl / 2 <= WATCH_TAIL_LEN) {
		for (size_t k = 0; k < hl / 2; k++) {
			unsigned v;
			if (sscanf(hex + 2 * k, "%2x", &v) != 1) {
				hl = 0;
				break;
			}
			f->tail[k] = (unsigned char)v;
		}
		f->tail_len = hl / 2;
	}
	for (size_t i = 0; i < w->n_files; i++) {
		struct wfile *g = &w->files[i];
		if (strcmp(g->path, path) == 0 && g->fd < 0) {
			g->dev = f->dev;
			g->ino = f->ino;
			g->off = f->off;
			g->have_saved = true;
			memcpy(g->tail, f->tail, sizeof(g->tail));
			g->tail_len = f->tail_len;
		}
	}
}

int gv_watch_state_load(struct gv_watch *w, const char *path,
			const char **error_r)
{
	unsigned char *data;
	size_t len;
	bool trunc;
	const char *err;
	if (gv_read_file(path, STATE_MAX, &data, &len, &trunc, &err) < 0) {
		if (access(path, F_OK) != 0)
			return 0;
		*error_r = err;
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, len, 0, &jerr);
	gv_free(data);
	if (root == NULL || trunc ||
	    json_integer_value(json_object_get(root, "version")) != 1) {
		json_decref(root);
		*error_r = "state file is not a geneva watch state (version 1)";
		return -1;
	}
	json_t *j = root, *e;
	size_t i;
	w->log_time = I("log_time");
	w->last_sweep = I("last_sweep");
	json_array_foreach(json_object_get(root, "files"), i, e)
		load_file(w, e);
	json_array_foreach(json_object_get(root, "users"), i, e)
		load_user(w, e);
	json_array_foreach(json_object_get(root, "sessions"), i, e)
		load_session(w, e);
	json_decref(root);
	w->dirty = false;
	return 1;
}
