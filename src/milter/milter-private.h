/* Internal to src/milter: generations of scanner processes, the worker's
 * shared state, the worker <-> scanner protocol. The milter protocol is in proto.h. */
#ifndef GV_MILTER_PRIVATE_H
#define GV_MILTER_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "milter/milter.h"
#include "quarantine/quarantine.h"

/* ---- worker <-> scanner frames (scanproto.c) ----
 * A frame is: u32 magic, u32 field count, count x u64 field lengths, then
 * the fields' bytes back to back, each followed by a NUL that its length
 * counts (so every field is a C string in place). The reader checks the count and every
 * length against its limits before it allocates, so a scanner that went
 * wrong (or a worker bug) can never make the other side allocate without
 * bound; a bad frame is an error, never a crash. */
#define GV_MILTER_FRAME_MAGIC 0x47564d31u /* "GVM1" */
#define GV_MILTER_FRAME_MAX_FIELDS 4096
struct gv_milter_frame {
	size_t n;
	const char **field;    /* NUL-terminated views into data */
	size_t *len;           /* without the NUL */
	unsigned char *data;   /* heap, owned */
};
/* Writes n fields (field[i] of len[i] bytes). 1 ok, -1 error (errno). */
int gv_milter_frame_write(int fd, size_t n, const void *const *field,
			  const size_t *len);
/* Reads one frame, waiting at most timeout_ms for it in total (-1 =
 * forever). max_fields / max_bytes bound the count and the sum of the
 * lengths. 1 ok, 0 EOF before a frame started, -1 error or bad frame,
 * -2 timeout. */
int gv_milter_frame_read(int fd, size_t max_fields, uint64_t max_bytes,
			 int timeout_ms, struct gv_milter_frame *f);
/* The same checks on a frame already in memory (for the fuzzer). */
int gv_milter_frame_parse(const unsigned char *p, size_t len, size_t max_fields,
			  uint64_t max_bytes, struct gv_milter_frame *f);
void gv_milter_frame_free(struct gv_milter_frame *f);

/* Request fields, worker -> scanner (the message last but one so the
 * recipients can follow it in any number). */
enum { GV_REQ_QID, GV_REQ_CLIENT_IP, GV_REQ_HELO, GV_REQ_FROM, GV_REQ_MESSAGE,
       GV_REQ_RCPT0 };
/* Reply fields, scanner -> worker. status "ok" or "error" (then reasons
 * holds the error); json is only filled for a quarantine verdict. */
enum { GV_REP_STATUS, GV_REP_ACTION, GV_REP_SCORE, GV_REP_PARTIAL,
       GV_REP_REASONS, GV_REP_REJECT_REASONS, GV_REP_JSON, GV_REP_N };

/* What a scan produced, as the worker uses it. Strings live in a pool. */
struct gv_milter_verdict {
	enum gv_action action;
	int score;
	bool partial;
	const char *reasons;        /* X-Geneva-Reasons (8 items, 400 bytes) */
	const char *reject_reasons; /* for the 550 text (3 items, 160 bytes) */
	const char *json;           /* verdict JSON, quarantine only */
	const char *error;          /* scan error text */
};

/* ---- scanner processes and generations (pool.c) ---- */
enum gv_scanner_state { GV_SC_DEAD = 0, GV_SC_STARTING, GV_SC_FREE, GV_SC_BUSY };
struct gv_milter_scanner {
	enum gv_scanner_state state;
	pid_t pid;           /* 0 once reaped */
	int fd;              /* worker's end of the socketpair, -1 when dead */
	uint64_t started_ms;
	unsigned start_fails; /* consecutive deaths before "ready" */
	uint64_t next_spawn_ms;
};

/* One generation: a milter config and a pool of scanner processes started
 * from one reading of the config file. A session holds a reference from
 * MAIL FROM to the end of its message, so a reload never changes the rules
 * under a message being received or scanned. */
struct gv_milter_gen {
	unsigned id;
	unsigned refs;        /* sessions holding it (+1 while current) */
	bool retired;
	struct gv_milter_config *cfg;
	size_t max_message;   /* bytes kept in memory per message */
	uint64_t time_budget_ms;
	size_t n;
	struct gv_milter_scanner *sc;
	struct gv_milter_gen *next; /* in state->gens or state->graveyard */
};

struct gv_milter_state {
	pthread_mutex_t lock;  /* guards gens, scanner slots and refs */
	pthread_cond_t freed;  /* a scanner became free */
	struct gv_milter_gen *current;
	struct gv_milter_gen *gens;      /* current and older, still referenced */
	struct gv_milter_gen *graveyard; /* unreferenced, waiting to be freed */
	/* scanners of freed generations not reaped yet (reap() waits for
	 * known pids only: the worker has other children) */
	pid_t orphans[64];
	size_t n_orphans;
	unsigned next_id;
	const char *config_path;
	const char *socket;
	bool syslog;           /* scanners log to syslog too */
	int exe_fd;            /* our own binary (O_PATH), opened before the drop */
	int wake_fd;           /* eventfd: a scanner slot needs the pool thread */
	atomic_bool stopping;  /* no more restarts (worker exit) */
	struct gv_quarantine *store;
	atomic_uint sessions;  /* open SMTP sessions */
	atomic_ulong messages; /* messages finished (any outcome) */
	/* digests of messages that killed scanners (crash.c) */
	pthread_mutex_t crash_lock;
	struct gv_milter_crash *crashes;
	uint64_t crash_seed;
};

