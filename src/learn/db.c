/*
 * The classifier's store (SQLite, WAL, prepared statements only):
 * examples(key, label, features) and versioned models. Keys are SHA-256
 * hashes of the message bytes, so learning the same message twice is a
 * no-op and unlearning finds it again.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "learn/learn.h"

#define KEEP_MODELS 5

struct gv_learn_db {
	sqlite3 *db;
};

static __thread char errbuf[512];

static const char *dberr(struct gv_learn_db *d, const char *what)
{
	snprintf(errbuf, sizeof(errbuf), "learn store: %s: %s", what,
		 sqlite3_errmsg(d->db));
	return errbuf;
}

static const char *const schema =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS examples ("
	" key BLOB PRIMARY KEY, label INTEGER NOT NULL,"
	" features BLOB NOT NULL, added INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS models ("
	" version INTEGER PRIMARY KEY AUTOINCREMENT, created INTEGER NOT NULL,"
	" bits INTEGER NOT NULL, examples INTEGER NOT NULL, model BLOB NOT NULL);";

int gv_learn_db_open(const char *path, struct gv_learn_db **db_r,
		     const char **error_r)
{
	struct gv_learn_db *d = gv_calloc(1, sizeof(*d));
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		*error_r = dberr(d, path);
		gv_learn_db_close(&d);
		return -1;
	}
	sqlite3_busy_timeout(d->db, 5000);
	if (sqlite3_exec(d->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = dberr(d, path);
		gv_learn_db_close(&d);
		return -1;
	}
	*db_r = d;
	return 1;
}

void gv_learn_db_close(struct gv_learn_db **dp)
{
	if (*dp == NULL)
		return;
	sqlite3_close((*dp)->db);
	gv_free(*dp);
	*dp = NULL;
}

static void key_of(const unsigned char *msg, size_t len, unsigned char key[32])
{
	crypto_hash_sha256(key, msg, len);
}

int gv_learn_db_put(struct gv_learn_db *d, const unsigned char *msg, size_t len,
		    enum gv_learn_class c, const struct gv_learn_vec *v,
		    const char **error_r)
{
	unsigned char key[32];
	key_of(msg, len, key);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, "SELECT label FROM examples WHERE key=?",
			       -1, &st, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "select");
		return -1;
	}
	sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	int have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (have == (int)c)
		return 0;
	if (sqlite3_prepare_v2(d->db, "INSERT OR REPLACE INTO examples"
			       "(key,label,features,added) VALUES(?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "insert");
		return -1;
	}
	sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)c);
	sqlite3_bind_blob(st, 3, v->idx, (int)(v->n * sizeof(uint32_t)), SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*error_r = dberr(d, "insert");
		return -1;
	}
	return 1;
}

int gv_learn_db_begin(struct gv_learn_db *d, const char **error_r)
{
	if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "begin");
		return -1;
	}
	return 1;
}

int gv_learn_db_commit(struct gv_learn_db *d, const char **error_r)
{
	if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "commit");
		return -1;
	}
	return 1;
}

int gv_learn_db_remove(struct gv_learn_db *d, const unsigned char *msg,
		       size_t len, const char **error_r)
{
	unsigned char key[32];
	key_of(msg, len, key);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, "DELETE FROM examples WHERE key=?", -1,
			       &st, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "delete");
		return -1;
	}
	sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		*error_r = dberr(d, "delete");
		return -1;
	}
	return sqlite3_changes(d->db) > 0 ? 1 : 0;
}

int gv_learn_db_counts(struct gv_learn_db *d, size_t counts[GV_CLASS_COUNT],
		       const char **error_r)
{
	memset(counts, 0, sizeof(size_t) * GV_CLASS_COUNT);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, "SELECT label, count(*) FROM examples GROUP BY label",
			       -1, &st, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "count");
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		int c = sqlite3_column_int(st, 0);
		if (c >= 0 && c < GV_CLASS_COUNT)
			counts[c] = (size_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return 1;
}

int64_t gv_learn_db_retrain(struct gv_learn_db *d, const struct gv_learn_params *p,
			    const char **error_r)
{
	sqlite3_stmt *st;
	/* key order: the same examples always train the same model */
	if (sqlite3_prepare_v2(d->db, "SELECT label, features FROM examples ORDER BY key",
			       -1, &st, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "read examples");
		return -1;
	}
	size_t n = 0, cap = 0;
	struct gv_learn_vec *x = NULL;
	enum gv_learn_class *y = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int c = sqlite3_column_int(st, 0);
		int bytes = sqlite3_column_bytes(st, 1);
		if (c < 0 || c >= GV_CLASS_COUNT || bytes < 0 || bytes % 4)
			continue; /* a damaged row is skipped, not fatal */
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			x = gv_realloc(x, cap * sizeof(*x));
			y = gv_realloc(y, cap * sizeof(*y));
		}
		x[n].n = (uint32_t)bytes / 4;
		x[n].idx = gv_malloc((size_t)bytes + 4);
		if (bytes)
			memcpy(x[n].idx, sqlite3_column_blob(st, 1), (size_t)bytes);
		y[n++] = (enum gv_learn_class)c;
	}
	sqlite3_finalize(st);
	struct gv_learn_model *m = gv_learn_train(x, y, n, p);
	for (size_t i = 0; i < n; i++)
		gv_free(x[i].idx);
	gv_free(x);
	gv_free(y);
	struct gv_buf b;
	gv_buf_init(&b, (size_t)1 << 30);
	gv_learn_model_save(m, &b);
	int64_t version = -1;
	if (sqlite3_prepare_v2(d->db, "INSERT INTO models(created,bits,examples,model)"
			       " VALUES(?,?,?,?)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
		sqlite3_bind_int(st, 2, (int)gv_learn_model_bits(m));
		sqlite3_bind_int64(st, 3, (sqlite3_int64)n);
		sqlite3_bind_blob(st, 4, b.data, (int)b.len, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			version = sqlite3_last_insert_rowid(d->db);
		sqlite3_finalize(st);
	}
	gv_buf_free(&b);
	gv_learn_model_free(&m);
	if (version < 0) {
		*error_r = dberr(d, "store model");
		return -1;
	}
	/* keep the last few versions for rollback, not all of them */
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM models WHERE version <= %lld",
		 (long long)(version - KEEP_MODELS));
	sqlite3_exec(d->db, sql, NULL, NULL, NULL);
	return version;
}

