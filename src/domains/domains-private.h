/* Internals shared by the files of src/domains/ (not a public interface). */
#ifndef GV_DOMAINS_PRIVATE_H
#define GV_DOMAINS_PRIVATE_H

#include "domains/domains.h"

#define GV_DOMAINS_DEFAULT_INPUT 1024
#define GV_DOMAINS_DEFAULT_LINE 4096
#define GV_DOMAINS_DEFAULT_BRANDS 100000
#define GV_DOMAINS_DEFAULT_PERMS 200000
#define GV_DOMAINS_DEFAULT_CANDIDATES 64
#define GV_DOMAINS_DEFAULT_MIN_SCORE 70
#define GV_DOMAINS_DEFAULT_RDAP (4u << 20)
/* Longest key (confusable skeleton) the matcher works on; a longer label
 * part is matched on its first GV_KEY_MAX bytes. */
#define GV_KEY_MAX 512
/* Brand keys at least this long allow any two edits and a brand inside a
 * longer label with only one clean side. */
#define GV_LONG_BRAND 9
/* Brand keys at least this long are reported next to any word. */
#define GV_DISTINCT_BRAND 8
/* Brand keys at least this long (myetherwallet) allow three edits on a
 * whole label, and one edit next to any word. */
#define GV_VERY_LONG_BRAND 12
/* A truncated brand (ether for ethereum) keeps at least this many letters
 * and at least half of the brand's key. */
#define GV_TRUNC_MIN 5
/* A truncated brand that stands alone as a hyphen token (get-ether) lacks
 * at most this many letters. */
#define GV_TRUNC_TOKEN_CUT 3

/* gv_domain_normalize in two steps: syntax and IDNA first, the public
 * suffix look-up (the costly part) only when needed. */
int gv_domain_normalize_nosuffix(const char *name, size_t len,
				 const struct gv_domains_limits *limits,
				 struct gv_domain_name *out, const char **error_r);
void gv_domain_find_suffix(struct gv_domain_name *out);
/* For a name of several labels that is itself a public suffix only
 * through a wildcard rule (circl.bd under *.bd): treats its first label as
 * the registrable label and returns true. Explicitly listed suffixes
 * (github.io, krakow.pl) stay unregistrable (false). */
bool gv_domain_wildcard_suffix(struct gv_domain_name *n);
/* true when the whole name is a suffix the public suffix list names
 * explicitly (a delegated top-level domain such as "barclays"): nobody but
 * its operator registers it, so it is never a lookalike. */
bool gv_domain_listed_suffix(const struct gv_domain_name *n);

/* Limits with defaults filled in. */
/* A printable single-line value of at most 256 bytes (no header injection
 * through an RDAP answer into a report). */
bool gv_domains_printable(const char *s);
void gv_domains_limits_fill(const struct gv_domains_limits *in,
			    struct gv_domains_limits *out);

/* ---- classify.c: distances and technique naming ---- */

/* Optimal string alignment distance (Levenshtein plus adjacent
 * transposition), or max+1 as soon as it exceeds max. Strings up to
 * GV_KEY_MAX bytes; longer ones count as "far". */
unsigned gv_osa_distance(const char *a, size_t alen, const char *b,
			 size_t blen, unsigned max);
/* Best approximate occurrence of pat inside text (free start and end in
 * text). Returns the distance (or max+1 when none within max) and the
 * window [*start_r, *end_r) in text. */
unsigned gv_substring_distance(const char *pat, size_t plen, const char *text,
			       size_t tlen, unsigned max, size_t *start_r,
			       size_t *end_r);
/* Names the typo that turns `brand` into `label` (both ASCII label parts,
 * e.g. "paypal" / "paypa1l"): dnstwist's technique names where one fits,
 * GV_TECH_EDIT_DISTANCE otherwise. */
enum gv_domain_technique gv_classify_typo(const char *brand, size_t blen,
					  const char *label, size_t llen);
