/*
 * Generations of scanner processes (milter-private.h). Each generation
 * holds milter.scanners slots; a slot is a scanner process (scanner.c)
 * behind a socketpair, DEAD -> STARTING -> FREE <-> BUSY -> DEAD.
 *
 * Who does what: session threads borrow FREE slots (gv_milter_scan); one
 * that finds its scanner dead marks the slot DEAD and wakes the pool
 * thread. The pool thread alone forks (fork + exec of our own binary, so
 * nothing of this multi-threaded process but the socket survives into the
 * scanner), reads the "ready" of STARTING slots, reaps children, restarts
 * DEAD slots (slowly when a scanner keeps dying before it is ready),
 * reloads on SIGUSR1 and frees retired generations. The main thread starts
 * the first generation before any other thread exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "milter/milter-private.h"

extern char **environ;

static void gen_free(struct gv_milter_gen *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->sc[i].fd >= 0)
			close(g->sc[i].fd); /* the scanner reads EOF and exits */
	gv_free(g->sc);
	gv_milter_config_free(&g->cfg);
	gv_free(g);
}

int gv_milter_gen_new(const char *config_path, const char *socket_override,
		      struct gv_milter_gen **gen_r, const char **error_r)
{
	struct gv_milter_config *cfg;
	struct gv_scan_config *scfg;
	if (gv_milter_config_load(config_path, &cfg, error_r) < 0)
		return -1;
	if (gv_scan_config_load(config_path, &scfg, error_r) < 0) {
		gv_milter_config_free(&cfg);
		return -1;
	}
	struct gv_milter_gen *g = gv_calloc(1, sizeof(*g));
	g->cfg = cfg;
	if (socket_override) {
		gv_free(g->cfg->socket);
		g->cfg->socket = gv_strdup(socket_override);
	}
	const struct gv_mail_limits *lim = gv_scan_config_limits(scfg);
	g->max_message = cfg->max_message_bytes ? (size_t)cfg->max_message_bytes
						: lim->max_message_bytes;
	g->time_budget_ms = lim->time_budget_ms;
	gv_scan_config_free(&scfg);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	g->n = cfg->scanners ? cfg->scanners : (size_t)(cpus > 0 ? cpus : 1);
	g->sc = gv_calloc(g->n, sizeof(*g->sc));
	for (size_t i = 0; i < g->n; i++)
		g->sc[i].fd = -1;
	*gen_r = g;
	return 1;
}

/* Starts the scanner of slot i (pool thread, or main thread before any
 * other thread exists). The slot is DEAD with no process. */
static void spawn(struct gv_milter_state *st, struct gv_milter_gen *g, size_t i)
{
	struct gv_milter_scanner *sc = &g->sc[i];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		gv_log(GV_LOG_ERROR, "event=scanner_failed generation=%u slot=%zu error=\"socketpair: %s\"",
		       g->id, i, strerror(errno));
		sc->next_spawn_ms = gv_now_ms() + 1000;
		return;
	}
	/* everything the child needs is prepared before fork: between fork
	 * and exec it only makes async-signal-safe calls */
	char max[24];
	snprintf(max, sizeof(max), "%zu", g->max_message);
	const char *argv[12];
	size_t a = 0;
	argv[a++] = "geneva";
	argv[a++] = "milter";
	argv[a++] = "--scanner-fd";
	argv[a++] = "3";
	argv[a++] = "--scanner-max";
	argv[a++] = max;
	if (st->config_path) {
		argv[a++] = "--config";
		argv[a++] = st->config_path;
	}
	if (st->syslog)
		argv[a++] = "--scanner-syslog";
	argv[a] = NULL;
	sigset_t none;
	sigemptyset(&none);
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], 3) < 0 || dup2(st->exe_fd, 4) < 0 ||
		    fcntl(4, F_SETFD, FD_CLOEXEC) < 0)
			_exit(127);
		close_range(5, ~0U, 0);
		fexecve(4, (char *const *)argv, environ);
		_exit(127);
	}
	close(sv[1]);
	/* a scanner that stops reading (stopped, or wedged) must not block a
	 * session forever on a large request: the write times out like the
	 * reply does, and the scanner is then treated as lost */
	uint64_t lim = g->time_budget_ms * 2 + 10000;
	struct timeval tv = { .tv_sec = (time_t)(lim / 1000), .tv_usec = 0 };
	setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (pid < 0) {
		close(sv[0]);
		gv_log(GV_LOG_ERROR, "event=scanner_failed generation=%u slot=%zu error=\"fork: %s\"",
		       g->id, i, strerror(errno));
		sc->next_spawn_ms = gv_now_ms() + 1000;
		return;
	}
	pthread_mutex_lock(&st->lock);
	sc->pid = pid;
	sc->fd = sv[0];
	sc->state = GV_SC_STARTING;
	sc->started_ms = gv_now_ms();
	pthread_mutex_unlock(&st->lock);
}

