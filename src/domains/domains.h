/*
 * domains — domain defense: normalization (IDNA, public suffix, confusable
 * skeleton), a permutation generator (what dnstwist generates), the brand
 * index that finds lookalikes of protected brands, the RPZ zone writer and
 * the X-ARF abuse report.
 *
 * The brand index is shared: `geneva domains watch` runs newly seen domains
 * through it, and the scan engine runs sender and link domains of a message
 * through the same index. It is built once (add/allow), then it is
 * read-only: gv_brand_index_match() may be called from many threads at once
 * on a built index, without locks.
 *
 * Process-wide state (the public suffix list and the ICU spoof checker) is
 * loaded once, on first use, behind a pthread_once; the file it reads can be
 * chosen with gv_domains_set_psl_file() before that.
 *
 * Conventions: -1 error / bad input, 0 not found, 1 ok / found; error text in
 * `const char **error_r` points to static storage.
 */
#ifndef GV_DOMAINS_H
#define GV_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/util.h"

/* Longest domain name in A-label (ASCII) form, without the trailing dot. */
#define GV_DOMAIN_MAX 253
/* Longest U-label (UTF-8) form we keep: 63 code points of up to 4 bytes per
 * label would be more, but names beyond this are not registrable anyway. */
#define GV_DOMAIN_UMAX 1024

/* Limits for everything that parses untrusted input in this module.
 * 0 in any field means the documented default. */
struct gv_domains_limits {
	size_t max_input_len;	 /* bytes of one input name (UTF-8 or ASCII);
				    0 = 1024 */
	size_t max_line_len;	 /* bytes of one feed line; 0 = 4096 */
	size_t max_brands;	 /* brands in one index; 0 = 100000 */
	size_t max_permutations; /* names from one permute call; 0 = 200000 */
	size_t max_candidates;	 /* brands verified per match call; 0 = 64 */
	size_t max_rdap_len;	 /* bytes of one saved RDAP answer; 0 = 4 MiB */
	/* Matches scoring below this are not reported (0 = 70). The default
	 * leaves out a brand of fewer than 8 letters next to arbitrary words
	 * or neutral keywords in a label (googleapps.com: 60), another head
	 * before a head + word brand's word (isbank.com for usbank: 60) and
	 * a distant brand inside a subdomain label (55); a brand next to a
	 * strong phishing keyword (85), a long brand next to any word (70),
	 * typos (75-90), homoglyphs (95), TLD swaps (75) and the brand as a
	 * whole subdomain label (85) are reported. */
	unsigned min_score;
};

/* Chooses the public suffix list file (Debian `publicsuffix`); must be
 * called before the first use of the module. NULL = the default
 * /usr/share/publicsuffix/public_suffix_list.dat. */
void gv_domains_set_psl_file(const char *path);
/* Loads the process-wide state now (otherwise done on first use).
 * 1 ok, -1 error (e.g. the suffix list is unreadable). */
int gv_domains_init(const char **error_r);

/* ---- normalization ---- */

/* A normalized domain name. All strings are NUL-terminated. */
struct gv_domain_name {
	char ascii[GV_DOMAIN_MAX + 1];	 /* A-label form, lowercase, no final dot */
	char unicode[GV_DOMAIN_UMAX];	 /* U-label form (UTF-8, lowercase) */
	size_t ascii_len, unicode_len;
	/* Offsets into `ascii`: where the registrable domain and the public
	 * suffix start. registrable_off == ascii_len when the name is itself a
	 * public suffix (or one label under no known suffix): then the whole
	 * name is treated as "label part" and the suffix is empty. */
	size_t registrable_off, suffix_off;
	bool idn; /* some label is an IDN (xn-- or non-ASCII input) */
};

/* Normalizes one name: trims spaces and a final dot, strips a leading
 * "*." or ".", lowercases, checks the LDH/IDNA syntax, converts between
 * A-labels and U-labels (libidn2), and finds the public suffix (libpsl).
 * Accepts a URL-less host only. 1 ok, -1 bad input (*error_r says why). */
int gv_domain_normalize(const char *name, size_t len,
			const struct gv_domains_limits *limits,
			struct gv_domain_name *out_r, const char **error_r);

/* Writes the registrable domain (A-label form, e.g. "example.co.uk" for
 * "a.b.example.co.uk") to out. 1 ok, 0 the name has no registrable part
 * (it is a public suffix), -1 bad input or out too small. */
int gv_domain_registrable(const char *name, size_t len, char *out,
			  size_t out_size, const char **error_r);