/* true when the (lowercase ASCII) word is one of the built-in phishing
 * keywords (login, secure, verify, ...). */
bool gv_is_keyword(const char *w, size_t len);
/* The built-in keyword list (NULL-terminated) and common TLD list. */
extern const char *const gv_keywords[];
/* Common words that end company names (bank, cloud, ...), NULL-terminated. */
extern const char *const gv_common_words[];
/* The subset of gv_keywords that is no evidence of phishing alone. */
extern const char *const gv_neutral_keywords[];
extern const char *const gv_common_tlds[];

/* ---- brand index (brand-index.c builds, brand-match.c matches) ---- */

#define GV_BLOOM_BITS (1u << 20)
#define GV_GAP_EMPTY UINT32_MAX

struct brand {
	char *domain;	   /* as added, A-label form */
	char *registrable; /* its registrable domain */
	char *name;	   /* label part of the registrable domain */
	char *suffix;	   /* public suffix */
	char *key;	   /* confusable key of name */
	size_t key_len;
	unsigned max_gap;  /* gap table: edit region allowed */
	unsigned k_ac;	   /* automaton: edits allowed on a whole label */
	/* > 0 when the key is a head of this many (1-2) letters and a common
	 * word (us + bank, i + cloud): its identity is the head alone */
	unsigned head;
	/* > 0 for a core entry: the brand's key without a leading neutral
	 * keyword of this many bytes (my + etherwallet); see add_cores() */
	unsigned core;
	/* length of the first automaton piece (a prefix of key): its hits
	 * also look for the truncated brand (see truncation()) */
	unsigned piece0;
	unsigned trunc_min; /* shortest cut looked at; 0: none */
	/* A truncated brand must keep more than this many letters: the
	 * key's length without a common word it ends with (master + card),
	 * or the length of a common word it starts with (cloud + flare). A
	 * cut there leaves a name or a word of its own (ticketmaster,
	 * cloudappsecurity), not the brand. */
	unsigned word_cut;
};

struct gap_entry {
	uint64_t h;
	uint32_t brand;
	uint8_t pre, suf, gap;
};

struct strset {
	char **items;
	size_t cap, n;
};

struct gv_brand_index {
	struct gv_domains_limits limits;
	struct brand *brands;
	size_t n_brands, cap_brands;
	size_t n_cores; /* core entries at the end of brands[] */
	struct strset owned;	 /* registrable domains never reported */
	struct strset owned_any; /* label parts owned under every suffix */
	struct strset allowed;	 /* allow-listed names (and names under them) */
	struct strset brand_set; /* brand registrables (dedup on add) */
	struct strset keywords;	 /* keys of gv_keywords */
	struct strset neutral;	 /* keys of gv_neutral_keywords */
	struct strset brand_keys; /* keys of the brands (and cores) */
	struct gap_entry *gap;
	size_t gap_mask;
	uint64_t *bloom;
	struct gv_ac *ac;
	bool built;
};

bool gv_strset_has(const struct strset *set, const char *s, size_t len);
/* 1 added (a copy), 0 already there. */
int gv_strset_add(struct strset *set, const char *s, size_t len);

/* ---- ac.c: Aho-Corasick automaton over bytes ---- */

struct gv_ac;
struct gv_ac *gv_ac_new(void);
void gv_ac_free(struct gv_ac **ac);
/* Adds a pattern with a caller value; before gv_ac_build only. */
void gv_ac_add(struct gv_ac *ac, const char *pat, size_t len, uint32_t value);
void gv_ac_build(struct gv_ac *ac);
/* Calls fn(ctx, value, end) for each pattern occurrence ending at byte
 * offset `end` (exclusive) of text. fn returns false to stop. */
void gv_ac_scan(const struct gv_ac *ac, const char *text, size_t len,
		bool (*fn)(void *ctx, uint32_t value, size_t end), void *ctx);

#endif
