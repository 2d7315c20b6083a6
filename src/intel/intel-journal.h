/* The recorder's journal and event codec (journal.c); internal. */
#ifndef GV_INTEL_JOURNAL_H
#define GV_INTEL_JOURNAL_H

#include "intel/intel-private.h"

#include <pthread.h>

struct intel_journal {
	int fd;
	pthread_mutex_t lock; /* the writer and full-queue callers append */
	uint64_t pending; /* records appended since the last replay */
	char path[4096];
	char error[4200];
};

/* Event <-> compact JSON. encode: result freed with gv_free. decode: the
 * event and its strings live in pool; 1 ok, -1 malformed. */
char *intel_event_encode(const struct gv_intel_event *ev);
int intel_event_decode(struct gv_pool *pool, const char *data, size_t len,
		       struct gv_intel_event **ev_r);

int intel_journal_open(struct intel_journal *j, const char *dir,
		       const char **error_r);
void intel_journal_close(struct intel_journal *j);
/* Appends and fdatasyncs. On failure nothing of this call remains in the
 * file and *error_r says why ("no space left on device"). */
int intel_journal_append(struct intel_journal *j,
			 const struct gv_intel_event *const *evs, size_t n,
			 const char **error_r);
typedef int intel_journal_cb(void *ctx, const struct gv_intel_event **evs,
			     size_t n, const char **error_r);
/* Feeds every intact record to cb in batches; when all succeeded the
 * journal is emptied. *n_r counts the records read. */
int intel_journal_replay(struct intel_journal *j, size_t batch,
			 intel_journal_cb *cb, void *ctx, size_t *n_r,
			 const char **error_r);
bool intel_journal_has_records(struct intel_journal *j);

#endif
