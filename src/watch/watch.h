/*
 * watch — mailbox-access watcher: reads IMAP/POP3 server logs (Dovecot 2.3
 * first), keeps a behaviour baseline per user and reports when a session or
 * a time window downloads or copies a large share of a mailbox.
 *
 * Pieces, lowest first:
 *   - gv_watch_parse_line(): one log line -> one event (pure, no state);
 *   - struct gv_watch: sessions, user baselines, detector; fed line by line;
 *   - log following (rotation, truncation) and a state file so a restart
 *     neither misses nor repeats a finding.
 *
 * The watcher does not send anything itself: findings go to a callback
 * (the CLI turns them into alerts of src/respond). Times are Unix seconds.
 */
#ifndef GV_WATCH_H
#define GV_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Limits for hostile input; 0 in a field means the documented default. */
struct gv_watch_limits {
	size_t max_line;      /* 0 = 65536 bytes; a longer line is garbage */
	size_t json_depth;    /* 0 = 8; deeper JSON events are garbage */
	size_t max_users;     /* 0 = 100000 users tracked at once */
	size_t max_sessions;  /* 0 = 200000 open sessions at once */
};

enum gv_watch_ev_type {
	GV_WEV_NONE = 0,
	GV_WEV_LOGIN,   /* imap-login: Login: user=<u>, rip=…, session=<…> */
	GV_WEV_LOGOUT,  /* imap(u)…: Disconnected: … body_count=N body_bytes=N */
	GV_WEV_COPY,    /* mail_log: imap(u)…: copy from SRC: box=DST, size=N */
	GV_WEV_COMMAND, /* event exporter: {"event":"imap_command_finished",…} */
	GV_WEV_CLIENT,  /* imap_id_log: imap(u)…: ID sent: name=…, version=… */
};

/* One parsed line. Strings point into the line (or into `scratch` when a
 * JSON string had escapes): valid until the next parse into this struct.
 * Absent strings have len 0. */
struct gv_watch_event {
	enum gv_watch_ev_type type;
	int64_t time;              /* from the line's timestamp prefix */
	struct gv_str service;     /* "imap", "pop3", "imap-login", "stats" */
	struct gv_str user;
	struct gv_str session;     /* session=<…> or the <pid><session> tag */
	struct gv_str pid;         /* mpid= or the <pid> tag */
	struct gv_str rip;
	struct gv_str client;      /* CLIENT: "name version" */
	/* LOGOUT counters (POP3 retr=N/B maps to body_count/body_bytes). */
	uint64_t body_count, body_bytes, hdr_count, hdr_bytes, bytes_out;
	/* COPY: source and destination mailbox, message size */
	struct gv_str box_from, box_to;
	uint64_t size;
	/* COMMAND */
	struct gv_str cmd_name, cmd_args, reply_state, reply, mailbox;
	char scratch[1024];
	size_t scratch_used;
};

/* Parses one log line (without its '\n'). ref_time (Unix seconds, usually
 * now) supplies the year for syslog timestamps that lack one.
 * Returns 1 with *ev_r filled for an event of interest, 0 for a blank or
 * well-formed line that carries nothing for the watcher, -1 for garbage
 * (no known timestamp, over max_line, malformed event). Never crashes or
 * reads outside [data, data+len). */
int gv_watch_parse_line(const unsigned char *data, size_t len,
			const struct gv_watch_limits *limits, int64_t ref_time,
			struct gv_watch_event *ev_r);

/* ---- detector ---- */

struct gv_watch_config {
	double share_threshold;    /* 0 = 0.5: share of a mailbox that alerts */
	uint32_t min_messages;     /* 0 = 50: fewer messages never alert */
	uint32_t bulk_messages;    /* 0 = 200: alert count when size unknown */
	uint64_t min_bytes;        /* 0 = 1 MiB: whole-mailbox FETCH w/o count */
	uint32_t mailbox_messages; /* 0 = learn only: assumed mailbox size */
	double baseline_factor;    /* 0 = 3: "usual" means <= factor x mean */
	uint32_t window_seconds;   /* 0 = 86400: per-user accumulation window */
	uint32_t session_timeout;  /* 0 = 86400: forget sessions w/o logout */
	int work_hour_start;       /* hours [start, end) are usual before a */
	int work_hour_end;         /* user has history; both 0 = 7..19 */
	const char *const *ignore_copy_to; /* destinations not counted */
	size_t n_ignore_copy_to;   /* 0 = Trash, Junk, Spam, Deleted Items */
	struct gv_watch_limits limits;
};