/* Reads the config (milter section + scan limits) into a generation
 * without scanners. 1 ok, -1 error with *error_r. */
int gv_milter_gen_new(const char *config_path, const char *socket_override,
		      struct gv_milter_gen **gen_r, const char **error_r);
/* Starts gen's scanner processes and waits until the first one is ready
 * (the others keep starting; the pool thread hands them out). 1 ok, -1 no
 * scanner could load the configuration (*error_r; gen's processes are
 * stopped and gen freed). Called by the main thread before serving and by
 * the pool thread only. */
int gv_milter_gen_start(struct gv_milter_state *st, struct gv_milter_gen *gen,
			const char **error_r);
/* Installs gen as current (the old one is freed once unreferenced). */
void gv_milter_gen_install(struct gv_milter_state *st, struct gv_milter_gen *gen);
/* A reference to the current generation / drop one. */
struct gv_milter_gen *gv_milter_gen_get(struct gv_milter_state *st);
void gv_milter_gen_put(struct gv_milter_state *st, struct gv_milter_gen *gen);
/* The pool thread: restarts scanners that died, hands out the ones that
 * became ready, reaps processes and retired generations, and reloads on
 * SIGUSR1 (delivered through a signalfd; SIGUSR1 and SIGCHLD must be
 * blocked in every thread). Never returns. */
void *gv_milter_pool_thread(void *st);
/* Stops every scanner of every generation (worker exit). */
void gv_milter_pool_stop(struct gv_milter_state *st);

/* The job one message gives a scanner. */
struct gv_milter_job {
	const char *qid, *client_ip, *helo, *from;
	const char *const *rcpts;
	size_t n_rcpts;
	const unsigned char *data;
	size_t len;
};
enum gv_milter_scan_rc {
	GV_MILTER_SCAN_OK = 1,
	GV_MILTER_SCAN_ERROR,    /* the scanner answered with an error */
	GV_MILTER_SCAN_OVERLOAD, /* no scanner free within queue_timeout_ms */
	GV_MILTER_SCAN_CRASHED,  /* the scanner died on it (or hung past twice
				  * the time budget and was killed) */
};
/* Scans job on a free scanner of gen (waiting up to queue_timeout_ms). A
 * scanner lost under the message affects only this call: its slot is
 * marked dead and the pool thread starts a new one. The caller decides
 * about a retry (callbacks.c: once, and not for a known poison message). */
enum gv_milter_scan_rc gv_milter_scan(struct gv_milter_state *st,
				      struct gv_milter_gen *gen,
				      const struct gv_milter_job *job,
				      struct gv_pool *pool,
				      struct gv_milter_verdict *v);

/* ---- messages that keep killing scanners (crash.c) ---- */
/* How many scanner deaths one message (by digest) may cause, over all its
 * SMTP attempts, before it is quarantined without another scan. */
#define GV_MILTER_CRASH_LIMIT 3
void gv_milter_crash_init(struct gv_milter_state *st);
/* Counts n more scanner deaths for digest; returns the total so far. */
unsigned gv_milter_crash_note(struct gv_milter_state *st, uint64_t digest,
			      unsigned n);

/* ---- the scanner process (scanner.c) ---- */
/* Gives the protocol callbacks (callbacks.c) st as their shared state. */
void gv_milter_register(struct gv_milter_state *st);

/* ---- a scanner's intel recording and alerts (scanner-record.c) ---- */
struct gv_record;
struct gv_alerts;
struct gv_milter_scanner_record {
	struct gv_record *rec;     /* NULL: no intel.store in the config */
	struct gv_alerts *alerts;  /* NULL: no alerts: section */
	int lock_fd;               /* the claimed journal slot's lock */
};
/* Starts what the config asks for; problems are logged, never fatal (the
 * scan goes on). Indicator matching is wired into engine. */
void gv_milter_scanner_record_start(struct gv_milter_scanner_record *x,
				    const char *config_path,
				    struct gv_scan_engine *engine);
/* Records r and raises its alerts; called after the answer is sent. */
void gv_milter_scanner_record(struct gv_milter_scanner_record *x,
			      const struct gv_scan_result *r,
			      const struct gv_scan_envelope *env, const char *qid);
/* Drains the recorder (a journal left by a store that is down is replayed
 * by the next scanner claiming the slot). */
void gv_milter_scanner_record_stop(struct gv_milter_scanner_record *x);

/* The worker's alert delivery: a thread that flushes the outbox the
 * scanners queue into, when the config has an alerts: section (else no
 * thread). Runs until the process exits. */
void gv_milter_alerts_thread_start(const char *config_path);

#endif
