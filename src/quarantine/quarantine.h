/*
 * quarantine — the durable store of held messages (the embedded default).
 *
 * Layout of a store directory (mode 0700, every file 0600):
 *   msg/ID.eml       the raw message exactly as the MTA handed it over
 *   msg/ID.json      its envelope and verdict (written after ID.eml)
 *   msg/ID.released  present once the message was released (a marker)
 *   index.sqlite     SQLite (WAL, synchronous=NORMAL) index for listing
 *
 * The files are the truth; the index is a cache rebuilt from them. A put
 * writes ID.eml then ID.json, each through a temp file, fsync and rename,
 * and fsyncs the directory, before the index row is added: when put
 * returns 1 the message survives a crash or power loss. After a crash
 * between the two files, ID.eml without ID.json is an incomplete put (the
 * MTA never got an answer and will retry) and is removed at the next open
 * once it is an hour old; a missing index row is added back at open.
 *
 * A store may be used from several threads (one SQLite connection guarded
 * by a mutex) and several processes (the milter writes while the CLI
 * lists; SQLite's locking plus a busy timeout).
 */
#ifndef GV_QUARANTINE_H
#define GV_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define GV_QUARANTINE_DEFAULT_DIR "/var/lib/geneva/quarantine"
#define GV_QUARANTINE_DEFAULT_SENDMAIL "/usr/sbin/sendmail"
/* Longest id; ids are [0-9A-Za-z-] only, so they are safe as file names. */
#define GV_QUARANTINE_ID_MAX 40

/* The `quarantine` section of the YAML config (docs/config.md). */
struct gv_quarantine_config {
	char *dir;      /* store directory */
	char *sendmail; /* local MTA injector used by release */
};
/* path NULL = defaults. 1 ok, -1 error with *error_r. */
int gv_quarantine_config_load(const char *path,
			      struct gv_quarantine_config **cfg_r,
			      const char **error_r);
void gv_quarantine_config_free(struct gv_quarantine_config **cfg);

/* One held message. Strings may be NULL when unknown (put) and are ""
 * rather than NULL when read back. */
struct gv_quarantine_entry {
	char id[GV_QUARANTINE_ID_MAX + 1]; /* set by put */
	int64_t received;                  /* unix seconds; 0 = now (put) */
	const char *queue_id;
	const char *sender;        /* envelope sender without <>; "" = null sender */
	const char *const *rcpts;  /* envelope recipients without <> */
	size_t n_rcpts;
	const char *client_ip;
	const char *helo;
	const char *subject;
	const char *action;        /* "quarantine", or what the policy said */
	int score;
	const char *reasons;       /* short, comma-separated rule ids */
	const char *verdict_json;  /* scan result JSON object (docs/scan-json.md) */
	uint64_t size;             /* bytes of the raw message (set by put) */
	int64_t released;          /* 0 = held, else unix seconds of the release */
};

struct gv_quarantine;

/* Opens (creating when missing) the store in dir and reconciles the index
 * with the files (see above). 1 ok, -1 error with *error_r. */
int gv_quarantine_open(const char *dir, struct gv_quarantine **q_r,
		       const char **error_r);
void gv_quarantine_close(struct gv_quarantine **q);

/* Stores the raw message and e durably (see above) and writes the new id
 * into e->id. 1 ok, -1 error (nothing the caller may rely on was stored:
 * the MTA must be told to retry). Thread-safe. */
int gv_quarantine_put(struct gv_quarantine *q, struct gv_quarantine_entry *e,
		      const unsigned char *data, size_t len,
		      const char **error_r);

/* 1 when id is syntactically valid ([0-9A-Za-z-], 1..GV_QUARANTINE_ID_MAX). */
bool gv_quarantine_id_valid(const char *id);

/* Reads one entry (strings and verdict JSON in pool) and, when data_r is
 * not NULL, the raw message (gv_malloc'ed, the caller frees it).
 * 1 found, 0 no such id (or an invalid id), -1 error. */
int gv_quarantine_get(struct gv_quarantine *q, struct gv_pool *pool,
		      const char *id, struct gv_quarantine_entry *e_r,
		      unsigned char **data_r, size_t *len_r,
		      const char **error_r);

/* Every entry, newest first, strings in pool (verdict_json is NULL here:
 * use get for it). 1 ok, -1 error. */
int gv_quarantine_list(struct gv_quarantine *q, struct gv_pool *pool,
		       struct gv_quarantine_entry **entries_r, size_t *n_r,
		       const char **error_r);

/* Removes an entry and its files. 1 removed, 0 no such id, -1 error. */
int gv_quarantine_delete(struct gv_quarantine *q, const char *id,
			 const char **error_r);

/* The entry as one line of JSON (the sidecar's format; "released" added
 * when with_released). free it with free() (jansson allocates it). */
char *gv_quarantine_entry_to_json(const struct gv_quarantine_entry *e,
				  bool with_released);

/* Re-injects the original message through the local MTA: runs
 * `SENDMAIL -i -f SENDER -- RCPT...` (no shell; each value is one argv
 * element) with the message on its standard input, preceded by one added
 * header `X-Geneva-Released: ID`, then marks the entry released. The MTA
 * delivers it unchanged apart from that header and its own trace headers.
 * 1 released, 0 no such id, -1 error (sendmail failed: nothing marked).
 * The caller ignores SIGPIPE. */
int gv_quarantine_release(struct gv_quarantine *q, const char *id,
			  const char *sendmail, const char **error_r);

#endif
