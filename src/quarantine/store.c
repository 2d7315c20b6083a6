/*
 * The quarantine store: message files + JSON sidecars (the truth) and a
 * SQLite index (a cache). Contract and layout: quarantine.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "quarantine/quarantine-private.h"

/* An ID.eml without its sidecar younger than this may be a put in flight
 * in another process: only older ones are incomplete leftovers. */
#define ORPHAN_AGE_S 3600

static __thread char errbuf[600];

const char *gv_quarantine_err(const char *what, const char *detail)
{
	snprintf(errbuf, sizeof(errbuf), "%s: %s", what, detail);
	return errbuf;
}

bool gv_quarantine_id_valid(const char *id)
{
	size_t n = 0;
	if (id == NULL)
		return false;
	for (; id[n] != '\0'; n++) {
		char c = id[n];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-'))
			return false;
		if (n >= GV_QUARANTINE_ID_MAX)
			return false;
	}
	return n > 0;
}

int gv_quarantine_path(const struct gv_quarantine *q, const char *id,
		       const char *ext, char *out, size_t size)
{
	return snprintf(out, size, "%s/msg/%s.%s", q->dir, id, ext) <
			       (int)size ? 1 : -1;
}

static const char schema_sql[] =
	"PRAGMA journal_mode=WAL;"
	/* the index is a cache rebuilt from the fsync'ed files at open, so
	 * its commits need not wait for the disk (WAL + NORMAL stays
	 * consistent, it may only lose the last rows on power loss) */
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS items ("
	" id TEXT PRIMARY KEY, received INTEGER NOT NULL, queue_id TEXT,"
	" sender TEXT, rcpts TEXT, client_ip TEXT, helo TEXT, subject TEXT,"
	" action TEXT, score INTEGER, reasons TEXT, size INTEGER,"
	" released INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS items_received ON items(received);";

/* ---- sidecar JSON <-> entry ---- */

static json_t *str_or_null(const char *s)
{
	return json_string(s ? s : "");
}

char *gv_quarantine_entry_to_json(const struct gv_quarantine_entry *e,
				  bool with_released)
{
	json_t *o = json_object(), *r = json_array();
	for (size_t i = 0; i < e->n_rcpts; i++)
		json_array_append_new(r, str_or_null(e->rcpts[i]));
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "id", json_string(e->id));
	json_object_set_new(o, "received", json_integer(e->received));
	json_object_set_new(o, "queue_id", str_or_null(e->queue_id));
	json_object_set_new(o, "sender", str_or_null(e->sender));
	json_object_set_new(o, "rcpts", r);
	json_object_set_new(o, "client_ip", str_or_null(e->client_ip));
	json_object_set_new(o, "helo", str_or_null(e->helo));
	json_object_set_new(o, "subject", str_or_null(e->subject));
	json_object_set_new(o, "action", str_or_null(e->action));
	json_object_set_new(o, "score", json_integer(e->score));
	json_object_set_new(o, "reasons", str_or_null(e->reasons));
	json_object_set_new(o, "size", json_integer((json_int_t)e->size));
	if (with_released)
		json_object_set_new(o, "released", json_integer(e->released));
	json_t *v = NULL;
	if (e->verdict_json)
		v = json_loads(e->verdict_json, 0, NULL);
	json_object_set_new(o, "verdict", v ? v : json_null());
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

static const char *jstr(struct gv_pool *pool, json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return gv_pstrdup(pool, s ? s : "");
}

/* Fills e from a sidecar. 1 ok, -1 malformed. */
int gv_quarantine_entry_from_json(struct gv_pool *pool, const char *text,
				  size_t len, struct gv_quarantine_entry *e)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	const char *id = json_string_value(json_object_get(o, "id"));
	json_t *r = json_object_get(o, "rcpts");
	if (!gv_quarantine_id_valid(id) || !json_is_array(r)) {
		json_decref(o);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->received = json_integer_value(json_object_get(o, "received"));
	e->queue_id = jstr(pool, o, "queue_id");
	e->sender = jstr(pool, o, "sender");
	e->client_ip = jstr(pool, o, "client_ip");
	e->helo = jstr(pool, o, "helo");
	e->subject = jstr(pool, o, "subject");
	e->action = jstr(pool, o, "action");
	e->reasons = jstr(pool, o, "reasons");
	e->score = (int)json_integer_value(json_object_get(o, "score"));
	e->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
	size_t n = json_array_size(r);
	const char **rc = gv_palloc(pool, (n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(r, i));
		rc[i] = gv_pstrdup(pool, s ? s : "");
	}
	e->rcpts = rc;
	e->n_rcpts = n;
	json_t *v = json_object_get(o, "verdict");
	if (v && json_is_object(v)) {
		char *s = json_dumps(v, JSON_COMPACT);
		e->verdict_json = gv_pstrdup(pool, s);
		free(s);
	}
	json_decref(o);
	return 1;
}

/* ---- index ---- */

static char *rcpts_joined(const struct gv_quarantine_entry *e)
{
	struct gv_buf b;
	gv_buf_init(&b, (size_t)16 << 20);
	for (size_t i = 0; i < e->n_rcpts; i++) {
		if (i > 0)
			gv_buf_putc(&b, ',');
		if (e->rcpts[i])
			gv_buf_append(&b, e->rcpts[i], strlen(e->rcpts[i]));
	}
	char *s = gv_strdup(gv_buf_cstr(&b) ? gv_buf_cstr(&b) : "");
	gv_buf_free(&b);
	return s;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_TRANSIENT);
}