/* Marks slot i DEAD: kills its process if it still runs (the pool thread
 * reaps it) and closes our end. Caller holds st->lock. */
static void slot_kill(struct gv_milter_scanner *sc)
{
	if (sc->pid > 0)
		kill(sc->pid, SIGKILL);
	if (sc->fd >= 0)
		close(sc->fd);
	sc->fd = -1;
	sc->state = GV_SC_DEAD;
}

static void wake_pool(struct gv_milter_state *st)
{
	uint64_t one = 1;
	if (write(st->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the pool thread is awake anyway */
	}
}

/* A STARTING slot's socket is readable: "ready" makes it FREE, anything
 * else (an "error" frame, EOF) DEAD. Returns 1 ready, -1 failed with the
 * scanner's error text in err (when it sent one). */
static int take_ready(struct gv_milter_state *st, struct gv_milter_gen *g, size_t i,
		      char *err, size_t err_size)
{
	struct gv_milter_scanner *sc = &g->sc[i];
	struct gv_milter_frame f;
	int rc = gv_milter_frame_read(sc->fd, 4, 64 * 1024, 10000, &f);
	bool ready = rc == 1 && strcmp(f.field[0], "ready") == 0;
	snprintf(err, err_size, "%s",
		 rc == 1 && f.n > 1 && strcmp(f.field[0], "error") == 0 ? f.field[1]
		 : rc == 1 ? "bad ready message" : "exited while starting");
	pthread_mutex_lock(&st->lock);
	if (ready) {
		sc->state = GV_SC_FREE;
		sc->start_fails = 0;
		pthread_cond_broadcast(&st->freed);
	} else {
		slot_kill(sc);
		sc->start_fails++;
		uint64_t backoff = 100ull << (sc->start_fails > 7 ? 7 : sc->start_fails);
		sc->next_spawn_ms = gv_now_ms() + (backoff > 10000 ? 10000 : backoff);
	}
	pid_t pid = sc->pid;
	pthread_mutex_unlock(&st->lock);
	if (ready)
		gv_log(GV_LOG_INFO, "event=scanner_started generation=%u slot=%zu pid=%ld ms=%s",
		       g->id, i, (long)pid, f.n > 1 ? f.field[1] : "?");
	if (rc == 1)
		gv_milter_frame_free(&f);
	return ready ? 1 : -1;
}

int gv_milter_gen_start(struct gv_milter_state *st, struct gv_milter_gen *g,
			const char **error_r)
{
	static char err[600];
	pthread_mutex_lock(&st->lock);
	g->id = ++st->next_id; /* a failed reload skips a number */
	pthread_mutex_unlock(&st->lock);
	for (size_t i = 0; i < g->n; i++)
		spawn(st, g, i);
	/* wait (5 min at most: an engine build under ASan is slow) for the
	 * first scanner to be ready; a configuration that does not load fails
	 * in every scanner alike, so the first error settles it */
	uint64_t until = gv_now_ms() + 300000;
	struct pollfd *pfd = gv_calloc(g->n, sizeof(*pfd));
	int rv = 0;
	while (rv == 0) {
		size_t np = 0;
		for (size_t i = 0; i < g->n; i++)
			if (g->sc[i].state == GV_SC_STARTING)
				pfd[np++] = (struct pollfd){ .fd = g->sc[i].fd, .events = POLLIN };
		uint64_t now = gv_now_ms();
		if (np == 0 || now >= until) {
			snprintf(err, sizeof(err), "no scanner process started%s",
				 np ? " within 5 minutes" : "");
			rv = -1;
			break;
		}
		if (poll(pfd, np, (int)(until - now)) <= 0)
			continue;
		for (size_t k = 0; k < np && rv == 0; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			for (size_t i = 0; i < g->n; i++)
				if (g->sc[i].fd == pfd[k].fd && g->sc[i].state == GV_SC_STARTING) {
					char e[500];
					if (take_ready(st, g, i, e, sizeof(e)) == 1) {
						rv = 1;
					} else {
						snprintf(err, sizeof(err), "scanner: %s", e);
						rv = -1;
					}
					break;
				}
		}
	}
	gv_free(pfd);
	if (rv < 0) {
		pthread_mutex_lock(&st->lock);
		pid_t *pids = gv_calloc(g->n, sizeof(pid_t));
		for (size_t i = 0; i < g->n; i++) {
			pids[i] = g->sc[i].pid;
			slot_kill(&g->sc[i]);
		}
		pthread_mutex_unlock(&st->lock);
		for (size_t i = 0; i < g->n; i++)
			if (pids[i] > 0)
				waitpid(pids[i], NULL, 0);
		gv_free(pids);
		gen_free(g);
		*error_r = err;
	}
	return rv;
}

void gv_milter_gen_install(struct gv_milter_state *st, struct gv_milter_gen *gen)
{
	pthread_mutex_lock(&st->lock);
	struct gv_milter_gen *old = st->current;
	gen->refs = 1;
	gen->next = st->gens;
	st->gens = gen;
	st->current = gen;
	pthread_mutex_unlock(&st->lock);
	if (old)
		gv_milter_gen_put(st, old);
}

struct gv_milter_gen *gv_milter_gen_get(struct gv_milter_state *st)
{
	pthread_mutex_lock(&st->lock);
	struct gv_milter_gen *g = st->current;
	g->refs++;
	pthread_mutex_unlock(&st->lock);
	return g;
}

void gv_milter_gen_put(struct gv_milter_state *st, struct gv_milter_gen *gen)
{
	if (gen == NULL)
		return;
	/* the last user moves it to the graveyard; the pool thread frees it
	 * (stopping its scanners), never a session on its answer path */
	pthread_mutex_lock(&st->lock);
	if (--gen->refs == 0) {
		for (struct gv_milter_gen **p = &st->gens; *p; p = &(*p)->next)
			if (*p == gen) {
				*p = gen->next;
				break;
			}
		gen->retired = true;
		gen->next = st->graveyard;
		st->graveyard = gen;
		wake_pool(st);
	}
	pthread_mutex_unlock(&st->lock);
}

/* ---- the session side ---- */

/* Borrows a FREE slot of g, waiting until deadline (CLOCK_MONOTONIC). */
static int acquire(struct gv_milter_state *st, struct gv_milter_gen *g,
		   const struct timespec *until, size_t *slot_r, pid_t *pid_r)
{
	pthread_mutex_lock(&st->lock);
	for (;;) {
		for (size_t i = 0; i < g->n; i++)
			if (g->sc[i].state == GV_SC_FREE) {
				g->sc[i].state = GV_SC_BUSY;
				*pid_r = g->sc[i].pid;
				pthread_mutex_unlock(&st->lock);
				*slot_r = i;
				return 1;
			}
		if (pthread_cond_timedwait(&st->freed, &st->lock, until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static void deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* One request/reply on a borrowed scanner. 1 reply in *f, -1 the scanner
 * is lost (died, hung past the limit, or answered garbage). */
static int exchange(int fd, const struct gv_milter_job *job, int timeout_ms,
		    struct gv_milter_frame *f, const char **why_r)
{
	size_t n_rcpts = job->n_rcpts > GV_MILTER_FRAME_MAX_FIELDS - GV_REQ_RCPT0
				 ? GV_MILTER_FRAME_MAX_FIELDS - GV_REQ_RCPT0 : job->n_rcpts;
	size_t n = GV_REQ_RCPT0 + n_rcpts;
	const void **field = gv_calloc(n, sizeof(*field));
	size_t *len = gv_calloc(n, sizeof(*len));
	const char *s[GV_REQ_RCPT0] = {
		[GV_REQ_QID] = job->qid, [GV_REQ_CLIENT_IP] = job->client_ip,
		[GV_REQ_HELO] = job->helo, [GV_REQ_FROM] = job->from,
	};
	for (size_t i = 0; i < GV_REQ_RCPT0; i++) {
		if (i == GV_REQ_MESSAGE) {
			field[i] = job->data;
			len[i] = job->len;
		} else {
			field[i] = s[i] ? s[i] : "";
			len[i] = strlen(field[i]);
		}
	}
	for (size_t i = 0; i < n_rcpts; i++) {
		field[GV_REQ_RCPT0 + i] = job->rcpts[i] ? job->rcpts[i] : "";
		len[GV_REQ_RCPT0 + i] = strlen(field[GV_REQ_RCPT0 + i]);
	}
	int rc = gv_milter_frame_write(fd, n, field, len);
	gv_free(field);
	gv_free(len);
	if (rc < 0) {
		*why_r = "write failed";
		return -1;
	}
	rc = gv_milter_frame_read(fd, 16, (uint64_t)32 << 20, timeout_ms, f);
	if (rc == 1 && f->n >= 2 && (strcmp(f->field[0], "error") == 0 ||
				     (strcmp(f->field[0], "ok") == 0 && f->n == GV_REP_N)))
		return 1;
	if (rc == 1)
		gv_milter_frame_free(f);
	*why_r = rc == 0 ? "died" : rc == -2 ? "no answer in time (killed)" : "bad answer";
	return -1;
}

enum gv_milter_scan_rc gv_milter_scan(struct gv_milter_state *st,
				      struct gv_milter_gen *g,
				      const struct gv_milter_job *job,
				      struct gv_pool *pool,
				      struct gv_milter_verdict *v)
{
	memset(v, 0, sizeof(*v));
	/* a scan that takes twice the engine's own time budget (plus slack
	 * for a slow machine) is a hang: the scanner is killed (spawn() sets
	 * the same limit on writes) */
	uint64_t limit = g->time_budget_ms * 2 + 10000;
	int timeout_ms = limit > 600000 ? 600000 : (int)limit;
	struct timespec until;
	deadline(&until, g->cfg->queue_timeout_ms);
	size_t i;
	pid_t pid;
	if (acquire(st, g, &until, &i, &pid) == 0)
		return GV_MILTER_SCAN_OVERLOAD;
	/* BUSY: only this thread closes its fd */
	struct gv_milter_scanner *sc = &g->sc[i];
	struct gv_milter_frame f;
	const char *why;
	if (exchange(sc->fd, job, timeout_ms, &f, &why) < 0) {
		pthread_mutex_lock(&st->lock);
		slot_kill(sc);
		pthread_mutex_unlock(&st->lock);
		wake_pool(st);
		gv_log(GV_LOG_ERROR, "event=scanner_lost qid=%s generation=%u slot=%zu pid=%ld"
		       " reason=\"%s\"", job->qid, g->id, i, (long)pid, why);
		return GV_MILTER_SCAN_CRASHED;
	}
	bool ok = strcmp(f.field[0], "ok") == 0;
	if (ok) {
		gv_action_parse(f.field[GV_REP_ACTION], &v->action);
		uint64_t abs_score = 0;
		const char *sv = f.field[GV_REP_SCORE];
		bool neg = *sv == '-';
		gv_parse_u64(sv + neg, 1000000, &abs_score);
		v->score = neg ? -(int)abs_score : (int)abs_score;
		v->partial = f.field[GV_REP_PARTIAL][0] == '1';
		v->reasons = gv_pstrdup(pool, f.field[GV_REP_REASONS]);
		v->reject_reasons = gv_pstrdup(pool, f.field[GV_REP_REJECT_REASONS]);
		v->json = f.len[GV_REP_JSON] ? gv_pstrdup(pool, f.field[GV_REP_JSON]) : NULL;
	} else {
		v->error = gv_pstrdup(pool, f.n > 1 ? f.field[1] : "scan failed");
	}
	gv_milter_frame_free(&f);
	pthread_mutex_lock(&st->lock);
	sc->state = GV_SC_FREE;
	pthread_cond_broadcast(&st->freed);
	pthread_mutex_unlock(&st->lock);
	return ok ? GV_MILTER_SCAN_OK : GV_MILTER_SCAN_ERROR;
}

/* ---- the pool thread ---- */

static const char *state_name(enum gv_scanner_state s)
{
	static const char *const n[] = { "dead", "starting", "free", "busy" };
	return n[s];
}

static struct gv_milter_gen *find_pid(struct gv_milter_gen *list, pid_t pid,
				      size_t *slot_r)
{
	for (struct gv_milter_gen *x = list; x; x = x->next)
		for (size_t i = 0; i < x->n; i++)
			if (x->sc[i].pid == pid) {
				*slot_r = i;
				return x;
			}
	return NULL;
}

/* Collects exited children and marks their slots. */
/* Reaps scanner processes only: the worker has other children (the alert
 * thread's mail command), whose status belongs to whoever started them,
 * so no waitpid(-1). */
static pid_t wait_scanner(struct gv_milter_state *st, int *status)
{
	pid_t pids[256];
	size_t n = 0;
	pthread_mutex_lock(&st->lock);
	for (int pass = 0; pass < 2; pass++)
		for (struct gv_milter_gen *x = pass ? st->graveyard : st->gens; x;
		     x = x->next)
			for (size_t i = 0; i < x->n && n < GV_ARRAY_LEN(pids); i++)
				if (x->sc[i].pid > 0)
					pids[n++] = x->sc[i].pid;
	for (size_t i = 0; i < st->n_orphans && n < GV_ARRAY_LEN(pids); i++)
		pids[n++] = st->orphans[i];
	pthread_mutex_unlock(&st->lock);
	for (size_t i = 0; i < n; i++)
		if (waitpid(pids[i], status, WNOHANG) == pids[i]) {
			pthread_mutex_lock(&st->lock);
			for (size_t k = 0; k < st->n_orphans; k++)
				if (st->orphans[k] == pids[i])
					st->orphans[k] = st->orphans[--st->n_orphans];
			pthread_mutex_unlock(&st->lock);
			return pids[i];
		}
	return 0;
}

static void reap(struct gv_milter_state *st)
{
	int status;
	pid_t p;
	while ((p = wait_scanner(st, &status)) > 0) {
		pthread_mutex_lock(&st->lock);
		size_t slot = 0;
		enum gv_scanner_state was = GV_SC_DEAD;
		struct gv_milter_gen *g = find_pid(st->gens, p, &slot);
		if (g == NULL)
			g = find_pid(st->graveyard, p, &slot);
		if (g != NULL) {
			struct gv_milter_scanner *sc = &g->sc[slot];
			was = sc->state;
			sc->pid = 0;
			/* a BUSY slot's session sees the EOF and marks it */
			if (sc->state == GV_SC_FREE || sc->state == GV_SC_STARTING) {
				if (sc->state == GV_SC_STARTING) {
					sc->start_fails++;
					uint64_t b = 100ull << (sc->start_fails > 7 ? 7 : sc->start_fails);
					sc->next_spawn_ms = gv_now_ms() + (b > 10000 ? 10000 : b);
				}
				slot_kill(sc);
			}
		}
		bool retired = g == NULL || g->retired;
		unsigned id = g ? g->id : 0;
		pthread_mutex_unlock(&st->lock);
		if (retired && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue; /* let go with its generation */
		gv_log(GV_LOG_ERROR, "event=scanner_died pid=%ld %s=%d generation=%u slot=%zu was=%s",
		       (long)p, WIFSIGNALED(status) ? "signal" : "status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		       id, slot, state_name(was));
	}
}

/* Restarts DEAD slots of the generations still in use; returns the ms
 * until the next backoff expires (or 1000). */
static int respawn(struct gv_milter_state *st)
{
	uint64_t now = gv_now_ms(), next = now + 1000;
	for (;;) {
		struct gv_milter_gen *g = NULL;
		size_t slot = 0;
		pthread_mutex_lock(&st->lock);
		for (struct gv_milter_gen *x = st->gens; x && !g; x = x->next)
			for (size_t i = 0; i < x->n; i++) {
				struct gv_milter_scanner *sc = &x->sc[i];
				if (sc->state != GV_SC_DEAD || sc->pid != 0 || sc->fd >= 0)
					continue;
				if (sc->next_spawn_ms > now) {
					if (sc->next_spawn_ms < next)
						next = sc->next_spawn_ms;
					continue;
				}
				g = x;
				slot = i;
				sc->next_spawn_ms = UINT64_MAX; /* not twice in this round */
				break;
			}
		pthread_mutex_unlock(&st->lock);
		if (g == NULL || atomic_load(&st->stopping))
			break;
		spawn(st, g, slot);
		if (g->sc[slot].state == GV_SC_DEAD) /* fork failed: try later */
			continue;
		g->sc[slot].next_spawn_ms = 0;
	}
	return (int)(next - now);
}

static void reload(struct gv_milter_state *st)
{
	uint64_t t0 = gv_now_ms();
	struct gv_milter_gen *g;
	const char *err;
	if (gv_milter_gen_new(st->config_path, st->socket, &g, &err) < 0 ||
	    gv_milter_gen_start(st, g, &err) < 0) {
		gv_log(GV_LOG_ERROR, "event=reload_failed error=\"%s\" (still serving the old configuration)", err);
		return;
	}
	gv_milter_gen_install(st, g);
	gv_log(GV_LOG_INFO, "event=reloaded generation=%u scanners=%zu ms=%llu",
	       g->id, g->n, (unsigned long long)(gv_now_ms() - t0));
}

static void free_graveyard(struct gv_milter_state *st)
{
	pthread_mutex_lock(&st->lock);
	struct gv_milter_gen *g = st->graveyard;
	st->graveyard = NULL;
	pthread_mutex_unlock(&st->lock);
	while (g != NULL) {
		struct gv_milter_gen *next = g->next;
		gv_log(GV_LOG_INFO, "event=generation_retired generation=%u", g->id);
		/* its scanners get EOF and exit; reap() collects them as
		 * orphans (no generation to report to any more) */
		pthread_mutex_lock(&st->lock);
		for (size_t i = 0; i < g->n; i++)
			if (g->sc[i].pid > 0 &&
			    st->n_orphans < GV_ARRAY_LEN(st->orphans))
				st->orphans[st->n_orphans++] = g->sc[i].pid;
		pthread_mutex_unlock(&st->lock);
		gen_free(g);
		g = next;
	}
}

void *gv_milter_pool_thread(void *arg)
{
	struct gv_milter_state *st = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	size_t cap = 0;
	struct pollfd *pfd = NULL;
	struct { struct gv_milter_gen *g; size_t i; } *who = NULL;
	for (;;) {
		reap(st);
		int wait_ms = atomic_load(&st->stopping) ? 1000 : respawn(st);
		/* sockets of starting scanners, to see them become ready */
		pthread_mutex_lock(&st->lock);
		size_t need = 2;
		for (struct gv_milter_gen *x = st->gens; x; x = x->next)
			need += x->n;
		if (need > cap) {
			cap = need;
			pfd = gv_realloc(pfd, cap * sizeof(*pfd));
			who = gv_realloc(who, cap * sizeof(*who));
		}
		size_t np = 2;
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = st->wake_fd, .events = POLLIN };
		for (struct gv_milter_gen *x = st->gens; x; x = x->next)
			for (size_t i = 0; i < x->n; i++)
				if (x->sc[i].state == GV_SC_STARTING) {
					who[np].g = x;
					who[np].i = i;
					pfd[np++] = (struct pollfd){ .fd = x->sc[i].fd, .events = POLLIN };
				}
		pthread_mutex_unlock(&st->lock);
		if (poll(pfd, np, wait_ms < 10 ? 10 : wait_ms) < 0 && errno != EINTR)
			usleep(100 * 1000);
		bool do_reload = false;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				if (si.ssi_signo == SIGUSR1)
					do_reload = true;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			if (read(st->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: nothing to clear */
			}
		}
		for (size_t k = 2; k < np; k++)
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
				char err[500];
				if (take_ready(st, who[k].g, who[k].i, err, sizeof(err)) < 0)
					gv_log(GV_LOG_ERROR, "event=scanner_failed generation=%u slot=%zu error=\"%s\"",
					       who[k].g->id, who[k].i, err);
			}
		free_graveyard(st);
		if (do_reload && !atomic_load(&st->stopping))
			reload(st);
	}
	return NULL;
}

void gv_milter_pool_stop(struct gv_milter_state *st)
{
	atomic_store(&st->stopping, true);
	pthread_mutex_lock(&st->lock);
	for (struct gv_milter_gen *x = st->gens; x; x = x->next)
		for (size_t i = 0; i < x->n; i++)
			if (x->sc[i].fd >= 0) {
				close(x->sc[i].fd); /* EOF: the scanner exits */
				x->sc[i].fd = -1;
				x->sc[i].state = GV_SC_DEAD;
			}
	pthread_mutex_unlock(&st->lock);
}
