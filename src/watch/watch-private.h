/* Internals shared by the files of src/watch; not an interface. */
#ifndef GV_WATCH_PRIVATE_H
#define GV_WATCH_PRIVATE_H

#include "watch/watch.h"

#include <sys/types.h>

#define WATCH_MAX_IPS 8
#define WATCH_MAX_CLIENTS 4
#define WATCH_MAX_BOXES 8
#define WATCH_IP_LEN 48
#define WATCH_CLIENT_LEN 64
#define WATCH_BOX_LEN 64
#define WATCH_TAIL_LEN 256

/* Parser pieces (parse.c, parse-msg.c, parse-json.c). */
void gv_watch_limits_fill(struct gv_watch_limits *out,
			  const struct gv_watch_limits *in);
int64_t gv_watch_days_from_civil(int64_t y, unsigned m, unsigned d);
int64_t gv_watch_year_of(int64_t t);
int gv_watch_parse_message(const char *msg, const char *end,
			   const struct gv_watch_limits *lim,
			   struct gv_watch_event *ev);
int gv_watch_parse_json(const char *p, const char *end,
			const struct gv_watch_limits *lim,
			struct gv_watch_event *ev);

/* IMAP sequence sets (seqset.c). */
struct seqset_info {
	uint64_t count;   /* messages named; 0 when unknown ('*', no size) */
	uint64_t max_num; /* largest explicit number */
	bool whole;       /* 1:* or *:1 — every message of the mailbox */
	bool star;
};
/* Parses the set at the start of args (up to a space); size resolves '*'
 * (0 = unknown). Returns the length consumed, 0 when args has no set. */
size_t gv_watch_seqset(const char *args, size_t len, uint64_t size,
		       struct seqset_info *r);
/* True when FETCH items name message bodies (BODY[], BODY.PEEK[TEXT],
 * RFC822, BINARY[…]) rather than headers, flags or sizes. */
bool gv_watch_fetch_is_body(const char *items, size_t len);

/* Hash table of items whose first member is struct wkey (table.c). */
struct wkey {
	char *key;
	size_t len;
	uint64_t hash;
};
struct wtable {
	struct wkey **slots;
	size_t cap, count;
};
void wtable_init(struct wtable *t);
void wtable_free(struct wtable *t);
void *wtable_get(const struct wtable *t, const char *key, size_t len,
		 uint64_t hash);
void wtable_put(struct wtable *t, struct wkey *item);
void wtable_del(struct wtable *t, struct wkey *item);
uint64_t wtable_hash(const char *key, size_t len);

struct wbox {
	char name[WATCH_BOX_LEN];
	uint64_t size;
};

struct wuser {
	struct wkey k;
	double mean_msgs, mean_bytes, mean_day;
	uint32_t sessions, days;
	int64_t day;
	uint64_t day_msgs;
	int64_t win_start;
	uint64_t win_msgs;
	bool win_alerted;
	uint64_t total_size; /* largest count seen across a session */
	struct wbox boxes[WATCH_MAX_BOXES];
	char ips[WATCH_MAX_IPS][WATCH_IP_LEN];
	unsigned ip_next;
	char clients[WATCH_MAX_CLIENTS][WATCH_CLIENT_LEN];
	unsigned client_next;
	uint32_t hours[24];
	int64_t last_seen;
};

struct wsession {
	struct wkey k;
	struct wuser *user;
	char rip[WATCH_IP_LEN];
	char client[WATCH_CLIENT_LEN];
	char service[16];
	char mailbox[WATCH_BOX_LEN];
	bool multi_box;
	int64_t start, last;
	uint64_t fetch_msgs, fetch_bytes, body_count, body_bytes;
	uint64_t copy_cmd, copy_log, copy_bytes;
	bool fetch_whole, copy_whole;
	bool cmd_events;        /* imap_command_finished seen for it */
	unsigned alerted;       /* bit (1 << gv_watch_finding_kind) */
	uint64_t counted;       /* messages already added to the window */
};

struct wfile {
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	off_t off;       /* end of the last complete line consumed */
	bool have_saved; /* dev/ino/off came from the state file */
	struct gv_buf partial; /* read, not yet ended by '\n' */
	bool skipping;         /* discarding an over-long line */
	size_t skip_len;
	/* the last bytes consumed (before off): if they change, the file
	 * was truncated and written again (copytruncate) */
	unsigned char tail[WATCH_TAIL_LEN];
	size_t tail_len;
};

struct gv_watch {
	struct gv_watch_config cfg;
	char **ignore;
	size_t n_ignore;
	gv_watch_finding_fn *fn;
	void *fn_ctx;
	int64_t ref_time;
	struct wtable users, sessions;
	struct gv_watch_stats st;
	struct gv_watch_event ev;
	int64_t last_sweep, log_time;
	bool dirty;
	struct wfile *files;
	size_t n_files;
	/* saved positions not yet claimed by gv_watch_add_file */
	struct wfile *saved;
	size_t n_saved;
};

/* model.c */
struct wuser *watch_user_get(struct gv_watch *w, const char *name, size_t len,
			     bool create);
struct wsession *watch_session_new(struct gv_watch *w, const char *key,
				   size_t len, struct wuser *u);
void watch_session_end(struct gv_watch *w, struct wsession *s, bool learn);
void watch_copy_str(char *dst, size_t cap, const char *src, size_t len);
bool watch_user_knows_ip(const struct wuser *u, const char *ip);
bool watch_user_knows_client(const struct wuser *u, const char *c);
void watch_user_day(struct wuser *u, int64_t t, uint64_t add);

/* detect.c */
void watch_handle_event(struct gv_watch *w, const struct gv_watch_event *ev);
void watch_sweep(struct gv_watch *w, int64_t now);

/* follow.c: feed the complete lines of buf, keep the partial tail. */
long watch_consume(struct gv_watch *w, struct wfile *f, const char *data,
		   size_t len);

#endif
