/*
 * Reading, deleting and releasing quarantined messages (contract in
 * quarantine.h). Release runs the local MTA's sendmail with an argv built
 * from the stored envelope: no shell ever sees a message-derived string.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "quarantine/quarantine-private.h"

#define MAX_STORED ((size_t)1 << 30)

int gv_quarantine_get(struct gv_quarantine *q, struct gv_pool *pool,
		      const char *id, struct gv_quarantine_entry *e_r,
		      unsigned char **data_r, size_t *len_r,
		      const char **error_r)
{
	if (!gv_quarantine_id_valid(id))
		return 0;
	char side[4300], eml[4300], mark[4300];
	gv_quarantine_path(q, id, "json", side, sizeof(side));
	gv_quarantine_path(q, id, "eml", eml, sizeof(eml));
	gv_quarantine_path(q, id, "released", mark, sizeof(mark));
	unsigned char *text;
	size_t len;
	bool trunc;
	const char *err;
	if (gv_read_file(side, (size_t)64 << 20, &text, &len, &trunc, &err) < 0) {
		if (errno == ENOENT || access(side, F_OK) != 0)
			return 0;
		*error_r = gv_quarantine_err(side, err);
		return -1;
	}
	int rv = gv_quarantine_entry_from_json(pool, (const char *)text, len, e_r);
	gv_free(text);
	if (rv < 0 || strcmp(e_r->id, id) != 0) {
		*error_r = gv_quarantine_err(side, "malformed sidecar");
		return -1;
	}
	struct stat st;
	if (stat(mark, &st) == 0)
		e_r->released = st.st_mtime;
	trunc = false;
	if (data_r != NULL &&
	    gv_read_file(eml, MAX_STORED, data_r, len_r, &trunc, &err) <= 0) {
		if (!trunc) {
			*error_r = gv_quarantine_err(eml, err);
			return -1;
		}
		gv_free(*data_r);
		*error_r = gv_quarantine_err(eml, "larger than 1 GiB");
		return -1;
	}
	return 1;
}

static const char *col(struct gv_pool *pool, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return gv_pstrdup(pool, s ? s : "");
}

/* Splits the index's comma-joined recipients. */
static void split_rcpts(struct gv_pool *pool, const char *s,
			struct gv_quarantine_entry *e)
{
	size_t n = *s ? 1 : 0;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	const char **v = gv_palloc(pool, (n + 1) * sizeof(char *));
	size_t k = 0;
	while (*s && k < n) {
		size_t l = strcspn(s, ",");
		v[k++] = gv_pstrndup(pool, s, l);
		s += l + (s[l] == ',');
	}
	e->rcpts = v;
	e->n_rcpts = k;
}

int gv_quarantine_list(struct gv_quarantine *q, struct gv_pool *pool,
		       struct gv_quarantine_entry **entries_r, size_t *n_r,
		       const char **error_r)
{
	pthread_mutex_lock(&q->lock);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(q->db,
			       "SELECT id, received, queue_id, sender, rcpts, client_ip,"
			       " helo, subject, action, score, reasons, size, released"
			       " FROM items ORDER BY received DESC, id DESC",
			       -1, &st, NULL) != SQLITE_OK) {
		*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	size_t n = 0, cap = 16;
	struct gv_quarantine_entry *v = gv_malloc(cap * sizeof(*v));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap)
			v = gv_realloc(v, gv_mul_size(cap *= 2, sizeof(*v)));
		struct gv_quarantine_entry *e = &v[n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", col(pool, st, 0));
		e->received = sqlite3_column_int64(st, 1);
		e->queue_id = col(pool, st, 2);
		e->sender = col(pool, st, 3);
		split_rcpts(pool, col(pool, st, 4), e);
		e->client_ip = col(pool, st, 5);
		e->helo = col(pool, st, 6);
		e->subject = col(pool, st, 7);
		e->action = col(pool, st, 8);
		e->score = sqlite3_column_int(st, 9);
		e->reasons = col(pool, st, 10);
		e->size = (uint64_t)sqlite3_column_int64(st, 11);
		e->released = sqlite3_column_int64(st, 12);
	}
	if (rc != SQLITE_DONE)
		*error_r = gv_quarantine_err("index", sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&q->lock);
	if (rc != SQLITE_DONE) {
		gv_free(v);
		return -1;
	}
	/* the caller's pool owns the result */
	*entries_r = gv_palloc(pool, (n ? n : 1) * sizeof(*v));
	if (n)
		memcpy(*entries_r, v, n * sizeof(*v));
	gv_free(v);
	*n_r = n;
	return 1;
}