enum gv_watch_finding_kind {
	GV_WATCH_DOWNLOAD, /* one session fetched message bodies in bulk */
	GV_WATCH_COPY,     /* one session copied/moved messages in bulk */
	GV_WATCH_WINDOW,   /* many sessions within window_seconds */
};

/* Severity uses the scale of respond.h: 0 info .. 4 critical. */
struct gv_watch_finding {
	enum gv_watch_finding_kind kind;
	int severity;
	const char *user, *session, *rip, *client, *mailbox, *service;
	int64_t time;          /* log time of the line that triggered it */
	int64_t session_start; /* 0 when unknown */
	uint64_t messages;     /* 0 when unknown (whole-mailbox FETCH) */
	uint64_t bytes;
	uint64_t mailbox_messages; /* 0 when unknown */
	double share;          /* -1 when unknown */
	bool whole_mailbox, new_ip, new_client, unusual_hour;
	uint64_t usual_messages; /* user's mean per session (0 = no history) */
	const char *dedup_key; /* stable across restarts and replays */
};

/* Called for each finding; f and its strings are valid only during the
 * call (they point into the session, which may end right after). */
typedef void gv_watch_finding_fn(void *ctx, const struct gv_watch_finding *f);

struct gv_watch_stats {
	uint64_t lines, events, ignored, garbage, blank;
	uint64_t findings, sessions_open, users, sessions_dropped;
	uint64_t bytes;
};

/* cfg is copied (strings too). fn may be NULL. */
struct gv_watch *gv_watch_new(const struct gv_watch_config *cfg,
			      gv_watch_finding_fn *fn, void *ctx);
void gv_watch_free(struct gv_watch **w);
/* Year reference for timestamps without a year (default: wall clock). */
void gv_watch_set_ref_time(struct gv_watch *w, int64_t ref_time);
/* Parses and evaluates one line; returns what gv_watch_parse_line did. */
int gv_watch_feed_line(struct gv_watch *w, const unsigned char *line,
		       size_t len);
void gv_watch_get_stats(const struct gv_watch *w, struct gv_watch_stats *r);

/* ---- log files and state ---- */

/* Adds a log file to follow. Its saved position (from gv_watch_state_load)
 * is used when one exists, else it is read from the start. */
void gv_watch_add_file(struct gv_watch *w, const char *path);
/* Reads whatever is new in every file, handling rotation (new inode: the
 * old file is read to its end first, also across restarts when it sits
 * beside the log as NAME.1 or NAME-*) and truncation (start again at 0).
 * Only complete lines are consumed. Returns the number of lines consumed,
 * -1 on a read error (error_r names the file). A missing file is not an
 * error (it may be being rotated). */
long gv_watch_poll(struct gv_watch *w, const char **error_r);

/* State file: positions, user baselines and open sessions, as JSON.
 * save writes atomically (temp file, fsync, rename). load: 1 loaded,
 * 0 no file (fresh start), -1 unreadable or invalid (error_r). */
int gv_watch_state_save(struct gv_watch *w, const char *path,
			const char **error_r);
int gv_watch_state_load(struct gv_watch *w, const char *path,
			const char **error_r);
/* True when something changed since the last save. */
bool gv_watch_state_dirty(const struct gv_watch *w);

/* ---- configuration (the `watch:` section of geneva.yaml) ---- */
struct gv_watch_file_config {
	struct gv_watch_config detector;
	const char *state_file;      /* NULL = /var/lib/geneva/watch.state */
	const char *const *logs;     /* log files when none are given */
	size_t n_logs;
	uint32_t poll_ms;            /* 0 = 200: follow-mode poll interval */
};
/* Strings live in *storage_r: free with gv_watch_config_free() after the
 * last use of fc (gv_watch_new copies what it keeps). 1 ok, 0 no such
 * file (all defaults), -1 error (error_r). */
int gv_watch_config_load(const char *path, struct gv_watch_file_config *fc,
			 void **storage_r, const char **error_r);
void gv_watch_config_free(void **storage);

#endif