/* Confusable key of a UTF-8 string: lowercase, Unicode TR39 skeleton (ICU
 * uspoof), lowercase, skeleton again, then combining marks dropped (so
 * "pàypal", "paypa1" and "pаypal" with a Cyrillic а share "paypal"'s key).
 * Writes a NUL-terminated key; returns its length, or -1 for invalid UTF-8,
 * an ICU error or out too small. ASCII input takes a table-driven path that
 * gives the same result as ICU (checked by a unit test). */
int gv_domain_key(const char *utf8, size_t len, char *out, size_t out_size);

/* ---- techniques ---- */

enum gv_domain_technique {
	GV_TECH_NONE = 0,
	GV_TECH_ADDITION,	/* a character appended: paypala */
	GV_TECH_BITSQUATTING,	/* one bit flipped: paypel */
	GV_TECH_HOMOGLYPH,	/* ASCII lookalikes: paypa1, rnicrosoft */
	GV_TECH_IDN_HOMOGLYPH,	/* Unicode lookalikes (IDN, Cyrillic) */
	GV_TECH_HYPHENATION,	/* pay-pal */
	GV_TECH_INSERTION,	/* a character inserted: payopal */
	GV_TECH_OMISSION,	/* a character dropped: paypl */
	GV_TECH_REPETITION,	/* a character doubled: paypaal */
	GV_TECH_REPLACEMENT,	/* a neighbouring key: paypsl */
	GV_TECH_SUBDOMAIN,	/* a dot inserted: pay.pal.com */
	GV_TECH_TRANSPOSITION,	/* two neighbours swapped: paypla */
	GV_TECH_VOWEL_SWAP,	/* paypol */
	GV_TECH_DICTIONARY,	/* brand plus a word: paypal-login */
	GV_TECH_TLD_SWAP,	/* paypal.net for paypal.com */
	GV_TECH_PLURAL,		/* paypals */
	GV_TECH_VARIOUS,	/* dnstwist's "various": paypalcom.com */
	GV_TECH_BRAND_IN_LABEL,	/* the brand inside a longer label */
	GV_TECH_BRAND_IN_SUBDOMAIN, /* login.paypal.com.evil.ru */
	GV_TECH_EDIT_DISTANCE,	/* a near miss not named above */
	GV_TECH_TRUNCATION,	/* the brand cut short next to a lure word:
				   ether-claim for ethereum */
	GV_TECH_COUNT
};

/* Stable lowercase name ("addition", "tld-swap", ...); "none" for NONE. */
const char *gv_domain_technique_name(enum gv_domain_technique t);
/* Inverse of the above; GV_TECH_NONE when unknown. */
enum gv_domain_technique gv_domain_technique_parse(const char *name);

/* ---- permutation generator ---- */

struct gv_permutation {
	const char *domain; /* A-label form when IDN; in the caller's pool */
	enum gv_domain_technique technique;
};

struct gv_permute_opts {
	/* Words for GV_TECH_DICTIONARY; NULL = a built-in list of phishing
	 * keywords (login, secure, account, ...). */
	const char *const *words;
	size_t n_words;
	/* Suffixes for GV_TECH_TLD_SWAP; NULL = a built-in list of common
	 * TLDs. */
	const char *const *tlds;
	size_t n_tlds;
	/* Bit mask of (1u << technique); 0 = all techniques. */
	uint32_t techniques;
};

/* Generates the lookalike set of `domain` (deduplicated, without the
 * domain itself). Results live in `pool`. 1 ok, 0 the limit
 * max_permutations was reached (the list is truncated), -1 bad input. */
int gv_domain_permute(const char *domain, size_t len,
		      const struct gv_permute_opts *opts,
		      const struct gv_domains_limits *limits,
		      struct gv_pool *pool, struct gv_permutation **list_r,
		      size_t *count_r, const char **error_r);

/* ---- brand index ---- */

struct gv_brand_index;

struct gv_brand_match {
	const char *brand; /* the brand domain as added; owned by the index */
	enum gv_domain_technique technique;
	unsigned score;	   /* 1..100, higher = closer imitation; see
			      gv_domains_limits.min_score */
	unsigned distance; /* edit distance in confusable-key space */
	/* Registrable domain of the matched name (A-label form). */
	char registrable[GV_DOMAIN_MAX + 1];
};

/* limits may be NULL (defaults); it is copied. Never returns NULL. */
struct gv_brand_index *gv_brand_index_new(const struct gv_domains_limits *limits);
void gv_brand_index_free(struct gv_brand_index **idx);

