/*
 * The bundled, editable lists an engine loads once from rules_dir: URL
 * shorteners, free hosting, dynamic DNS, abused TLDs, free-mail providers
 * and brands (display-name keyword -> owned domains). Domain sets are hash
 * sets looked up for a host and each of its parent domains.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scan/scan-private.h"

static uint64_t h(const char *s, size_t len)
{
	uint64_t v = gv_hash64(s, len, 0x9e3779b97f4a7c15ULL);
	return v ? v : 1;
}

static void rehash(struct scan_domset *s)
{
	gv_free(s->hashes);
	s->slots = s->cap * 2 < 16 ? 16 : s->cap * 2;
	s->hashes = gv_calloc(s->slots, sizeof(uint64_t));
	for (size_t i = 0; i < s->n; i++) {
		uint64_t v = h(s->names[i], strlen(s->names[i]));
		size_t k = v % s->slots;
		while (s->hashes[k])
			k = (k + 1) % s->slots;
		s->hashes[k] = v;
	}
}

void scan_domset_add(struct scan_domset *s, const char *name)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->names = gv_realloc(s->names, s->cap * sizeof(char *));
	}
	char *c = gv_strdup(name);
	gv_ascii_lower(c, strlen(c));
	s->names[s->n++] = c;
	if (s->n * 2 > s->slots || s->hashes == NULL)
		rehash(s);
	else {
		uint64_t v = h(c, strlen(c));
		size_t k = v % s->slots;
		while (s->hashes[k])
			k = (k + 1) % s->slots;
		s->hashes[k] = v;
	}
}

static bool has_exact(const struct scan_domset *s, const char *n, size_t len)
{
	if (s->slots == 0)
		return false;
	uint64_t v = h(n, len);
	for (size_t k = v % s->slots; s->hashes[k]; k = (k + 1) % s->slots)
		if (s->hashes[k] == v)
			return true; /* 64-bit hash: collisions are negligible */
	return false;
}

bool scan_domset_has(const struct scan_domset *s, const char *host)
{
	for (const char *p = host; p && *p;) {
		if (has_exact(s, p, strlen(p)))
			return true;
		p = strchr(p, '.');
		if (p)
			p++;
	}
	return false;
}

void scan_domset_free(struct scan_domset *s)
{
	for (size_t i = 0; i < s->n; i++)
		gv_free(s->names[i]);
	gv_free(s->names);
	gv_free(s->hashes);
	memset(s, 0, sizeof(*s));
}

/* Calls fn for each non-comment, non-empty line (trimmed). */
static int each_line(const char *path, void *ctx,
		     void (*fn)(void *ctx, char *line), const char **error_r)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*error_r = strerror(errno);
		return -1;
	}
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		size_t l = strlen(p);
		while (l > 0 && isspace((unsigned char)p[l - 1]))
			p[--l] = '\0';
		if (l == 0 || *p == '#')
			continue;
		fn(ctx, p);
	}
	fclose(f);
	return 1;
}

static void add_line(void *ctx, char *line)
{
	scan_domset_add(ctx, line);
}

int scan_domset_load(struct scan_domset *s, const char *path,
		     const char **error_r)
{
	return each_line(path, s, add_line, error_r);
}

/* brands.txt: "keyword domain1 domain2 ..." */
static void add_brand(void *ctx, char *line)
{
	struct gv_scan_engine *e = ctx;
	e->brands = gv_realloc(e->brands, (e->n_brands + 1) * sizeof(*e->brands));
	struct scan_brand *b = &e->brands[e->n_brands++];
	memset(b, 0, sizeof(*b));
	char *save = NULL;
	for (char *tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		gv_ascii_lower(tok, strlen(tok));
		if (b->keyword == NULL) {
			/* '_' stands for a space in multi-word keywords */
			for (char *c = tok; *c; c++)
				if (*c == '_')
					*c = ' ';
			b->keyword = gv_strdup(tok);
			continue;
		}
		b->domains = gv_realloc(b->domains,
					(b->n_domains + 1) * sizeof(char *));
		b->domains[b->n_domains++] = gv_strdup(tok);
	}
	if (b->keyword == NULL)
		e->n_brands--;
}

int scan_lists_load(struct gv_scan_engine *e, const char **error_r)
{
	static const struct {
		const char *file;
		size_t off;
	} sets[] = {
		{ "shorteners.txt", offsetof(struct gv_scan_engine, shorteners) },
		{ "free-hosting.txt", offsetof(struct gv_scan_engine, free_hosting) },
		{ "dyndns.txt", offsetof(struct gv_scan_engine, dyndns) },
		{ "abused-tlds.txt", offsetof(struct gv_scan_engine, abused_tlds) },
		{ "freemail.txt", offsetof(struct gv_scan_engine, freemail) },
		{ "image-hosts.txt", offsetof(struct gv_scan_engine, image_hosts) },
	};
	char path[4096];
	for (size_t i = 0; i < GV_ARRAY_LEN(sets); i++) {
		snprintf(path, sizeof(path), "%s/%s", e->cfg->rules_dir, sets[i].file);
		struct scan_domset *s = (void *)((char *)e + sets[i].off);
		if (scan_domset_load(s, path, error_r) < 0) {
			static __thread char err[4200];
			snprintf(err, sizeof(err), "%s: %s", path, *error_r);
			*error_r = err;
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/brands.txt", e->cfg->rules_dir);
	if (each_line(path, e, add_brand, error_r) < 0) {
		static __thread char err[4200];
		snprintf(err, sizeof(err), "%s: %s", path, *error_r);
		*error_r = err;
		return -1;
	}
	for (size_t i = 0; i < e->cfg->n_protected_domains; i++)
		scan_domset_add(&e->protected, e->cfg->protected_domains[i]);
	return 1;
}

void scan_lists_free(struct gv_scan_engine *e)
{
	scan_domset_free(&e->shorteners);
	scan_domset_free(&e->free_hosting);
	scan_domset_free(&e->dyndns);
	scan_domset_free(&e->abused_tlds);
	scan_domset_free(&e->freemail);
	scan_domset_free(&e->protected);
	scan_domset_free(&e->image_hosts);
	for (size_t i = 0; i < e->n_brands; i++) {
		gv_free(e->brands[i].keyword);
		for (size_t j = 0; j < e->brands[i].n_domains; j++)
			gv_free(e->brands[i].domains[j]);
		gv_free(e->brands[i].domains);
	}
	gv_free(e->brands);
	e->brands = NULL;
	e->n_brands = 0;
}
