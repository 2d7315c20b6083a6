/*
 * Saved RDAP domain answers (RFC 9083, jCard vCards of RFC 7095): the
 * registrar's abuse contact for takedown reports, and the registrant, which
 * tells a brand's own registrations from lookalikes. Nothing here touches
 * the network: answers are files saved by whoever may query RDAP.
 */
#include "domains/domains-private.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

bool gv_domains_printable(const char *s)
{
	if (s == NULL || strlen(s) > 256)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The text of a vCard property ("fn", "email", "org", "kind") of an RDAP
 * entity; for a structured value (org units), its first component. */
static const char *vcard_get(json_t *entity, const char *prop)
{
	json_t *vc = json_array_get(json_object_get(entity, "vcardArray"), 1);
	size_t i;
	json_t *item;
	json_array_foreach(vc, i, item) {
		const char *name = json_string_value(json_array_get(item, 0));
		json_t *v = json_array_get(item, 3);
		if (json_is_array(v))
			v = json_array_get(v, 0);
		const char *val = json_string_value(v);
		if (name != NULL && val != NULL && strcmp(name, prop) == 0)
			return val;
	}
	return NULL;
}

static bool has_role(json_t *entity, const char *role)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(entity, "roles"), i, r) {
		const char *s = json_string_value(r);
		if (s != NULL && strcmp(s, role) == 0)
			return true;
	}
	return false;
}

static json_t *load(const char *json, size_t len,
		    const struct gv_domains_limits *limits, const char **error_r)
{
	struct gv_domains_limits lim;
	gv_domains_limits_fill(limits, &lim);
	if (len > lim.max_rdap_len) {
		*error_r = "RDAP answer too large";
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		*error_r = "not an RDAP JSON object";
		return NULL;
	}
	return root;
}

int gv_abuse_contact_from_rdap(const char *json, size_t len,
			       const struct gv_domains_limits *limits,
			       struct gv_pool *pool,
			       struct gv_abuse_contact *contact_r,
			       const char **error_r)
{
	json_t *root = load(json, len, limits, error_r);
	if (root == NULL)
		return -1;
	memset(contact_r, 0, sizeof(*contact_r));
	size_t i, j;
	json_t *ent, *sub;
	json_array_foreach(json_object_get(root, "entities"), i, ent) {
		if (!has_role(ent, "registrar"))
			continue;
		const char *fn = vcard_get(ent, "fn");
		if (gv_domains_printable(fn))
			contact_r->registrar = gv_pstrdup(pool, fn);
		json_array_foreach(json_object_get(ent, "entities"), j, sub) {
			const char *em = vcard_get(sub, "email");
			if (has_role(sub, "abuse") && gv_domains_printable(em) &&
			    strchr(em, '@') != NULL && contact_r->email == NULL)
				contact_r->email = gv_pstrdup(pool, em);
		}
	}
	json_decref(root);
	return contact_r->email != NULL ? 1 : 0;
}

/* Redaction notices and privacy or proxy services (RFC 9537 and the
 * registrars' own wordings): such a value is shared by unrelated
 * registrants, so it proves nothing about who owns a name. */
