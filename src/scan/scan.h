/*
 * scan — the engine: parse a message (mail module), run every analyzer over
 * it, apply the policy and return an explainable verdict. The engine is
 * built once from a configuration (patterns compiled, lists loaded) and is
 * then read-only: one engine serves any number of sequential scans; for
 * concurrent scans give each thread its own engine (libmagic and YARA scratch
 * state are per engine).
 */
#ifndef GV_SCAN_H
#define GV_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/mail.h"
#include "util/util.h"

enum gv_action {
	GV_ACTION_ACCEPT = 0,
	GV_ACTION_TAG,
	GV_ACTION_QUARANTINE,
	GV_ACTION_REJECT,
};
const char *gv_action_name(enum gv_action a);
/* 1 and *a_r for "accept"/"tag"/"quarantine"/"reject", else 0. */
int gv_action_parse(const char *s, enum gv_action *a_r);

/* One reason. score is after the policy's weight for the rule. */
struct gv_finding {
	const char *analyzer; /* "structure", "url", "phish", "sender", ... */
	const char *rule;     /* stable id, e.g. "phish.anchor_mismatch" */
	int score;
	const char *evidence; /* short, printable */
	const char *part;     /* MIME part path, "" = whole message */
};

/* A file seen in an attachment (the attachment itself or something
 * extracted from it). */
struct gv_scan_file {
	const char *part;      /* MIME part path */
	const char *path;      /* name, then inner names joined by '/' */
	const char *true_type; /* libmagic MIME type */
	uint64_t size;
	char sha256[65];
	char md5[33];
	int depth;
};

/* A lookalike of a protected brand among the message's link and sender
 * domains (the evidence behind url.lookalike / sender.lookalike_domain),
 * for callers that keep lookalikes (the intel store). */
struct gv_scan_lookalike_hit {
	const char *domain; /* registrable domain */
	const char *brand;
	const char *technique;
	int score;
};
#define GV_SCAN_MAX_LOOKALIKES 16

struct gv_scan_result {
	struct gv_mail_message *msg;
	struct gv_finding *findings; /* sorted by score, highest first */
	size_t n_findings;
	struct gv_scan_file *files;
	size_t n_files;
	struct gv_scan_lookalike_hit *lookalikes; /* distinct domains, at most
						     GV_SCAN_MAX_LOOKALIKES */
	size_t n_lookalikes;
	int score;
	enum gv_action action;
	bool partial;       /* a limit cut the analysis short */
	uint64_t elapsed_us;
	const char *text;   /* all visible text (plain + HTML's visible text) */
	size_t text_len;
	/* subject and text with look-alikes folded (gv_scan_fold), once per
	 * scan, for every consumer */
	const char *subject_folded;
	const char *text_folded;
};

/* Optional envelope (from the MTA); any field may be NULL. */
struct gv_scan_envelope {
	const char *client_ip;
	const char *helo;
	const char *mail_from;
	const char *const *rcpt_to;
	size_t n_rcpt;
};

/* Hook for threat-intel indicator matching, provided by the caller (the
 * intel module via the CLI/milter glue), so scan does not depend on the
 * store. kind: "url", "domain", "email", "ip", "sha256", "md5". Returns 1
 * and a pool string naming the indicator/feed/campaign in *what_r on a
 * hit, else 0. Must be safe to call from the scanning thread. */
struct gv_scan_intel {
	void *ctx;
	int (*lookup)(void *ctx, struct gv_pool *pool, const char *kind,
		      const char *value, const char **what_r, int *score_r);
};

/* Hook for lookalike-domain matching (the domains module's brand index). */
struct gv_scan_lookalike {
	void *ctx;
	/* 1 when domain imitates a protected brand: *brand_r, *technique_r
	 * (pool or static strings) and *score_r (0..100) set; else 0. */
	int (*match)(void *ctx, struct gv_pool *pool, const char *domain,
		     const char **brand_r, const char **technique_r,
		     int *score_r);
};

/* Hook for a trained classifier (the learn module via the CLI glue).
 * Called after the rule analyzers with the result so far; writes at most
 * max findings (analyzer is set by the engine to "learn") and returns how
 * many. */
struct gv_scan_classifier {
	void *ctx;
	size_t (*classify)(void *ctx, struct gv_pool *pool,
			   const struct gv_scan_result *partial,
			   struct gv_finding *out, size_t max);
};

/* Lowercase copy of s with look-alike letters (Cyrillic/Greek homoglyphs,
 * fullwidth and mathematical alphanumerics) folded to ASCII and invisible
 * characters dropped; *folded_r counts what had to be folded. */
char *gv_scan_fold(struct gv_pool *pool, const char *s, size_t len,
		   size_t *folded_r);

struct gv_scan_config;

/* Loads the `scan` and `policy` sections of a YAML file (NULL = built-in
 * defaults). 1 ok, -1 error with *error_r. */
int gv_scan_config_load(const char *path, struct gv_scan_config **cfg_r,
			const char **error_r);
void gv_scan_config_free(struct gv_scan_config **cfg);
/* The limits the config asks for (for callers that parse themselves). */
const struct gv_mail_limits *gv_scan_config_limits(const struct gv_scan_config *cfg);

struct gv_scan_engine;
int gv_scan_engine_new(const struct gv_scan_config *cfg,
		       struct gv_scan_engine **engine_r, const char **error_r);
/* Loads the config at path (NULL = defaults) and builds an engine that owns
 * it. 1 ok, -1 error with *error_r. */
int gv_scan_engine_load(const char *path, struct gv_scan_engine **engine_r,
			const char **error_r);
void gv_scan_engine_free(struct gv_scan_engine **engine);
const struct gv_scan_config *gv_scan_engine_config(const struct gv_scan_engine *engine);
void gv_scan_engine_set_intel(struct gv_scan_engine *engine,
			      const struct gv_scan_intel *intel);
void gv_scan_engine_set_lookalike(struct gv_scan_engine *engine,
				  const struct gv_scan_lookalike *lookalike);
void gv_scan_engine_set_classifier(struct gv_scan_engine *engine,
				   const struct gv_scan_classifier *c);

/* Scans one message. Everything in *result_r lives in pool. Returns 1;
 * -1 only for internal errors (the caller must then tempfail, never
 * accept silently). Deterministic: the same bytes and config give the same
 * verdict (apart from the time limit, which is itself a finding). */
int gv_scan_message(struct gv_scan_engine *engine, struct gv_pool *pool,
		    const unsigned char *data, size_t len,
		    const struct gv_scan_envelope *env,
		    struct gv_scan_result **result_r, const char **error_r);

/* Writes the result as one JSON object (schema docs/scan-json.md, version
 * GV_SCAN_JSON_VERSION) without a trailing newline. */
#define GV_SCAN_JSON_VERSION 1
int gv_scan_result_json(const struct gv_scan_result *r, const char *source,
			struct gv_buf *out);

#endif
