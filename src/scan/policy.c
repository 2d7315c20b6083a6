/*
 * Policy: findings -> score -> action. Each rule's score can be replaced
 * from the config (exact id or "prefix*"), and a rule can set an action
 * floor (e.g. malware -> reject, analysis limits -> quarantine) so that a
 * single decisive finding is never averaged away. Deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "scan/scan-private.h"

static const struct scan_rule_policy *rule_policy(const struct gv_scan_config *c,
						  const char *id)
{
	const struct scan_rule_policy *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < c->n_rules; i++) {
		const char *r = c->rules[i].id;
		size_t rl = strlen(r);
		if (rl > 0 && r[rl - 1] == '*') {
			if (strncmp(r, id, rl - 1) == 0 && rl - 1 >= best_len) {
				best = &c->rules[i];
				best_len = rl - 1;
			}
		} else if (strcmp(r, id) == 0) {
			return &c->rules[i]; /* exact beats any prefix */
		}
	}
	return best;
}

static int by_score(const void *a, const void *b)
{
	const struct gv_finding *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	int c = strcmp(x->rule, y->rule);
	return c ? c : strcmp(x->part, y->part);
}

void scan_policy_apply(const struct gv_scan_config *cfg,
		       struct gv_scan_result *r)
{
	int total = 0;
	enum gv_action floor = GV_ACTION_ACCEPT;
	for (size_t i = 0; i < r->n_findings; i++) {
		struct gv_finding *f = &r->findings[i];
		const struct scan_rule_policy *p = rule_policy(cfg, f->rule);
		if (p && p->score >= 0)
			f->score = p->score;
		if (p && p->action >= 0 && (enum gv_action)p->action > floor)
			floor = (enum gv_action)p->action;
		total += f->score;
		if (strncmp(f->rule, "limit.", 6) == 0 && f->score >= 60)
			r->partial = true;
	}
	if (r->n_findings > 1)
		qsort(r->findings, r->n_findings, sizeof(*r->findings), by_score);
	r->score = total;
	enum gv_action a = GV_ACTION_ACCEPT;
	if (total >= cfg->reject_at)
		a = GV_ACTION_REJECT;
	else if (total >= cfg->quarantine_at)
		a = GV_ACTION_QUARANTINE;
	else if (total >= cfg->tag_at)
		a = GV_ACTION_TAG;
	r->action = a > floor ? a : floor;
}

const char *gv_action_name(enum gv_action a)
{
	static const char *const names[] = { "accept", "tag", "quarantine",
					     "reject" };
	return (unsigned)a < GV_ARRAY_LEN(names) ? names[a] : "?";
}

int gv_action_parse(const char *s, enum gv_action *a_r)
{
	for (int a = GV_ACTION_ACCEPT; a <= GV_ACTION_REJECT; a++)
		if (strcmp(s, gv_action_name((enum gv_action)a)) == 0) {
			*a_r = (enum gv_action)a;
			return 1;
		}
	return 0;
}