static bool says_nothing(const char *s)
{
	static const char *const marks[] = {
		"redacted", "privacy", "proxy", "withheld", "not disclosed",
		"non-public", "nonpublic", "protected", "whoisguard", "gdpr",
		"masked", "hidden", "anonym", "not available", "data protection",
		NULL
	};
	char low[257];
	size_t n = strlen(s);
	for (size_t i = 0; i <= n && i < sizeof(low); i++)
		low[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	low[sizeof(low) - 1] = '\0';
	for (size_t m = 0; marks[m] != NULL; m++)
		if (strstr(low, marks[m]) != NULL)
			return true;
	return false;
}

/* "Microsoft Corporation" -> "microsoft", "Google LLC" -> "google": ASCII
 * letters lowered, anything but letters, digits and non-ASCII bytes splits
 * words, and words naming a company form are dropped. NULL when nothing
 * is left. */
static const char *normalise_org(const char *s, struct gv_pool *pool)
{
	static const char *const forms[] = {
		"inc", "incorporated", "corp", "corporation", "llc", "ltd",
		"limited", "gmbh", "ag", "sa", "plc", "co", "company", "bv",
		"nv", "srl", "spa", "oy", "ab", "as", "kk", "pty", "lp", "llp",
		"se", "sas", "sarl", "kg", "the", NULL
	};
	char out[257];
	size_t o = 0, n = strlen(s);
	for (size_t i = 0; i < n;) {
		char w[257];
		size_t wl = 0;
		while (i < n) {
			unsigned char c = (unsigned char)s[i];
			bool word = c >= 0x80 || (c >= '0' && c <= '9') ||
				    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
			if (!word)
				break;
			w[wl++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
		}
		w[wl] = '\0';
		i += wl == 0; /* a separator */
		bool form = false;
		for (size_t f = 0; forms[f] != NULL && wl > 0; f++)
			form |= strcmp(w, forms[f]) == 0;
		if (wl == 0 || form)
			continue;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, w, wl);
		o += wl;
	}
	out[o] = '\0';
	return o > 0 ? gv_pstrdup(pool, out) : NULL;
}

/* The registrar as "iana:ID" (its IANA Registrar ID) or "name:NAME". */
static const char *registrar_id(json_t *ent, struct gv_pool *pool)
{
	char buf[300];
	size_t i;
	json_t *id;
	json_array_foreach(json_object_get(ent, "publicIds"), i, id) {
		const char *type = json_string_value(json_object_get(id, "type"));
		const char *v = json_string_value(json_object_get(id, "identifier"));
		if (type != NULL && strcmp(type, "IANA Registrar ID") == 0 &&
		    v != NULL && v[0] != '\0' && strlen(v) <= 10 &&
		    strspn(v, "0123456789") == strlen(v)) {
			snprintf(buf, sizeof(buf), "iana:%s", v);
			return gv_pstrdup(pool, buf);
		}
	}
	const char *fn = vcard_get(ent, "fn");
	const char *name = gv_domains_printable(fn) ? normalise_org(fn, pool) : NULL;
	if (name == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "name:%s", name);
	return gv_pstrdup(pool, buf);
}

int gv_rdap_registrant(const char *json, size_t len,
		       const struct gv_domains_limits *limits,
		       struct gv_pool *pool, struct gv_rdap_registrant *r,
		       const char **error_r)
{
	json_t *root = load(json, len, limits, error_r);
	if (root == NULL)
		return -1;
	memset(r, 0, sizeof(*r));
	size_t i;
	json_t *ent;
	json_array_foreach(json_object_get(root, "entities"), i, ent) {
		if (has_role(ent, "registrar") && r->registrar == NULL)
			r->registrar = registrar_id(ent, pool);
		if (!has_role(ent, "registrant"))
			continue;
		const char *org = vcard_get(ent, "org"), *kind = vcard_get(ent, "kind");
		/* an organisation's name may stand in "fn" alone */
		if (org == NULL && kind != NULL && strcmp(kind, "org") == 0)
			org = vcard_get(ent, "fn");
		if (r->org == NULL && gv_domains_printable(org) && !says_nothing(org))
			r->org = normalise_org(org, pool);
		const char *em = vcard_get(ent, "email");
		const char *at = gv_domains_printable(em) ? strrchr(em, '@') : NULL;
		if (r->email_domain == NULL && at != NULL && at[1] != '\0' &&
		    !says_nothing(em)) {
			char *d = gv_pstrdup(pool, at + 1);
			for (char *p = d; *p != '\0'; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			r->email_domain = d;
		}
	}
	json_decref(root);
	return r->org != NULL || r->email_domain != NULL ? 1 : 0;
}

static bool same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

bool gv_rdap_brand_owned(const struct gv_rdap_registrant *name,
			 const struct gv_rdap_registrant *brand,
			 const char *brand_registrable)
{
	if (!same(name->registrar, brand->registrar))
		return false;
	return same(name->org, brand->org) ||
	       same(name->email_domain, brand_registrable);
}
