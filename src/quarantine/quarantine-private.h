/* Internal to src/quarantine: the store handle and helpers shared by its
 * files. */
#ifndef GV_QUARANTINE_PRIVATE_H
#define GV_QUARANTINE_PRIVATE_H

#include <pthread.h>
#include <sqlite3.h>

#include "quarantine/quarantine.h"

struct gv_quarantine {
	char *dir;
	sqlite3 *db;          /* guarded by lock (one connection per store) */
	pthread_mutex_t lock;
};

/* Formats "what: detail" into a thread-local buffer for *error_r. */
const char *gv_quarantine_err(const char *what, const char *detail);
/* DIR/msg/ID.EXT into out. 1 ok, -1 too long. */
int gv_quarantine_path(const struct gv_quarantine *q, const char *id,
		       const char *ext, char *out, size_t size);
/* Runs one statement with id bound to its only parameter. 1 when a row
 * changed, 0 none, -1 error. Caller holds q->lock. */
int gv_quarantine_exec(struct gv_quarantine *q, const char *sql,
		       const char *id, const char **error_r);
/* Index row for one sidecar (see store.c). Caller holds q->lock. */
int gv_quarantine_index_sidecar(struct gv_quarantine *q, const char *id,
				bool force, const char **error_r);
/* Parses a sidecar. 1 ok, -1 malformed. */
int gv_quarantine_entry_from_json(struct gv_pool *pool, const char *text,
				  size_t len, struct gv_quarantine_entry *e);

#endif