static void fsync_dir(const struct gv_quarantine *q)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/msg", q->dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int gv_quarantine_delete(struct gv_quarantine *q, const char *id,
			 const char **error_r)
{
	if (!gv_quarantine_id_valid(id))
		return 0;
	char side[4300], eml[4300], mark[4300];
	gv_quarantine_path(q, id, "json", side, sizeof(side));
	gv_quarantine_path(q, id, "eml", eml, sizeof(eml));
	gv_quarantine_path(q, id, "released", mark, sizeof(mark));
	pthread_mutex_lock(&q->lock);
	/* the sidecar goes first: without it the entry no longer exists */
	int found = unlink(side) == 0;
	if (!found && errno != ENOENT) {
		*error_r = gv_quarantine_err(side, strerror(errno));
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	unlink(eml);
	unlink(mark);
	fsync_dir(q);
	int rv = gv_quarantine_exec(q, "DELETE FROM items WHERE id = ?", id, error_r);
	pthread_mutex_unlock(&q->lock);
	if (rv < 0)
		return -1;
	return found || rv > 0 ? 1 : 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Runs sendmail with argv, feeding head + data on its stdin. 1 when it
 * exited 0, else -1 with *error_r. */
static int run_sendmail(char *const argv[], const char *head,
			const unsigned char *data, size_t len,
			const char **error_r)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		*error_r = gv_quarantine_err("pipe", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		*error_r = gv_quarantine_err("fork", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* a root CLI that switched its effective ids to the store's
		 * owner runs sendmail with its real ids (docs/quarantine.md) */
		if (geteuid() != getuid() &&
		    (seteuid(getuid()) < 0 || setegid(getgid()) < 0))
			_exit(127);
		if (dup2(p[0], 0) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	int wr = write_all(p[1], head, strlen(head));
	if (wr == 0)
		wr = write_all(p[1], data, len);
	close(p[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			*error_r = gv_quarantine_err("waitpid", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && wr == 0)
		return 1;
	static __thread char why[64];
	if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "killed by signal %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	*error_r = gv_quarantine_err(argv[0], wr < 0 ? "could not take the message"
						     : why);
	return -1;
}

int gv_quarantine_release(struct gv_quarantine *q, const char *id,
			  const char *sendmail, const char **error_r)
{
	struct gv_pool *pool = gv_pool_new(16 * 1024);
	struct gv_quarantine_entry e;
	unsigned char *data = NULL;
	size_t len = 0;
	int rv = gv_quarantine_get(q, pool, id, &e, &data, &len, error_r);
	if (rv <= 0) {
		gv_pool_free(&pool);
		return rv;
	}
	if (e.n_rcpts == 0) {
		*error_r = gv_quarantine_err(id, "no envelope recipient stored");
		rv = -1;
		goto out;
	}
	/* argv: SENDMAIL -i -f SENDER -- RCPT... (values are single elements,
	 * after "--" a recipient can never be taken for an option) */
	char **argv = gv_palloc(pool, (e.n_rcpts + 6) * sizeof(char *));
	size_t k = 0;
	argv[k++] = gv_pstrdup(pool, sendmail ? sendmail : GV_QUARANTINE_DEFAULT_SENDMAIL);
	argv[k++] = "-i";
	argv[k++] = "-f";
	argv[k++] = (char *)e.sender;
	argv[k++] = "--";
	for (size_t i = 0; i < e.n_rcpts; i++)
		argv[k++] = (char *)e.rcpts[i];
	argv[k] = NULL;
	char *head = gv_psprintf(pool, "X-Geneva-Released: %s\r\n", e.id);
	rv = run_sendmail(argv, head, data, len, error_r);
	if (rv < 0)
		goto out;
	char mark[4300];
	gv_quarantine_path(q, e.id, "released", mark, sizeof(mark));
	const char *err;
	if (gv_write_file_atomic(mark, "released\n", 9, 0600, &err) < 0)
		gv_log(GV_LOG_WARN, "event=quarantine_mark_error id=%s error=\"%s\"",
		       e.id, err);
	pthread_mutex_lock(&q->lock);
	if (gv_quarantine_exec(q, "UPDATE items SET released = CAST(strftime('%s','now')"
				  " AS INTEGER) WHERE id = ?", e.id, &err) < 0)
		gv_log(GV_LOG_WARN, "event=quarantine_index_error id=%s error=\"%s\"",
		       e.id, err);
	pthread_mutex_unlock(&q->lock);
	rv = 1;
out:
	gv_free(data);
	gv_pool_free(&pool);
	return rv;
}
