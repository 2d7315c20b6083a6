/*
 * milter — `geneva milter`: the scan engine behind Postfix or Sendmail
 * speaking the milter protocol (own implementation, server.c; docs/milter.md).
 *
 * Process model: a supervisor (no parsing, no network) forks one worker and
 * forks a new one whenever the worker dies. The worker opens the milter
 * socket, drops root, and serves every MTA connection on a thread of its own;
 * it parses no mail. Scans run in a pool of single-threaded scanner
 * processes (one engine each, fork + exec of this binary), one message at
 * a time, so a crash while scanning costs only that message: it is
 * retried once on another scanner and the dead one is restarted. SIGHUP
 * starts a new pool and swaps it in; sessions still scanning finish on the
 * old one. SIGTERM stops accepting, lets the sessions in flight finish
 * (bounded), then exits.
 *
 * Promise kept to the MTA: a message is accepted, tagged, quarantined (the
 * message durably stored before the answer) or rejected, each with one log
 * line; anything else (overload, internal error) is a tempfail unless the
 * configuration says failure_mode: accept.
 */
#ifndef GV_MILTER_H
#define GV_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan/scan.h"
#include "util/util.h"

enum gv_milter_failure { GV_MILTER_FAIL_TEMPFAIL = 0, GV_MILTER_FAIL_ACCEPT };
enum gv_milter_qmode { GV_MILTER_Q_DISCARD = 0, GV_MILTER_Q_HOLD };

/* The `milter` section of the YAML config (docs/config.md). */
struct gv_milter_config {
	char *socket;            /* inet:PORT@HOST, inet6:PORT@HOST, unix:/path */
	char *socket_group;      /* unix socket's group; NULL = the user's */
	char *user;              /* NULL = "geneva" if it exists, else "nobody" */
	char *pidfile;           /* written in background mode */
	unsigned scanners;       /* engines = concurrent scans; 0 = CPUs */
	unsigned max_sessions;   /* more concurrent SMTP sessions tempfail */
	unsigned queue_timeout_ms; /* wait for a free engine, then tempfail */
	uint64_t max_message_bytes; /* 0 = scan.limits.max_message_bytes */
	bool oversize_tempfail;  /* else reject (552) */
	enum gv_milter_failure failure_mode;
	enum gv_milter_qmode quarantine_mode;
	bool add_headers;        /* X-Geneva-* on every delivered message */
	char *subject_prefix;    /* "" = none; added when the verdict is tag */
	unsigned timeout_s;      /* I/O timeout per MTA command */
	unsigned shutdown_grace_s; /* SIGTERM: wait this long for sessions */
	bool syslog;             /* log to syslog (always in background) */
};
/* path NULL = defaults. 1 ok, -1 error with *error_r. */
int gv_milter_config_load(const char *path, struct gv_milter_config **cfg_r,
			  const char **error_r);
void gv_milter_config_free(struct gv_milter_config **cfg);

struct gv_milter_options {
	const char *config_path; /* NULL = built-in defaults */
	const char *socket;      /* overrides milter.socket */
	bool foreground;         /* else daemonize and write the pidfile */
	const char *pidfile;     /* overrides milter.pidfile */
	const char *user;        /* overrides milter.user */
};
/* Runs the daemon until SIGTERM/SIGINT. Returns the process exit status
 * (0 clean stop, 2 start-up error, printed as one line on stderr). */
int gv_milter_main(const struct gv_milter_options *opts);

/* ---- helpers (milter-private in spirit; public so they are unit-tested) ---- */

/* Copies an SMTP address argument without its angle brackets and ESMTP
 * parameters ("<a@b> SIZE=1" -> "a@b"; "<>" -> ""), into pool. */
char *gv_milter_addr(struct gv_pool *pool, const char *arg);

/* The X-Geneva-Reasons value: up to max_reasons "rule(score)" items with a
 * positive score, comma-separated, printable ASCII, at most max_len bytes
 * (cut at an item boundary). "" when there is none. Pool string. */
char *gv_milter_reasons(struct gv_pool *pool, const struct gv_scan_result *r,
			size_t max_reasons, size_t max_len);

/* Text safe in an SMTP reply or a header: printable ASCII only (others
 * become '?'), no '%' (MTAs format replies), at most max bytes. */
char *gv_milter_safe_text(struct gv_pool *pool, const char *s, size_t max);

/* A log value: as is when it is non-empty printable ASCII without space,
 * quote, backslash or '='; else in double quotes with \" \\ and \xNN
 * escapes. Capped at max bytes of input. Pool string. */
char *gv_milter_logval(struct gv_pool *pool, const char *s, size_t max);

/* Appends one header as it was on the wire: "name:" value CRLF. value is
 * what the MTA passed (with leadspc false, the space after the colon was
 * stripped and is put back); bare LF inside a folded value becomes CRLF.
 * 1 ok, -1 the buffer's max was hit. */
int gv_milter_append_header(struct gv_buf *msg, const char *name,
			    const char *value, bool leadspc);

/* A digest of a message that stays the same when its sender retries it:
 * the header fields except Received (which the MTA adds per attempt), the
 * body and the envelope sender, hashed with seed. */
uint64_t gv_milter_digest(const unsigned char *msg, size_t len, const char *from,
			  uint64_t seed);

/* The scanner process (`geneva milter --scanner-fd FD`, started by the
 * worker only): scans the requests it reads on fd until EOF. Returns the
 * exit status. */
int gv_milter_scanner_main(const char *config_path, int fd, uint64_t max_message,
			   bool syslog);

#endif