/* Adds (or replaces) the index row. Caller holds q->lock. 1 ok, -1 error. */
static int index_add(struct gv_quarantine *q, const struct gv_quarantine_entry *e,
		     const char **error_r)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "INSERT OR REPLACE INTO items (id, received, queue_id,"
			       " sender, rcpts, client_ip, helo, subject, action, score,"
			       " reasons, size, released) VALUES"
			       " (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
		*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
		return -1;
	}
	char *rc = rcpts_joined(e);
	bind_text(st, 1, e->id);
	sqlite3_bind_int64(st, 2, e->received);
	bind_text(st, 3, e->queue_id);
	bind_text(st, 4, e->sender);
	bind_text(st, 5, rc);
	bind_text(st, 6, e->client_ip);
	bind_text(st, 7, e->helo);
	bind_text(st, 8, e->subject);
	bind_text(st, 9, e->action);
	sqlite3_bind_int(st, 10, e->score);
	bind_text(st, 11, e->reasons);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)e->size);
	sqlite3_bind_int64(st, 13, e->released);
	int rv = sqlite3_step(st) == SQLITE_DONE ? 1 : -1;
	if (rv < 0)
		*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	gv_free(rc);
	return rv;
}

int gv_quarantine_exec(struct gv_quarantine *q, const char *sql,
		       const char *id, const char **error_r)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
		return -1;
	}
	bind_text(st, 1, id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
		return -1;
	}
	return sqlite3_changes(q->db) > 0 ? 1 : 0;
}

static bool file_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

/* Makes the index agree with the files: rows for sidecars that have none,
 * no rows for entries whose sidecar is gone, old orphans and temp files
 * removed. Caller holds q->lock. */
static int reconcile(struct gv_quarantine *q, const char **error_r)
{
	char dir[4200], p[4600];
	snprintf(dir, sizeof(dir), "%s/msg", q->dir);
	DIR *d = opendir(dir);
	if (d == NULL) {
		*error_r = gv_quarantine_err(dir, strerror(errno));
		return -1;
	}
	time_t now = time(NULL);
	struct dirent *de;
	int rv = 1;
	while (rv > 0 && (de = readdir(d)) != NULL) {
		const char *name = de->d_name, *dot = strchr(name, '.');
		if (name[0] == '.' || dot == NULL)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, name);
		struct stat st;
		if (stat(p, &st) < 0)
			continue;
		bool old = now - st.st_mtime > ORPHAN_AGE_S;
		if (strstr(dot, ".tmp.") != NULL) {
			if (old)
				unlink(p);
			continue;
		}
		char id[GV_QUARANTINE_ID_MAX + 1];
		size_t n = (size_t)(dot - name);
		if (n > GV_QUARANTINE_ID_MAX)
			continue;
		memcpy(id, name, n);
		id[n] = '\0';
		if (!gv_quarantine_id_valid(id))
			continue;
		char side[4300];
		gv_quarantine_path(q, id, "json", side, sizeof(side));
		if (strcmp(dot, ".eml") == 0) {
			if (!file_exists(side) && old)
				unlink(p);
			continue;
		}
		if (strcmp(dot, ".json") != 0)
			continue;
		rv = gv_quarantine_index_sidecar(q, id, false, error_r);
	}
	closedir(d);
	if (rv < 0)
		return -1;
	/* rows whose sidecar is gone (deleted by another process mid-way) */
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db, "SELECT id FROM items", -1, &st, NULL) != SQLITE_OK) {
		*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
		return -1;
	}
	char **gone = NULL;
	size_t n_gone = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		char side[4300];
		if (!gv_quarantine_id_valid(id) ||
		    gv_quarantine_path(q, id, "json", side, sizeof(side)) < 0 ||
		    !file_exists(side)) {
			gone = gv_realloc(gone, (n_gone + 1) * sizeof(char *));
			gone[n_gone++] = gv_strdup(id ? id : "");
		}
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < n_gone; i++) {
		if (gv_quarantine_exec(q, "DELETE FROM items WHERE id = ?",
				       gone[i], error_r) < 0)
			rv = -1;
		gv_free(gone[i]);
	}
	gv_free(gone);
	return rv;
}

/* Adds the index row of one sidecar (when missing, or always when force).
 * Caller holds q->lock. 1 ok (also: unreadable sidecar skipped), -1 error. */
