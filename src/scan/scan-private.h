/* Internals of the scan module: the engine, the per-scan context and the
 * analyzer interface. */
#ifndef GV_SCAN_PRIVATE_H
#define GV_SCAN_PRIVATE_H

#include <hs/hs.h>

#include "files/files.h"
#include "scan/scan.h"

/* A set of lowercase domain names (exact registrable/host match). */
struct scan_domset {
	char **names;
	size_t n, cap;
	uint64_t *hashes; /* open addressing, 2 * cap slots; 0 = empty */
	size_t slots;
};
int scan_domset_load(struct scan_domset *s, const char *path,
		     const char **error_r);
void scan_domset_add(struct scan_domset *s, const char *name);
/* True when host or any parent domain of host is in the set. */
bool scan_domset_has(const struct scan_domset *s, const char *host);
void scan_domset_free(struct scan_domset *s);

/* A brand: display-name keyword and the registrable domains it owns. */
struct scan_brand {
	char *keyword;   /* lowercase, matched as a word in display names */
	char **domains;  /* registrable domains */
	size_t n_domains;
};

struct scan_rule_policy {
	char *id;           /* exact id, or prefix ending in '*' */
	int score;          /* -1 = keep the analyzer's score */
	int action;         /* -1 = none, else enum gv_action floor */
};

struct scan_person {
	char *name;        /* lowercase display name */
	char **addresses;  /* lowercase addresses that are really them */
	size_t n_addresses;
};

struct gv_scan_config {
	struct gv_mail_limits limits;
	char *rules_dir;
	char **protected_domains;
	size_t n_protected_domains;
	struct scan_person *people;
	size_t n_people;
	struct gv_files_config *files; /* the files: section */
	int tag_at, quarantine_at, reject_at;
	struct scan_rule_policy *rules;
	size_t n_rules;
};

/* Compiled lure patterns (Hyperscan) with id and score per pattern. */
struct scan_lures {
	hs_database_t *db;
	hs_scratch_t *scratch;
	char **ids;
	int *scores;
	size_t n;
};
int scan_lures_load(struct scan_lures *l, const char *path,
		    const char **error_r);
void scan_lures_free(struct scan_lures *l);

struct gv_scan_engine {
	const struct gv_scan_config *cfg;
	struct gv_scan_config *owned_cfg;
	struct scan_domset shorteners, free_hosting, dyndns, abused_tlds,
		freemail, protected, image_hosts;
	struct scan_brand *brands;
	size_t n_brands;
	struct scan_lures lures;
	struct gv_files_engine *files;
	struct gv_scan_intel intel;
	struct gv_scan_lookalike lookalike;
	struct gv_scan_classifier classifier;
	struct gv_brand_index *brand_index; /* behind the default lookalike */
};

/* One scan in progress. */
struct scan_ctx {
	struct gv_scan_engine *engine;
	struct gv_pool *pool;
	struct gv_mail_message *msg;
	const struct gv_scan_envelope *env;
	struct gv_scan_result *result;
	size_t findings_cap, files_cap;
	const char *body_text; /* all visible text, for analyzers that want it */
	size_t body_text_len;
	/* the subject and body_text folded once (scan_fold), with the number
	 * of characters that needed folding */
	const char *subject_folded, *body_folded;
	size_t subject_folds, body_folds;
};

void scan_add(struct scan_ctx *ctx, const char *analyzer, const char *rule,
	      int score, const char *part, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
bool scan_time_up(struct scan_ctx *ctx);
/* Finding weight of a lookalike match (index score 1..100, technique). */
int scan_lookalike_weight(int score, const char *technique);
/* Notes a lookalike domain in the result (once per domain, bounded);
 * the strings must live in the scan pool or longer. */
void scan_note_lookalike(struct scan_ctx *ctx, const char *domain,
			 const char *brand, const char *technique, int score);

/* Analyzers: each reads ctx->msg and adds findings. */
void scan_an_structure(struct scan_ctx *ctx);
void scan_an_urls(struct scan_ctx *ctx);
void scan_an_html(struct scan_ctx *ctx);
void scan_an_lures(struct scan_ctx *ctx);
void scan_an_sender(struct scan_ctx *ctx);
void scan_an_auth(struct scan_ctx *ctx);
void scan_an_text(struct scan_ctx *ctx);
void scan_an_attachments(struct scan_ctx *ctx);
void scan_an_intel(struct scan_ctx *ctx);

/* Policy: weights findings, sums, picks the action. */
void scan_policy_apply(const struct gv_scan_config *cfg,
		       struct gv_scan_result *r);

/* Builds the default lookalike matcher (lookalike.c). */
struct gv_brand_index;
int scan_lookalike_load(struct gv_scan_engine *e, const char **error_r);
void scan_lookalike_free(struct gv_scan_engine *e);

/* Loads the bundled lists of rules_dir into the engine. */
int scan_lists_load(struct gv_scan_engine *e, const char **error_r);
void scan_lists_free(struct gv_scan_engine *e);

/* Text helpers. */
bool scan_word_in(const char *hay, size_t len, const char *word);
/* Lowercase copy with confusable look-alike letters (Cyrillic/Greek
 * homoglyphs, fullwidth and mathematical alphanumerics) folded to ASCII;
 * *folded_r counts the characters that had to be folded. */
char *scan_fold(struct gv_pool *pool, const char *s, size_t len,
		size_t *folded_r, size_t *letters_r);

#endif