int gv_learn_db_load_model(struct gv_learn_db *d, struct gv_learn_model **m_r,
			   int64_t *version_r, const char **error_r)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, "SELECT version, model FROM models"
			       " ORDER BY version DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		*error_r = dberr(d, "read model");
		return -1;
	}
	int ret = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (version_r)
			*version_r = sqlite3_column_int64(st, 0);
		ret = gv_learn_model_load(sqlite3_column_blob(st, 1),
					  (size_t)sqlite3_column_bytes(st, 1), m_r,
					  error_r) < 0 ? -1 : 1;
	}
	sqlite3_finalize(st);
	return ret;
}

int gv_learn_feedback(struct gv_learn_db *d, struct gv_scan_engine *engine,
		      const unsigned char *msg, size_t len,
		      enum gv_learn_class c, const char **error_r)
{
	struct gv_pool *pool = gv_pool_new(64 * 1024);
	struct gv_scan_result *r;
	/* features from the rules only: the classifier's own opinion must not
	 * feed back into what it learns */
	struct gv_scan_classifier none = { 0 };
	gv_scan_engine_set_classifier(engine, &none);
	int ret = gv_scan_message(engine, pool, msg, len, NULL, &r, error_r);
	if (ret == 1) {
		struct gv_learn_vec v;
		gv_learn_features(pool, r, 20, &v);
		ret = gv_learn_db_put(d, msg, len, c, &v, error_r);
		if (ret == 1 && gv_learn_db_retrain(d, NULL, error_r) < 0)
			ret = -1;
	}
	gv_pool_free(&pool);
	return ret;
}
