/* The recorder's journal and record codec (journal.c); internal. */
#ifndef GV_INTEL_JOURNAL_H
#define GV_INTEL_JOURNAL_H

#include "intel/intel-private.h"

#include <pthread.h>
#include <sys/types.h>

/* What the recorder queues, journals and stores: one of three things. */
enum intel_rec_type { INTEL_REC_EVENT, INTEL_REC_ALERT, INTEL_REC_LOOKALIKE };
struct intel_rec {
	enum intel_rec_type type;
	const void *p; /* gv_intel_event / gv_intel_alert / gv_intel_lookalike */
};

/* Stores a mixed batch: the events in one transaction, then the alerts,
 * then the lookalikes (each idempotent, so a batch that fails half-way is
 * simply journaled and replayed whole). */
int intel_store_recs(struct gv_intel_store *st, const struct intel_rec *recs,
		     size_t n, size_t *inserted_r, const char **error_r);

struct intel_journal {
	int fd;
	pthread_mutex_t lock; /* the writer and full-queue callers append */
	uint64_t pending; /* records appended since the last replay */
	char path[4096];
	char error[4200];
};

/* Record <-> compact JSON. encode: result freed with gv_free. decode: the
 * record and its strings live in pool; 1 ok, -1 malformed. */
char *intel_rec_encode(const struct intel_rec *rec);
int intel_rec_decode(struct gv_pool *pool, const char *data, size_t len,
		     struct intel_rec *rec_r);

/* Opens (creates) the journal. A torn tail left by a crash mid-append is
 * cut off here, so records appended later are never hidden behind it. */
int intel_journal_open(struct intel_journal *j, const char *dir,
		       const char **error_r);
void intel_journal_close(struct intel_journal *j);
/* Appends and fdatasyncs. On failure nothing of this call remains in the
 * file and *error_r says why ("no space left on device"). */
int intel_journal_append(struct intel_journal *j, const struct intel_rec *recs,
			 size_t n, const char **error_r);
typedef int intel_journal_cb(void *ctx, const struct intel_rec *recs,
			     size_t n, const char **error_r);
/* Streams every intact record to cb in batches of at most `batch` records
 * and about 8 MiB of payload, reading the file piecewise: memory stays
 * bounded whatever the journal's size. Appends by other threads may go on
 * meanwhile (they are replayed too). When all succeeded the journal is
 * emptied. *n_r counts the records read. */
int intel_journal_replay(struct intel_journal *j, size_t batch,
			 intel_journal_cb *cb, void *ctx, size_t *n_r,
			 const char **error_r);
bool intel_journal_has_records(struct intel_journal *j);

#endif
