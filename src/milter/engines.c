/*
 * Engine generations (milter-private.h): a scan engine is not safe for
 * concurrent scans, so each generation holds one engine per scanner slot
 * and scans borrow one under a mutex. A reload builds a complete new
 * generation before swapping it in; the old one lives until the last
 * session holding it lets go.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "milter/milter-private.h"

static void gen_free(struct gv_milter_gen *g)
{
	for (size_t i = 0; i < g->n; i++)
		gv_scan_engine_free(&g->engines[i]);
	gv_learn_model_free(&g->model);
	gv_free(g->engines);
	gv_free(g->busy);
	gv_milter_config_free(&g->cfg);
	gv_free(g);
}

/* Loads the newest model of the learn store, if there is a store; a
 * reload (SIGHUP) picks up a newer version. Without one the engines run
 * on rules alone. */
static void load_model(struct gv_milter_gen *g)
{
	if (access(GV_LEARN_DEFAULT_DB, R_OK) != 0)
		return;
	struct gv_learn_db *db;
	const char *err;
	if (gv_learn_db_open(GV_LEARN_DEFAULT_DB, &db, &err) < 0) {
		gv_log(GV_LOG_WARN, "event=learn_store_unusable error=\"%s\"", err);
		return;
	}
	int64_t version = 0;
	if (gv_learn_db_load_model(db, &g->model, &version, &err) < 0)
		gv_log(GV_LOG_WARN, "event=learn_model_unusable error=\"%s\"", err);
	else if (g->model != NULL)
		gv_log(GV_LOG_INFO, "event=learn_model_loaded version=%lld",
		       (long long)version);
	gv_learn_db_close(&db);
	if (g->model != NULL)
		gv_learn_hook_init(&g->hook, g->model, NULL);
}

static void attach_model(struct gv_milter_gen *g, struct gv_scan_engine *e)
{
	if (g->model == NULL)
		return;
	struct gv_scan_classifier c = gv_learn_hook_classifier(&g->hook);
	gv_scan_engine_set_classifier(e, &c);
}

int gv_milter_gen_build(const char *config_path, const char *socket_override,
			bool first_only, struct gv_milter_gen **gen_r,
			const char **error_r)
{
	struct gv_milter_gen *g = gv_calloc(1, sizeof(*g));
	if (gv_milter_config_load(config_path, &g->cfg, error_r) < 0) {
		gv_free(g);
		return -1;
	}
	if (socket_override) {
		gv_free(g->cfg->socket);
		g->cfg->socket = gv_strdup(socket_override);
	}
	load_model(g);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	g->n = g->cfg->scanners ? g->cfg->scanners : (size_t)(cpus > 0 ? cpus : 1);
	g->engines = gv_calloc(g->n, sizeof(*g->engines));
	g->busy = gv_calloc(g->n, sizeof(bool));
	/* sequentially, on purpose: engine set-up and tear-down touch
	 * process-wide library state that is not thread-safe (YARA's
	 * yr_initialize/yr_finalize counter), so every engine is built and
	 * freed by one thread at a time (see gv_milter_gen_reap) */
	for (size_t i = 0; i < g->n; i++) {
		if (first_only && i > 0) {
			g->busy[i] = true; /* no engine yet: gv_milter_gen_fill */
			continue;
		}
		if (gv_scan_engine_load(config_path, &g->engines[i], error_r) < 0) {
			gen_free(g);
			return -1;
		}
		attach_model(g, g->engines[i]);
	}
	size_t scan_max = gv_scan_config_limits(gv_scan_engine_config(g->engines[0]))
				  ->max_message_bytes;
	g->max_message = g->cfg->max_message_bytes ? (size_t)g->cfg->max_message_bytes
						   : scan_max;
	*gen_r = g;
	return 1;
}

void gv_milter_gen_fill(struct gv_milter_state *st, struct gv_milter_gen *g,
			const char *config_path)
{
	for (size_t i = 0; i < g->n; i++) {
		if (g->engines[i] != NULL)
			continue;
		struct gv_scan_engine *e;
		const char *err;
		if (gv_scan_engine_load(config_path, &e, &err) < 0) {
			gv_log(GV_LOG_ERROR, "event=scanner_failed slot=%zu error=\"%s\"", i, err);
			continue;
		}
		attach_model(g, e);
		pthread_mutex_lock(&st->lock);
		g->engines[i] = e;
		g->busy[i] = false;
		pthread_cond_broadcast(&st->freed);
		pthread_mutex_unlock(&st->lock);
	}
}

/* Caller holds st->lock. */
static void retire(struct gv_milter_state *st, struct gv_milter_gen *g)
{
	g->next_dead = st->graveyard;
	st->graveyard = g;
}

void gv_milter_gen_install(struct gv_milter_state *st, struct gv_milter_gen *gen)
{
	pthread_mutex_lock(&st->lock);
	struct gv_milter_gen *old = st->current;
	gen->id = ++st->next_id;
	gen->refs = 1;
	st->current = gen;
	if (old && --old->refs == 0)
		retire(st, old);
	pthread_mutex_unlock(&st->lock);
}

void gv_milter_gen_reap(struct gv_milter_state *st)
{
	pthread_mutex_lock(&st->lock);
	struct gv_milter_gen *g = st->graveyard;
	st->graveyard = NULL;
	pthread_mutex_unlock(&st->lock);
	while (g != NULL) {
		struct gv_milter_gen *next = g->next_dead;
		gv_log(GV_LOG_INFO, "event=generation_retired generation=%u", g->id);
		gen_free(g);
		g = next;
	}
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
	/* the last user only retires it: freeing engines is left to the
	 * reload thread (gv_milter_gen_reap), never done on a session's
	 * answer path nor concurrently with a build */
	pthread_mutex_lock(&st->lock);
	if (--gen->refs == 0)
		retire(st, gen);
	pthread_mutex_unlock(&st->lock);
}

int gv_milter_engine_acquire(struct gv_milter_state *st, struct gv_milter_gen *gen,
			     unsigned timeout_ms, size_t *slot_r)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&st->lock);
	for (;;) {
		for (size_t i = 0; i < gen->n; i++)
			if (!gen->busy[i]) {
				gen->busy[i] = true;
				pthread_mutex_unlock(&st->lock);
				*slot_r = i;
				return 1;
			}
		int rc = pthread_cond_timedwait(&st->freed, &st->lock, &until);
		if (rc == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

void gv_milter_engine_release(struct gv_milter_state *st, struct gv_milter_gen *gen,
			      size_t slot)
{
	pthread_mutex_lock(&st->lock);
	gen->busy[slot] = false;
	/* waiters may belong to any generation: wake them all */
	pthread_cond_broadcast(&st->freed);
	pthread_mutex_unlock(&st->lock);
}
