/* Internal to src/milter: engine generations, the worker's shared state
 * and the libmilter glue. */
#ifndef GV_MILTER_PRIVATE_H
#define GV_MILTER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "learn/learn.h"
#include "milter/milter.h"
#include "quarantine/quarantine.h"

/* One generation: a milter config and a pool of scan engines built from
 * one reading of the config file. A session holds a reference from MAIL
 * FROM to the end of its message, so a reload never changes the rules
 * under a message being received or scanned. */
struct gv_milter_gen {
	unsigned id;
	unsigned refs;        /* sessions holding it (+1 while current) */
	struct gv_milter_config *cfg;
	size_t max_message;   /* bytes kept in memory per message */
	size_t n;
	struct gv_scan_engine **engines;
	bool *busy;
	/* the site's classifier (newest model of the learn store when one
	 * exists; read-only, shared by every engine of this generation) */
	struct gv_learn_model *model;
	struct gv_learn_hook hook;
	struct gv_milter_gen *next_dead; /* in state->graveyard */
};

struct gv_milter_state {
	pthread_mutex_t lock;  /* guards gens, busy flags and refs */
	pthread_cond_t freed;  /* an engine was returned */
	struct gv_milter_gen *current;
	struct gv_milter_gen *graveyard; /* unreferenced, waiting to be freed */
	unsigned next_id;
	const char *config_path;
	struct gv_quarantine *store;
	atomic_uint sessions;  /* open SMTP sessions */
	atomic_ulong messages; /* messages finished (any outcome) */
};

/* Builds a generation from the config file (milter section + n engines,
 * n = milter.scanners or the CPU count; with first_only just the first,
 * the other slots stay unusable until gv_milter_gen_fill). 1 ok, -1 error
 * with *error_r. */
int gv_milter_gen_build(const char *config_path, const char *socket_override,
			bool first_only, struct gv_milter_gen **gen_r,
			const char **error_r);
/* Builds the engines a first_only generation lacks, handing each out as
 * soon as it is ready (a restarted worker serves after one engine). Only
 * the thread that builds generations calls it. */
void gv_milter_gen_fill(struct gv_milter_state *st, struct gv_milter_gen *g,
			const char *config_path);
/* Installs gen as current (the old one is freed once unreferenced). */
void gv_milter_gen_install(struct gv_milter_state *st, struct gv_milter_gen *gen);
/* Frees the retired generations. Only the thread that builds generations
 * calls it (engine set-up and tear-down are not thread-safe). */
void gv_milter_gen_reap(struct gv_milter_state *st);
/* A reference to the current generation / drop one (the last drop of a
 * replaced generation retires it for gv_milter_gen_reap). */
struct gv_milter_gen *gv_milter_gen_get(struct gv_milter_state *st);
void gv_milter_gen_put(struct gv_milter_state *st, struct gv_milter_gen *gen);
/* Borrows a free engine of gen, waiting up to timeout_ms. 1 with *slot_r,
 * 0 none became free in time (overload). */
int gv_milter_engine_acquire(struct gv_milter_state *st, struct gv_milter_gen *gen,
			     unsigned timeout_ms, size_t *slot_r);
void gv_milter_engine_release(struct gv_milter_state *st, struct gv_milter_gen *gen,
			      size_t slot);

/* Registers the libmilter callbacks with st as their shared state. 1 ok,
 * -1 error with *error_r. */
int gv_milter_register(struct gv_milter_state *st, const char **error_r);

#endif