/* Adds a protected brand by its domain ("paypal.com"; a subdomain such as
 * "launchpad.ethereum.org" protects the label "ethereum"). The brand's
 * registrable domain is its own and never reported. 1 added, 0 already
 * present, -1 bad domain, max_brands reached or the index already built
 * (by gv_brand_index_build or a first match). */
int gv_brand_index_add(struct gv_brand_index *idx, const char *brand_domain,
		       const char **error_r);
/* Declares a domain owned by `brand_domain` (which must have been added):
 * never reported. "name.*" means that name under every public suffix
 * (google.* owns google.de, google.co.uk, ...). 1 ok, -1 bad input. */
int gv_brand_index_own(struct gv_brand_index *idx, const char *brand_domain,
		       const char *owned, const char **error_r);
/* Allow-list: this name and every name under it (not its whole
 * registrable domain: allow-lists name hosts on shared domains), or
 * "name.*", is never reported whatever brand it resembles. 1 ok, -1 bad. */
int gv_brand_index_allow(struct gv_brand_index *idx, const char *domain,
			 const char **error_r);
/* Reads a brand file: one brand per line, "brand.com [owned ...]", '#'
 * comments; lines starting with '!' are allow-list entries. 1 ok, -1 error
 * (*error_r is "line N: reason", valid until the next load in this
 * thread). */
int gv_brand_index_load(struct gv_brand_index *idx, const char *data,
			size_t len, const char **error_r);
/* Finishes the build (done automatically by the first match, but that is
 * not thread-safe: call this before sharing the index between threads). */
void gv_brand_index_build(struct gv_brand_index *idx);
size_t gv_brand_index_count(const struct gv_brand_index *idx);

/* Looks `domain` (len bytes, ASCII or UTF-8, A- or U-labels) up. 1 found
 * (m_r filled with the best match), 0 not a lookalike (or the brand's own
 * or allow-listed), -1 bad input. Thread-safe on a built index. */
int gv_brand_index_match(const struct gv_brand_index *idx, const char *domain,
			 size_t len, struct gv_brand_match *m_r);

/* ---- RPZ zone (Unbound, BIND) ---- */

enum gv_rpz_action {
	GV_RPZ_CNAME,	 /* CNAME to the sinkhole host */
	GV_RPZ_ADDRESS,	 /* fixed A and/or AAAA */
	GV_RPZ_NXDOMAIN, /* CNAME . */
};

struct gv_rpz_opts {
	const char *origin;	   /* zone name, e.g. "rpz.local" */
	enum gv_rpz_action action;
	const char *sinkhole_host; /* for GV_RPZ_CNAME */
	const char *a, *aaaa;	   /* for GV_RPZ_ADDRESS (either may be NULL) */
	uint32_t ttl;		   /* 0 = 300 */
	bool wildcard;		   /* also sinkhole every name under each */
};

/* Next SOA serial in YYYYMMDDnn form, always greater than old. */
uint32_t gv_rpz_next_serial(uint32_t old, time_t now);
/* Finds the SOA serial in an existing zone text. 1 found, 0 not. */
int gv_rpz_parse_serial(const char *zone, size_t len, uint32_t *serial_r);
/* Writes a complete zone for `domains` (normalized A-label names, deduped
 * by the writer) into out. 1 ok, -1 bad options or out's max reached. */
int gv_rpz_write(const struct gv_rpz_opts *opts, const char *const *domains,
		 size_t n, uint32_t serial, struct gv_buf *out,
		 const char **error_r);

/* ---- takedown: X-ARF v4 abuse report in an RFC 5322 message ---- */

struct gv_abuse_contact {
	const char *registrar; /* may be NULL */
	const char *email;     /* abuse address */
};

struct gv_abuse_evidence {
	const char *domain;
	const char *brand;
	enum gv_domain_technique technique;
	unsigned score;
	time_t first_seen;
};

struct gv_abuse_opts {
	const char *from;	  /* reporter address */
	const char *reporter_org; /* reporter organisation */
	time_t now;		  /* report date (0 = time(NULL)) */
};

/* ---- saved RDAP answers (RFC 9083; nothing here touches the network) ---- */

/* Extracts the registrar name and abuse e-mail from a saved RDAP domain
 * answer (JSON). limits may be NULL. Strings live in pool. 1 found, 0 no
 * abuse address, -1 not RDAP JSON or over limits. */
int gv_abuse_contact_from_rdap(const char *json, size_t len,
			       const struct gv_domains_limits *limits,
			       struct gv_pool *pool,
			       struct gv_abuse_contact *contact_r,
			       const char **error_r);

/* Who registered a domain: the "registrant" entity's vCard and the
 * registrar. A value that is redacted or names a privacy or proxy service
 * is left NULL: it says nothing about the owner. */
