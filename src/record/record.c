/*
 * The scan side of record.h: the indicator hook and the conversion of a
 * scan result into the intel event the recorder queues.
 *
 * Attribution of a message (campaign, malware families) comes from the
 * indicator hits of that same scan: the hook notes them, gv_record_scan()
 * uses and clears them; hence one gv_record per scanning thread.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record/record.h"

struct gv_record {
	struct gv_intel_index *index;
	struct gv_intel_recorder *rec;
	struct gv_scan_intel hook;
	char source[32];
	char campaign[256];
	char families[4][128];
	size_t n_families;
	size_t recorded;
};

/* ---- the scan engine's indicator hook ---- */

static int hook_lookup(void *ctx, struct gv_pool *pool, const char *kind,
		       const char *value, const char **what_r, int *score_r)
{
	struct gv_record *s = ctx;
	enum gv_intel_kind k = strcmp(kind, "url") == 0	   ? GV_ENT_URL :
			       strcmp(kind, "domain") == 0 ? GV_ENT_DOMAIN :
			       strcmp(kind, "email") == 0  ? GV_ENT_SENDER :
			       strcmp(kind, "ip") == 0	   ? GV_ENT_IP :
			       strcmp(kind, "sha256") == 0 ||
					       strcmp(kind, "md5") == 0 ?
							   GV_ENT_HASH :
							   0;
	struct gv_intel_hit hit;
	if (k == 0 || gv_intel_index_lookup(s->index, k, value, &hit) != 1)
		return 0;
	*what_r = gv_psprintf(pool, "indicator %s (feed %s%s%s%s%s%s%s)",
			      hit.value, *hit.feed ? hit.feed : "-",
			      hit.campaign ? ", campaign " : "",
			      hit.campaign ? hit.campaign : "",
			      hit.actor ? ", actor " : "",
			      hit.actor ? hit.actor : "",
			      hit.malware ? ", malware " : "",
			      hit.malware ? hit.malware : "");
	*score_r = hit.campaign || hit.actor || hit.malware ? 100 : 80;
	if (hit.campaign && s->campaign[0] == '\0')
		snprintf(s->campaign, sizeof(s->campaign), "%s", hit.campaign);
	if (hit.malware && s->n_families < 4)
		snprintf(s->families[s->n_families++], 128, "%s", hit.malware);
	return 1;
}

int gv_record_start(const struct gv_record_settings *set,
		    struct gv_scan_engine *engine, struct gv_record **rec_r,
		    const char **error_r)
{
	struct gv_record *s = gv_calloc(1, sizeof(*s));
	snprintf(s->source, sizeof(s->source), "%s",
		 set->source ? set->source : "");
	int rc = 1;
	if (engine != NULL) {
		struct gv_intel_store *st;
		rc = gv_intel_store_open(&set->store, &st, error_r);
		if (rc > 0) {
			rc = gv_intel_index_build(st, &s->index, error_r);
			gv_intel_store_close(&st);
		}
	}
	struct gv_intel_recorder_settings rs = {
		.store = set->store,
		.journal_dir = set->journal_dir,
		.queue_size = set->queue_size,
		.batch_size = set->batch_size,
	};
	if (rc > 0)
		rc = gv_intel_recorder_start(&rs, &s->rec, error_r);
	if (rc < 0) {
		gv_intel_index_unref(&s->index);
		gv_free(s);
		return -1;
	}
	if (engine != NULL) {
		s->hook = (struct gv_scan_intel){ .ctx = s,
						  .lookup = hook_lookup };
		gv_scan_engine_set_intel(engine, &s->hook);
	}
	*rec_r = s;
	return 1;
}

struct gv_intel_recorder *gv_record_recorder(struct gv_record *s)
{
	return s ? s->rec : NULL;
}

int gv_record_stop(struct gv_record **sp, size_t *recorded_r,
		   const char **error_r)
{
	struct gv_record *s = *sp;
	if (recorded_r)
		*recorded_r = s ? s->recorded : 0;
	if (s == NULL)
		return 1;
	*sp = NULL;
	struct gv_intel_recorder_stats st;
	int rc = gv_intel_recorder_stop(&s->rec, &st, error_r);
	gv_intel_index_unref(&s->index);
	gv_free(s);
	return rc;
}

/* ---- scan result -> intel event ---- */

/* The URL's place in the message, as gv_intel_url.source names it (the
 * campaign clustering leaves embedded resources out). */
static const char *url_source(enum gv_url_source s)
{
	switch (s) {
	case GV_URL_HREF: return "href";
	case GV_URL_SRC: return "src";
	case GV_URL_FORM: return "form";
	case GV_URL_META: return "meta";
	case GV_URL_CSS: return "css";
	case GV_URL_TEXT: return "text";
	case GV_URL_BARE: return "bare";
	}
	return NULL;
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* Stable id: the same bytes for the same recipients are the same event, so
 * scanning a folder twice does not count its messages twice. */
static void event_id(const struct gv_scan_result *r, const char *const *rcpt,
		     size_t n, char out[65])
{
	crypto_hash_sha256_state h;
	unsigned char d[32];
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, r->msg->raw, r->msg->raw_len);
	for (size_t i = 0; i < n; i++)
		crypto_hash_sha256_update(&h, (const unsigned char *)rcpt[i],
					  strlen(rcpt[i]) + 1);
	crypto_hash_sha256_final(&h, d);
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}

