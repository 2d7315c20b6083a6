/*
 * The default lookalike matcher: the domains module's brand index (the
 * same one `geneva domains watch` uses) built once per engine from the
 * bundled popular brands (rules/brands-top100.txt) and the configured
 * protected domains. URL and sender analyzers ask it about registrable
 * domains; a caller may replace it with gv_scan_engine_set_lookalike().
 */
#include <stdio.h>
#include <string.h>

#include "domains/domains.h"
#include "scan/scan-private.h"

static int match(void *ctx, struct gv_pool *pool, const char *domain,
		 const char **brand_r, const char **technique_r, int *score_r)
{
	const struct gv_brand_index *idx = ctx;
	struct gv_brand_match m;
	if (domain == NULL || *domain == '\0' ||
	    gv_brand_index_match(idx, domain, strlen(domain), &m) != 1)
		return 0;
	*brand_r = gv_pstrdup(pool, m.brand);
	*technique_r = gv_domain_technique_name(m.technique);
	*score_r = (int)m.score;
	return 1;
}

int scan_lookalike_weight(int score, const char *technique)
{
	/* a brand's name under another TLD is very often a different,
	 * legitimate organisation (slack.net is not slack.com): a hint only */
	if (strcmp(technique, gv_domain_technique_name(GV_TECH_TLD_SWAP)) == 0)
		return 10;
	/* as a finding, a close imitation weighs like a strong phishing
	 * signal but never decides alone */
	return score >= 90 ? 50 : score >= 70 ? 40 : 25;
}

int scan_lookalike_load(struct gv_scan_engine *e, const char **error_r)
{
	static __thread char err[4300];
	if (gv_domains_init(error_r) < 0)
		return -1;
	char path[4096];
	snprintf(path, sizeof(path), "%s/brands-top100.txt", e->cfg->rules_dir);
	unsigned char *data;
	size_t len;
	bool trunc;
	if (gv_read_file(path, 4u << 20, &data, &len, &trunc, error_r) < 0) {
		snprintf(err, sizeof(err), "%s: %s", path, *error_r);
		*error_r = err;
		return -1;
	}
	struct gv_brand_index *idx = gv_brand_index_new(NULL);
	int r = gv_brand_index_load(idx, (const char *)data, len, error_r);
	gv_free(data);
	for (size_t i = 0; r > 0 && i < e->cfg->n_protected_domains; i++)
		r = gv_brand_index_add(idx, e->cfg->protected_domains[i], error_r) < 0
			    ? -1 : 1;
	if (r < 0) {
		snprintf(err, sizeof(err), "brands: %s", *error_r);
		*error_r = err;
		gv_brand_index_free(&idx);
		return -1;
	}
	/* RFC 2606 names cannot be registered, so they imitate nobody */
	gv_brand_index_allow(idx, "example.*", error_r);
	gv_brand_index_build(idx);
	e->brand_index = idx;
	e->lookalike = (struct gv_scan_lookalike){ .ctx = idx, .match = match };
	return 1;
}

void scan_lookalike_free(struct gv_scan_engine *e)
{
	struct gv_brand_index *idx = e->brand_index;
	gv_brand_index_free(&idx);
	e->brand_index = NULL;
}
