/*
 * learn — a statistical classifier each site trains on its own mail.
 *
 * Features come from what the scan engine already parsed (words and word
 * pairs of the subject and visible text with look-alikes folded, URL
 * domains and path tokens, sender and header relations, MIME structure,
 * and the rule findings), hashed into 2^bits slots so memory is bounded.
 * The model is multinomial logistic regression (softmax over phishing,
 * spam, ham) trained by SGD with L2 decay; its outputs are probabilities
 * the scan policy turns into a finding like any analyzer's
 * (docs/learn.md says why this model and not naive Bayes).
 *
 * Training examples (the hashed feature set of each message and its label,
 * keyed by a hash of the message) live in a SQLite store next to the
 * versioned models, so learn/unlearn are exact and idempotent: the model is
 * retrained from the examples.
 */
#ifndef GV_LEARN_H
#define GV_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "scan/scan.h"

enum gv_learn_class { GV_CLASS_PHISHING = 0, GV_CLASS_SPAM, GV_CLASS_HAM,
		      GV_CLASS_COUNT };
const char *gv_learn_class_name(enum gv_learn_class c);
int gv_learn_class_parse(const char *s, enum gv_learn_class *c_r);

#define GV_LEARN_MAX_FEATURES 4096

/* A message's features: distinct slot indices in [0, 2^bits), sorted. */
struct gv_learn_vec {
	uint32_t *idx;
	uint32_t n;
};

/* Extracts features of a scanned message (its findings included, except
 * the classifier's own). bits: 10..22 (else 20). Lives in pool. */
void gv_learn_features(struct gv_pool *pool, const struct gv_scan_result *r,
		       unsigned bits, struct gv_learn_vec *v);

struct gv_learn_params {
	unsigned bits;    /* hashed space, 2^bits slots, 10..22 (22: 48 MiB
			     of weights); anything else = 20 */
	unsigned epochs;  /* 0 = 6 */
	double rate;      /* initial learning rate; 0 = 0.2 */
	double l2;        /* weight decay per example; 0 = 1e-6 */
	uint64_t seed;    /* shuffling; same seed, same model */
};

struct gv_learn_model;
/* Trains a new model on n examples. Deterministic for a given seed. */
struct gv_learn_model *gv_learn_train(const struct gv_learn_vec *x,
				      const enum gv_learn_class *y, size_t n,
				      const struct gv_learn_params *p);
void gv_learn_model_free(struct gv_learn_model **m);
unsigned gv_learn_model_bits(const struct gv_learn_model *m);
size_t gv_learn_model_bytes(const struct gv_learn_model *m);
/* Class probabilities (sum to 1). */
void gv_learn_predict(const struct gv_learn_model *m,
		      const struct gv_learn_vec *v, double probs[GV_CLASS_COUNT]);

/* Serialization (little-endian, versioned header). */
int gv_learn_model_save(const struct gv_learn_model *m, struct gv_buf *out);
int gv_learn_model_load(const unsigned char *data, size_t len,
			struct gv_learn_model **m_r, const char **error_r);

/* How probabilities become findings: rule "learn.phishing" with score
 * round(phishing_weight * p) when p >= min_prob, likewise spam; and
 * "learn.ham" with score -round(ham_weight * p) when p >= ham_prob. */
struct gv_learn_policy {
	double min_prob;     /* 0.5 */
	int phishing_weight; /* 80 */
	int spam_weight;     /* 30: spam alone is tagged, never quarantined */
	double ham_prob;     /* 0.95 */
	int ham_weight;      /* 25 */
};
void gv_learn_policy_defaults(struct gv_learn_policy *p);

/* A scan-engine hook that classifies with m (m must outlive the engine's
 * use of it; ctx storage is the caller's). */
struct gv_learn_hook {
	const struct gv_learn_model *model;
	struct gv_learn_policy policy;
};
void gv_learn_hook_init(struct gv_learn_hook *h, const struct gv_learn_model *m,
			const struct gv_learn_policy *p);
struct gv_scan_classifier gv_learn_hook_classifier(struct gv_learn_hook *h);

/* Auto-learn: 1 and *c_r when a verdict is confident enough to learn
 * from without a person (rules alone score >= 100 and the message is
 * stopped: phishing; no rule fired and the classifier says ham with high
 * confidence: ham); 0 otherwise, and always 0 for partial scans. */
int gv_learn_autolearn_label(const struct gv_scan_result *r,
			     enum gv_learn_class *c_r);

/* ---- the store ---- */
#define GV_LEARN_DEFAULT_DB "/var/lib/geneva/learn.db"
struct gv_learn_db;
int gv_learn_db_open(const char *path, struct gv_learn_db **db_r,
		     const char **error_r);
void gv_learn_db_close(struct gv_learn_db **db);
/* Adds or relabels one example (key: SHA-256 of the message bytes).
 * Returns 1 added/changed, 0 already there with this label, -1 error. */
int gv_learn_db_put(struct gv_learn_db *db, const unsigned char *msg,
		    size_t len, enum gv_learn_class c,
		    const struct gv_learn_vec *v, const char **error_r);
/* Groups many puts/removes into one transaction (much faster); 1 or -1. */
int gv_learn_db_begin(struct gv_learn_db *db, const char **error_r);
int gv_learn_db_commit(struct gv_learn_db *db, const char **error_r);
/* Removes one example; 1 removed, 0 not there, -1 error. */
int gv_learn_db_remove(struct gv_learn_db *db, const unsigned char *msg,
		       size_t len, const char **error_r);
/* Counts per class. */
int gv_learn_db_counts(struct gv_learn_db *db, size_t counts[GV_CLASS_COUNT],
		       const char **error_r);
/* Retrains from every example and stores the model as a new version.
 * Returns the new version (>0) or -1. */
int64_t gv_learn_db_retrain(struct gv_learn_db *db,
			    const struct gv_learn_params *p,
			    const char **error_r);
/* Feedback from a person (e.g. a quarantined message released: ham):
 * scans msg with engine, stores it under class c and retrains. 1 learned
 * (new model stored), 0 already known with that label, -1 error. The
 * engine's classifier hook is cleared (features come from rules only). */
int gv_learn_feedback(struct gv_learn_db *db, struct gv_scan_engine *engine,
		      const unsigned char *msg, size_t len,
		      enum gv_learn_class c, const char **error_r);
/* Loads the newest model; 1 ok, 0 none yet, -1 error. */
int gv_learn_db_load_model(struct gv_learn_db *db, struct gv_learn_model **m_r,
			   int64_t *version_r, const char **error_r);

#endif
