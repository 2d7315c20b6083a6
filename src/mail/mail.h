/*
 * mail — the message model: a hostile RFC 5322 / MIME message parsed (with
 * GMime) into a pool-allocated tree of parts with decoded bodies, UTF-8 text,
 * decoded headers and addresses, the URLs it contains, and the structural
 * anomalies met on the way. Everything returned lives in the caller's pool
 * and is read-only for analyzers.
 *
 * Limits: every bound is in struct gv_mail_limits; hitting one adds an
 * anomaly ("limit.*") and parsing goes on with what fits — never a crash,
 * never a silent "clean".
 */
#ifndef GV_MAIL_H
#define GV_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* 0 in any field means the default given in the comment. */
struct gv_mail_limits {
	size_t max_message_bytes;  /* 64 MiB: bytes parsed; the rest is cut */
	size_t max_header_bytes;   /* 256 KiB: one header block, all fields */
	size_t max_headers;        /* 1000: fields in one header block */
	size_t max_parts;          /* 1000: MIME parts in the whole tree */
	size_t max_depth;          /* 32: nesting of multiparts/messages */
	size_t max_decoded_bytes;  /* 128 MiB: decoded bytes, all parts */
	size_t max_text_bytes;     /* 2 MiB: text kept per part for analysis */
	size_t max_urls;           /* 2000: URLs extracted per message */
	uint64_t time_budget_ms;   /* 10000: wall time for parse + analysis */
	uint64_t deadline_us;      /* absolute gv_now_us() deadline shared with
				      the caller's whole scan; 0: now + budget */
};
/* Fills every 0 field of *l with its default. */
void gv_mail_limits_apply_defaults(struct gv_mail_limits *l);

/* One structural problem or exceeded limit. code is stable ("mime.*",
 * "header.*", "limit.*"); part is a part path ("" = the message). */
struct gv_mail_anomaly {
	const char *code;
	const char *detail;
	const char *part;
};

struct gv_mail_header {
	const char *name;
	const char *value; /* RFC 2047 decoded, UTF-8, unfolded */
};

struct gv_mail_addr {
	const char *display; /* decoded display name, "" if none */
	const char *addr;    /* local@domain as written, lowercase domain */
	const char *domain;  /* lowercase, IDN as punycode; "" if none */
};

struct gv_mail_part {
	const char *path;          /* "1", "1.2", "1.2.1" */
	const char *content_type;  /* lowercase "type/subtype" */
	const char *charset;       /* declared, or NULL */
	const char *filename;      /* decoded (RFC 2231/2047), or NULL */
	const char *disposition;   /* "attachment"/"inline"/NULL */
	const char *encoding;      /* transfer encoding, lowercase, or NULL */
	int depth;
	bool is_multipart;
	bool is_message;           /* message/rfc822 container */
	bool is_attachment;        /* has a file name or attachment disposition */
	bool is_text;              /* text/plain or text/html body */
	bool is_html;
	/* Leaf parts: body with transfer encoding removed (binary safe). */
	const unsigned char *body;
	size_t body_len;
	/* text leaves: body converted to UTF-8 (capped at max_text_bytes). */
	const char *text;
	size_t text_len;
	/* HTML leaves: visible text with tags, scripts and styles removed. */
	const char *visible;
	size_t visible_len;
};

enum gv_url_source {
	GV_URL_HREF = 1,  /* <a href> */
	GV_URL_SRC,       /* src= of img/script/iframe */
	GV_URL_FORM,      /* <form action> */
	GV_URL_META,      /* meta refresh */
	GV_URL_CSS,       /* url() in style */
	GV_URL_TEXT,      /* written in text */
	GV_URL_BARE,      /* bare domain in text, no scheme */
};

/* URL flags: what de-obfuscation found. */
#define GV_URL_F_IP          (1u << 0) /* host is an IP literal */
#define GV_URL_F_IP_OBFUSC   (1u << 1) /* decimal/hex/octal IP form */
#define GV_URL_F_USERINFO    (1u << 2) /* user@host (brand.com@evil) */
#define GV_URL_F_IDN         (1u << 3) /* non-ASCII / punycode host */
#define GV_URL_F_PCT_HOST    (1u << 4) /* percent-encoded host */
#define GV_URL_F_ENTITY      (1u << 5) /* HTML entities in the URL */
#define GV_URL_F_BAD         (1u << 6) /* unparsable host */
#define GV_URL_F_NONSTD_PORT (1u << 7)
#define GV_URL_F_DATA        (1u << 8) /* data: URI */

struct gv_mail_url {
	const char *url;        /* normalized: scheme://host[:port]/path?query */
	const char *scheme;     /* lowercase */
	const char *host;       /* lowercase ASCII (punycode), IP dotted */
	const char *host_utf8;  /* Unicode form for IDN hosts, else = host */
	const char *registrable;/* eTLD+1 by the public suffix list, or host */
	const char *userinfo;   /* decoded userinfo or NULL */
	const char *anchor;     /* visible anchor text for GV_URL_HREF, or NULL */
	const char *part;       /* part path it came from */
	enum gv_url_source source;
	unsigned flags;
};