int gv_record_scan(struct gv_record *s, const struct gv_scan_result *r,
		   const struct gv_scan_envelope *env, const char **error_r)
{
	const struct gv_mail_message *m = r->msg;
	struct gv_pool *pool = gv_pool_new(16384);
	/* Targets: the envelope recipients, else To/Cc of the message. */
	const char *const *rcpt = env ? env->rcpt_to : NULL;
	size_t n_rcpt = env ? env->n_rcpt : 0;
	if (n_rcpt == 0 && m->n_to > 0) {
		const char **v = gv_palloc(pool, m->n_to * sizeof(*v));
		for (size_t i = 0; i < m->n_to; i++)
			v[n_rcpt++] = m->to[i].addr;
		rcpt = v;
	}
	char id[65];
	event_id(r, rcpt, n_rcpt, id);
	struct gv_intel_finding *f =
		gv_palloc(pool, (r->n_findings + 1) * sizeof(*f));
	for (size_t i = 0; i < r->n_findings; i++)
		f[i] = (struct gv_intel_finding){
			.analyzer = r->findings[i].analyzer,
			.rule_id = r->findings[i].rule,
			.score = r->findings[i].score,
			.evidence = r->findings[i].evidence,
			.part = r->findings[i].part,
		};
	struct gv_intel_url *u = gv_palloc(pool, (m->n_urls + 1) * sizeof(*u));
	for (size_t i = 0; i < m->n_urls; i++)
		u[i] = (struct gv_intel_url){ .url = m->urls[i].url,
					      .host = m->urls[i].host,
					      .domain = m->urls[i].registrable,
					      .source = url_source(
						      m->urls[i].source) };
	const char **ips = gv_palloc(pool, (m->n_received_ips + 2) *
						   sizeof(*ips));
	size_t n_ips = 0;
	if (env && env->client_ip)
		ips[n_ips++] = env->client_ip;
	for (size_t i = 0; i < m->n_received_ips; i++)
		ips[n_ips++] = m->received_ips[i];
	struct gv_intel_attachment *a =
		gv_palloc(pool, (r->n_files + 1) * sizeof(*a));
	for (size_t i = 0; i < r->n_files; i++)
		a[i] = (struct gv_intel_attachment){
			.name = r->files[i].path,
			.type = r->files[i].true_type,
			.size = r->files[i].size,
			.sha256 = nz(r->files[i].sha256),
			.md5 = nz(r->files[i].md5),
		};
	/* Malware families: named by indicator hits, or the ClamAV signature
	 * / YARA rule that detected an attachment ("clamav.X", "yara.X"). */
	const char *fam[12];
	size_t n_fam = 0;
	for (size_t i = 0; i < s->n_families; i++)
		fam[n_fam++] = s->families[i];
	for (size_t i = 0; i < r->n_findings && n_fam < GV_ARRAY_LEN(fam);
	     i++) {
		const char *rule = r->findings[i].rule;
		const char *name =
			strncmp(rule, "clamav.", 7) == 0 ? rule + 7 :
			strncmp(rule, "yara.", 5) == 0	 ? rule + 5 :
							   NULL;
		bool dup = false;
		for (size_t k = 0; name && k < n_fam; k++)
			dup |= strcmp(fam[k], name) == 0;
		if (name && *name && !dup)
			fam[n_fam++] = name;
	}
	struct gv_intel_event ev = {
		.event_id = id,
		.time = (int64_t)time(NULL),
		.message_id = nz(m->message_id),
		.envelope_from = env ? env->mail_from : NULL,
		.envelope_rcpts = rcpt,
		.n_envelope_rcpts = n_rcpt,
		.from = m->from ? nz(m->from->addr) : NULL,
		.reply_to = m->reply_to ? nz(m->reply_to->addr) : NULL,
		.return_path = m->return_path ? nz(m->return_path->addr) : NULL,
		.subject = nz(m->subject),
		.action = (enum gv_intel_action)r->action,
		.score = r->score,
		.findings = f,
		.n_findings = r->n_findings,
		.urls = u,
		.n_urls = m->n_urls,
		.ips = ips,
		.n_ips = n_ips,
		.attachments = a,
		.n_attachments = r->n_files,
		.campaign = nz(s->campaign),
		.families = fam,
		.n_families = n_fam,
		.source = s->source,
	};
	const char *err = NULL;
	int rc = gv_intel_record(s->rec, &ev, &err);
	if (rc >= 0)
		s->recorded++;
	else
		*error_r = err;
	/* the brand index's lookalikes among link and sender domains: the
	 * store keeps them like `geneva domains watch` does */
	for (size_t i = 0; rc >= 0 && i < r->n_lookalikes; i++) {
		const struct gv_scan_lookalike_hit *h = &r->lookalikes[i];
		struct gv_intel_lookalike lk = {
			.domain = h->domain,
			.brand = h->brand,
			.technique = h->technique,
			.score = h->score > 0 ? (unsigned)h->score : 1,
			.source = s->source,
		};
		if (gv_intel_record_lookalike(s->rec, &lk, &err) < 0) {
			*error_r = err;
			rc = -1;
		}
	}
	s->campaign[0] = '\0';
	s->n_families = 0;
	gv_pool_free(&pool);
	return rc < 0 ? -1 : 1;
}