struct gv_rdap_registrant {
	const char *org;	  /* organisation, normalised: lower case, words
				     only, company forms dropped ("Microsoft
				     Corporation" -> "microsoft") */
	const char *email_domain; /* domain of the registrant's e-mail, lower
				     case */
	const char *registrar;	  /* "iana:292" (IANA Registrar ID), else
				     "name:" and its normalised name */
};

/* Reads the registrant of a saved RDAP domain answer. limits may be NULL;
 * strings live in pool. 1 an organisation or e-mail was found, 0 none
 * (absent, redacted or a privacy service), -1 not RDAP JSON or over
 * limits. */
int gv_rdap_registrant(const char *json, size_t len,
		       const struct gv_domains_limits *limits,
		       struct gv_pool *pool, struct gv_rdap_registrant *r,
		       const char **error_r);

/* Whether a lookalike was registered by the protected brand itself, from
 * both RDAP answers: the same registrar, and the same organisation or a
 * registrant e-mail at the brand's registrable domain. Registrars do not
 * check an organisation's name and anyone can have a mailbox at a mail
 * provider, so neither counts alone: the registrar is what an impostor
 * cannot choose when the brand uses a corporate registrar (MarkMonitor,
 * CSC) that vets its clients. With a retail registrar this is as strong as
 * that registrar's checks: docs/domains.md. */
bool gv_rdap_brand_owned(const struct gv_rdap_registrant *name,
			 const struct gv_rdap_registrant *brand,
			 const char *brand_registrable);

/* Writes the report message (headers, a readable text part and the X-ARF
 * JSON part) to out. 1 ok, -1 bad input or out's max reached. */
int gv_abuse_report_write(const struct gv_abuse_opts *opts,
			  const struct gv_abuse_contact *to,
			  const struct gv_abuse_evidence *ev,
			  struct gv_buf *out, const char **error_r);

/* ---- feeds of newly seen domains ---- */

struct gv_feed_stats {
	uint64_t files;	   /* files (or streams) read */
	uint64_t lines;	   /* lines seen */
	uint64_t too_long; /* lines over max_line, skipped */
};

/* Called for each line (without its newline; not NUL-terminated). Return
 * -1 to stop reading. */
typedef int gv_feed_line_fn(void *ctx, const char *line, size_t len);

/* Reads plain or gzip text from fd. 1 ok, -1 read error. */
int gv_domains_feed_fd(int fd, size_t max_line, gv_feed_line_fn *fn,
		       void *ctx, struct gv_feed_stats *st, const char **error_r);
/* "-" = standard input; a folder = each regular non-hidden file in name
 * order; otherwise one file. 1 ok, -1 error. */
int gv_domains_feed_path(const char *path, size_t max_line,
			 gv_feed_line_fn *fn, void *ctx,
			 struct gv_feed_stats *st, const char **error_r);
/* Reads the files of dir, then each file closed after writing or moved
 * into it (inotify), until *stop becomes non-zero or, when
 * idle_exit_seconds > 0, no new file came for that long. 1 ok, -1 error. */
int gv_domains_feed_follow(const char *dir, unsigned idle_exit_seconds,
			   volatile const int *stop, size_t max_line,
			   gv_feed_line_fn *fn, void *ctx,
			   struct gv_feed_stats *st, const char **error_r);

/* ---- configuration: the `domains:` section of geneva.yaml ---- */

struct gv_domains_config {
	const char *brands_file;     /* NULL = none (--brands is then needed) */
	const char *rdap_dir;	     /* saved RDAP answers for watch; NULL = none */
	const char *const *allow;    /* allow-listed domains */
	size_t n_allow;
	unsigned min_score;	     /* 0 = 70 */
	size_t max_line;	     /* 0 = 4096 */
	/* rpz */
	const char *rpz_zone_file;   /* NULL = none (--zone needed) */
	struct gv_rpz_opts rpz;	     /* origin default "rpz.local" */
	const char *unbound_control; /* program; NULL = "unbound-control" */
	const char *unbound_control_config; /* its -c FILE, may be NULL */
	/* report */
	const char *report_from, *report_org;
	const char *abuse_contact;   /* used when no RDAP file is given */
};

/* Loads the section (a missing file or section = defaults). *storage_r
 * owns the strings until gv_domains_config_free. 1 loaded, 0 no file,
 * -1 error. */
int gv_domains_config_load(const char *path, struct gv_domains_config *c,
			   void **storage_r, const char **error_r);
void gv_domains_config_free(void **storage);

#endif
