/* The scan-engine hook: features -> probabilities -> findings. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learn/learn.h"

void gv_learn_policy_defaults(struct gv_learn_policy *p)
{
	*p = (struct gv_learn_policy){ .min_prob = 0.5, .phishing_weight = 80,
				       .spam_weight = 30, .ham_prob = 0.95,
				       .ham_weight = 25 };
}

static size_t classify(void *ctx, struct gv_pool *pool,
		       const struct gv_scan_result *r, struct gv_finding *out,
		       size_t max)
{
	struct gv_learn_hook *h = ctx;
	struct gv_learn_vec v;
	gv_learn_features(pool, r, gv_learn_model_bits(h->model), &v);
	double p[GV_CLASS_COUNT];
	gv_learn_predict(h->model, &v, p);
	const struct gv_learn_policy *pol = &h->policy;
	size_t n = 0;
	char *ev = gv_psprintf(pool, "p(phishing)=%.3f p(spam)=%.3f p(ham)=%.3f",
			       p[GV_CLASS_PHISHING], p[GV_CLASS_SPAM], p[GV_CLASS_HAM]);
	if (n < max && p[GV_CLASS_PHISHING] >= pol->min_prob)
		out[n++] = (struct gv_finding){ .rule = "learn.phishing",
			.score = (int)lround(pol->phishing_weight * p[GV_CLASS_PHISHING]),
			.evidence = ev };
	else if (n < max && p[GV_CLASS_SPAM] >= pol->min_prob)
		out[n++] = (struct gv_finding){ .rule = "learn.spam",
			.score = (int)lround(pol->spam_weight * p[GV_CLASS_SPAM]),
			.evidence = ev };
	else if (n < max && p[GV_CLASS_HAM] >= pol->ham_prob)
		out[n++] = (struct gv_finding){ .rule = "learn.ham",
			.score = -(int)lround(pol->ham_weight * p[GV_CLASS_HAM]),
			.evidence = ev };
	return n;
}

void gv_learn_hook_init(struct gv_learn_hook *h, const struct gv_learn_model *m,
			const struct gv_learn_policy *p)
{
	h->model = m;
	if (p)
		h->policy = *p;
	else
		gv_learn_policy_defaults(&h->policy);
}

struct gv_scan_classifier gv_learn_hook_classifier(struct gv_learn_hook *h)
{
	return (struct gv_scan_classifier){ .ctx = h, .classify = classify };
}

int gv_learn_autolearn_label(const struct gv_scan_result *r,
			     enum gv_learn_class *c_r)
{
	int rules = 0;
	double p_ham = 0;
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct gv_finding *f = &r->findings[i];
		if (strncmp(f->rule, "learn.", 6) != 0)
			rules += f->score;
		else if (strcmp(f->rule, "learn.ham") == 0)
			p_ham = 1; /* only raised at p(ham) >= ham_prob */
	}
	if (r->partial)
		return 0; /* never learn from a message we could not read whole */
	if (rules >= 100 && r->action >= GV_ACTION_QUARANTINE) {
		*c_r = GV_CLASS_PHISHING;
		return 1;
	}
	if (rules == 0 && p_ham > 0 && r->action == GV_ACTION_ACCEPT) {
		*c_r = GV_CLASS_HAM;
		return 1;
	}
	return 0;
}