int gv_quarantine_index_sidecar(struct gv_quarantine *q, const char *id,
				bool force, const char **error_r)
{
	if (!force) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(q->db, "SELECT 1 FROM items WHERE id = ?",
				       -1, &st, NULL) != SQLITE_OK) {
			*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
			return -1;
		}
		bind_text(st, 1, id);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			return 1;
	}
	char side[4300], mark[4300];
	gv_quarantine_path(q, id, "json", side, sizeof(side));
	gv_quarantine_path(q, id, "released", mark, sizeof(mark));
	unsigned char *text;
	size_t len;
	bool trunc;
	if (gv_read_file(side, (size_t)64 << 20, &text, &len, &trunc, error_r) <= 0)
		return 1;
	struct gv_pool *pool = gv_pool_new(16 * 1024);
	struct gv_quarantine_entry e;
	int rv = 1;
	if (gv_quarantine_entry_from_json(pool, (const char *)text, len, &e) > 0 &&
	    strcmp(e.id, id) == 0) {
		struct stat st;
		if (stat(mark, &st) == 0)
			e.released = st.st_mtime;
		rv = index_add(q, &e, error_r);
	} else {
		gv_log(GV_LOG_WARN, "event=quarantine_bad_sidecar file=%s", side);
	}
	gv_pool_free(&pool);
	gv_free(text);
	return rv;
}

static int mkdir_p(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

int gv_quarantine_open(const char *dir, struct gv_quarantine **q_r,
		       const char **error_r)
{
	char p[4200];
	if (dir == NULL || *dir == '\0' || strlen(dir) > 4000) {
		*error_r = "quarantine: no or too long store directory";
		return -1;
	}
	snprintf(p, sizeof(p), "%s/msg", dir);
	if (mkdir_p(dir) < 0 || mkdir_p(p) < 0) {
		*error_r = gv_quarantine_err(dir, strerror(errno));
		return -1;
	}
	struct gv_quarantine *q = gv_calloc(1, sizeof(*q));
	q->dir = gv_strdup(dir);
	pthread_mutex_init(&q->lock, NULL);
	snprintf(p, sizeof(p), "%s/index.sqlite", dir);
	mode_t old = umask(077);
	int rc = sqlite3_open_v2(p, &q->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(q->db, 10000);
		rc = sqlite3_exec(q->db, schema_sql, NULL, NULL, NULL);
	}
	umask(old);
	if (rc != SQLITE_OK) {
		*error_r = gv_quarantine_err(p, q->db ? sqlite3_errmsg(q->db)
						      : "cannot open");
		gv_quarantine_close(&q);
		return -1;
	}
	pthread_mutex_lock(&q->lock);
	int r = reconcile(q, error_r);
	pthread_mutex_unlock(&q->lock);
	if (r < 0) {
		gv_quarantine_close(&q);
		return -1;
	}
	*q_r = q;
	return 1;
}

void gv_quarantine_close(struct gv_quarantine **qp)
{
	struct gv_quarantine *q = *qp;
	if (q == NULL)
		return;
	if (q->db)
		sqlite3_close(q->db);
	pthread_mutex_destroy(&q->lock);
	gv_free(q->dir);
	gv_free(q);
	*qp = NULL;
}

/* YYYYmmddHHMMSS-<16 hex>: sortable by time, unguessable, file-name safe. */
static void new_id(char *out, size_t size, time_t now)
{
	unsigned char rnd[8];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t x = gv_now_us() ^ ((uint64_t)getpid() << 32) ^
			     (uint64_t)(uintptr_t)out;
		memcpy(rnd, &x, sizeof(rnd));
	}
	struct tm tm;
	gmtime_r(&now, &tm);
	char ts[20];
	strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
	snprintf(out, size, "%s-%02x%02x%02x%02x%02x%02x%02x%02x", ts, rnd[0],
		 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
}

int gv_quarantine_put(struct gv_quarantine *q, struct gv_quarantine_entry *e,
		      const unsigned char *data, size_t len,
		      const char **error_r)
{
	time_t now = time(NULL);
	if (e->received == 0)
		e->received = now;
	e->size = len;
	e->released = 0;
	new_id(e->id, sizeof(e->id), now);
	char eml[4300], side[4300];
	gv_quarantine_path(q, e->id, "eml", eml, sizeof(eml));
	gv_quarantine_path(q, e->id, "json", side, sizeof(side));
	const char *err;
	if (gv_write_file_atomic(eml, data, len, 0600, &err) < 0) {
		*error_r = gv_quarantine_err(eml, err);
		return -1;
	}
	char *js = gv_quarantine_entry_to_json(e, false);
	int rv = gv_write_file_atomic(side, js, strlen(js), 0600, &err);
	free(js);
	if (rv < 0) {
		unlink(eml);
		*error_r = gv_quarantine_err(side, err);
		return -1;
	}
	/* both files and the directory are on disk now: the message is safe.
	 * An index failure is repaired at the next open, so it is only logged. */
	pthread_mutex_lock(&q->lock);
	if (index_add(q, e, &err) < 0)
		gv_log(GV_LOG_WARN, "event=quarantine_index_error id=%s error=\"%s\"",
		       e->id, err);
	pthread_mutex_unlock(&q->lock);
	return 1;
}