struct gv_mail_message {
	const unsigned char *raw;
	size_t raw_len;
	struct gv_mail_header *headers; /* top-level header block, in order */
	size_t n_headers;
	const char *subject;    /* decoded, "" if absent */
	const char *message_id; /* "" if absent */
	const char *date;       /* raw Date value, "" if absent */
	struct gv_mail_addr *from;     /* first From address or NULL */
	size_t n_from;
	struct gv_mail_addr *reply_to; /* first Reply-To or NULL */
	struct gv_mail_addr *return_path;
	struct gv_mail_addr *sender;
	struct gv_mail_addr *to;       /* To and Cc, in order */
	size_t n_to;
	const char **received_ips;     /* IPs in Received headers, top first */
	size_t n_received_ips;
	struct gv_mail_part *parts;    /* pre-order; parts[0] is the root */
	size_t n_parts;
	struct gv_mail_url *urls;
	size_t n_urls;
	struct gv_mail_anomaly *anomalies;
	size_t n_anomalies;
	uint64_t deadline_us;          /* gv_now_us() value when time runs out */
};

/* Library set-up; call once before any thread parses (idempotent). */
void gv_mail_init(void);

/* Parses data/len (a whole RFC 5322 message). Returns 1 and *msg_r (in
 * pool) on success — also for broken input, which shows up as anomalies;
 * -1 only on internal errors (*error_r says why). */
int gv_mail_parse(struct gv_pool *pool, const unsigned char *data, size_t len,
		  const struct gv_mail_limits *limits,
		  struct gv_mail_message **msg_r, const char **error_r);

/* First header named `name` (case-insensitive) or NULL. */
const char *gv_mail_header(const struct gv_mail_message *msg,
			   const char *name);
/* Number of headers named `name`. */
size_t gv_mail_header_count(const struct gv_mail_message *msg,
			    const char *name);

/* Adds an anomaly (used by the parser and by analyzers' limit checks). */
void gv_mail_add_anomaly(struct gv_pool *pool, struct gv_mail_message *msg,
			 const char *code, const char *part, const char *fmt,
			 ...) __attribute__((format(printf, 5, 6)));

/* ---- URLs (usable on their own: the fuzz target calls these) ---- */

/* Limits for the extractor; 0 = default. */
struct gv_url_limits {
	size_t max_urls;     /* 2000 */
	size_t max_url_len;  /* 8192: longer candidates are cut and flagged */
	size_t max_input;    /* 4 MiB of text/HTML per call */
};

/* Extracts URLs from HTML (href/src/action/meta refresh/url()/text) or
 * plain text (scheme URLs, www. and bare domains with a known TLD). New URLs
 * are appended to *urls (a pool array of capacity *cap, grown as needed).
 * Returns the number added; sets *truncated_r when max_urls was reached. */
size_t gv_url_extract(struct gv_pool *pool, const char *text, size_t len,
		      bool is_html, const char *part,
		      const struct gv_url_limits *limits,
		      struct gv_mail_url **urls, size_t *n, size_t *cap,
		      bool *truncated_r);

/* Parses and normalizes one URL string (entities, percent-encoding, IP
 * forms, userinfo, IDN). 1 ok, 0 not a URL. */
int gv_url_parse(struct gv_pool *pool, const char *s, size_t len,
		 struct gv_mail_url *url_r);

/* Registrable domain (eTLD+1) of an ASCII lowercase host, by Debian's
 * public suffix list; the host itself when it has none; pool copy. */
const char *gv_mail_registrable(struct gv_pool *pool, const char *host);

/* Converts HTML to visible text (tags, comments, script/style removed,
 * entities decoded, whitespace collapsed). Pool copy, NUL-terminated. */
const char *gv_html_to_text(struct gv_pool *pool, const char *html, size_t len,
			    size_t *len_r);

/* HTML tag iterator (tolerant: any '<' followed by a name or '/' starts a
 * tag; comments, doctype and CDATA are skipped). */
struct gv_html_tag {
	const char *name; /* not NUL-terminated */
	size_t name_len;
	bool closing;
	const char *attrs; /* raw attribute text */
	size_t attrs_len;
	const char *start; /* '<' of this tag */
};
/* Finds the next tag at or after *pos (< end); advances *pos past it.
 * 1 found, 0 no more tags. */
int gv_html_next_tag(const char **pos, const char *end,
		     struct gv_html_tag *tag_r);
/* Looks up attribute `name` (case-insensitive); 1 found (value without
 * quotes, not decoded), 0 absent. */
int gv_html_attr(const struct gv_html_tag *tag, const char *name,
		 const char **val_r, size_t *len_r);
bool gv_html_tag_is(const struct gv_html_tag *tag, const char *name);

/* Decodes HTML character references in s[0..len) into a pool string. */
const char *gv_html_decode_entities(struct gv_pool *pool, const char *s,
				    size_t len, size_t *len_r);

#endif
