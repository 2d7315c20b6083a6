/*
 * A parser for the STIX 2.x patterning language, for the part a mail
 * scanner can match: comparison expressions over url, domain-name,
 * ipv4/ipv6-addr, email-addr / email-message sender and file hashes.
 *
 * The whole grammar is parsed (observation expressions with AND / OR /
 * FOLLOWEDBY, comparison expressions with AND / OR / NOT, every operator,
 * every literal form, qualifiers) so that syntax errors are told apart
 * from forms we understand but cannot match. Extraction rule: a
 * comparison yields an indicator only when it can be matched alone, i.e.
 * it is reachable from the root through OR nodes only. Anything under AND
 * or FOLLOWEDBY, negations, REPEATS, and paths/operators we do not map are
 * counted as unsupported, never silently dropped.
 *
 * Limits: input length, number of comparisons, nesting depth (recursion is
 * bounded by it).
 */
#include "intel/intel-private.h"

#include <string.h>

struct parser {
	const unsigned char *p, *end;
	struct gv_pool *pool;
	size_t depth, max_depth, max_cmps;
	size_t n_cmps, cap;
	struct gv_stix_cmp **cmps;
	size_t unsupported;
	const char *error;
};

static void ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Matches a keyword (case-sensitive as the grammar says) followed by a
 * non-identifier character. */
static bool kw(struct parser *ps, const char *word)
{
	ws(ps);
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	if (ps->p + n < ps->end) {
		unsigned char c = ps->p[n];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '_' || (c >= '0' && c <= '9'))
			return false;
	}
	ps->p += n;
	return true;
}

static bool punct(struct parser *ps, char c)
{
	ws(ps);
	if (ps->p < ps->end && *ps->p == (unsigned char)c) {
		ps->p++;
		return true;
	}
	return false;
}

static int err(struct parser *ps, const char *msg)
{
	if (ps->error == NULL)
		ps->error = msg;
	return -1;
}

/* A quoted string literal with \' and \\ escapes; returns it unescaped. */
static int string_lit(struct parser *ps, char **out_r)
{
	if (ps->p >= ps->end || *ps->p != '\'')
		return err(ps, "expected a quoted string");
	ps->p++;
	char *out = gv_palloc(ps->pool, (size_t)(ps->end - ps->p) + 1);
	size_t n = 0;
	while (ps->p < ps->end && *ps->p != '\'') {
		if (*ps->p == '\\') {
			if (ps->p + 1 >= ps->end ||
			    (ps->p[1] != '\'' && ps->p[1] != '\\'))
				return err(ps, "bad escape in string");
			ps->p++;
		}
		out[n++] = (char)*ps->p++;
	}
	if (ps->p >= ps->end)
		return err(ps, "unterminated string");
	ps->p++;
	out[n] = '\0';
	*out_r = out;
	return 1;
}

/* Any literal; *str_r is set for plain strings only. Typed literals
 * (t'', h'', b'') and numbers/booleans are parsed and returned as NULL. */
static int literal(struct parser *ps, char **str_r)
{
	ws(ps);
	*str_r = NULL;
	if (ps->p >= ps->end)
		return err(ps, "expected a literal");
	if (*ps->p == '\'')
		return string_lit(ps, str_r);
	if ((*ps->p == 't' || *ps->p == 'h' || *ps->p == 'b') &&
	    ps->p + 1 < ps->end && ps->p[1] == '\'') {
		ps->p++;
		char *ignored;
		return string_lit(ps, &ignored);
	}
	if (kw(ps, "true") || kw(ps, "false"))
		return 1;
	const unsigned char *start = ps->p;
	if (ps->p < ps->end && (*ps->p == '-' || *ps->p == '+'))
		ps->p++;
	while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') ||
				   *ps->p == '.' || *ps->p == 'e' ||
				   *ps->p == 'E'))
		ps->p++;
	if (ps->p == start || (ps->p == start + 1 && (*start == '-' ||
						      *start == '+')))
		return err(ps, "expected a literal");
	return 1;
}

/* object-path: type ':' property ( '.' property | '[' index ']' )*. The
 * path is copied out normalised: quotes dropped, lower case. */
static int object_path(struct parser *ps, char **path_r)
{
	ws(ps);
	struct gv_buf b;
	gv_buf_init(&b, 1024);
	const unsigned char *s = ps->p;
	while (ps->p < ps->end && ps->p - s < 1024) {
		unsigned char c = *ps->p;
		if (c == '\'') {
			char *q;
			if (string_lit(ps, &q) < 0) {
				gv_buf_free(&b);
				return -1;
			}
			gv_ascii_lower(q, strlen(q));
			gv_buf_append(&b, q, strlen(q));
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == ':' || c == '.' || c == '[' || c == ']' ||
		      c == '*'))
			break;
		gv_buf_putc(&b, c >= 'A' && c <= 'Z' ? c + 32 : c);
		ps->p++;
	}
	const char *path = gv_buf_cstr(&b);
	if (b.len == 0 || path == NULL || strchr(path, ':') == NULL) {
		gv_buf_free(&b);
		return err(ps, "expected an object path");
	}
	*path_r = gv_pstrdup(ps->pool, path);
	gv_buf_free(&b);
	return 1;
}

static enum gv_intel_kind path_kind(const char *path)
{
	static const struct {
		const char *path;
		enum gv_intel_kind kind;
	} map[] = {
		{ "url:value", GV_ENT_URL },
		{ "domain-name:value", GV_ENT_DOMAIN },
		{ "ipv4-addr:value", GV_ENT_IP },
		{ "ipv6-addr:value", GV_ENT_IP },
		{ "email-addr:value", GV_ENT_SENDER },
		{ "email-message:from_ref.value", GV_ENT_SENDER },
		{ "email-message:sender_ref.value", GV_ENT_SENDER },
	};
	for (size_t i = 0; i < GV_ARRAY_LEN(map); i++)
		if (strcmp(path, map[i].path) == 0)
			return map[i].kind;
	/* file:hashes.X and any file reference's hashes (attachments). */
	const char *h = strstr(path, "hashes.");
	if (h != NULL && (strncmp(path, "file:", 5) == 0 ||
			  strstr(path, "body_raw_ref.") != NULL)) {
		h += 7;
		if (strcmp(h, "md5") == 0 || strcmp(h, "sha-1") == 0 ||
		    strcmp(h, "sha1") == 0 || strcmp(h, "sha-256") == 0 ||
		    strcmp(h, "sha256") == 0 || strcmp(h, "sha-512") == 0 ||
		    strcmp(h, "sha512") == 0)
			return GV_ENT_HASH;
	}
	return 0;
}

static int add_cmp(struct parser *ps, enum gv_intel_kind kind,
		   enum gv_stix_op op, const char *value)
{
	if (ps->n_cmps >= ps->max_cmps)
		return err(ps, "too many comparisons");
	if (ps->n_cmps == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 8;
		struct gv_stix_cmp **n = gv_palloc(ps->pool,
						   ncap * sizeof(*n));
		if (ps->n_cmps)
			memcpy(n, ps->cmps, ps->n_cmps * sizeof(*n));
		ps->cmps = n;
		ps->cap = ncap;
	}
	size_t len = strlen(value);
	struct gv_stix_cmp *c = gv_palloc(ps->pool, sizeof(*c) + len + 1);
	c->kind = kind;
	c->op = op;
	memcpy(c->value, value, len + 1);
	ps->cmps[ps->n_cmps++] = c;
	return 1;
}

/* One comparison. alone: reachable through ORs only. */
static int comparison(struct parser *ps, bool alone)
{
	char *path;
	if (object_path(ps, &path) < 0)
		return -1;
	bool negated = kw(ps, "NOT");
	enum { EQ, NE, ORD, LIKE, MATCHES, IN, SET } op;
	ws(ps);
	if (punct(ps, '='))
		op = EQ;
	else if (ps->p + 1 < ps->end && ps->p[0] == '!' && ps->p[1] == '=')
		ps->p += 2, op = NE;
	else if (ps->p < ps->end && (*ps->p == '<' || *ps->p == '>')) {
		ps->p++;
		if (ps->p < ps->end && *ps->p == '=')
			ps->p++;
		op = ORD;
	} else if (kw(ps, "LIKE"))
		op = LIKE;
	else if (kw(ps, "MATCHES"))
		op = MATCHES;
	else if (kw(ps, "IN"))
		op = IN;
	else if (kw(ps, "ISSUBSET") || kw(ps, "ISSUPERSET"))
		op = SET;
	else
		return err(ps, "expected a comparison operator");
	char *values[64];
	size_t nv = 0;
	if (op == IN) {
		if (!punct(ps, '('))
			return err(ps, "expected ( after IN");
		do {
			char *v;
			if (literal(ps, &v) < 0)
				return -1;
			if (nv < GV_ARRAY_LEN(values))
				values[nv++] = v;
			else
				ps->unsupported++;
		} while (punct(ps, ','));
		if (!punct(ps, ')'))
			return err(ps, "expected ) after IN list");
	} else {
		if (literal(ps, &values[0]) < 0)
			return -1;
		nv = 1;
	}
	enum gv_intel_kind kind = path_kind(path);
	bool regex_ok = kind == GV_ENT_URL || kind == GV_ENT_SENDER;
	bool ok = alone && !negated && kind != 0 &&
		  (op == EQ || op == IN ||
		   ((op == LIKE || op == MATCHES) && regex_ok));
	if (!ok) {
		ps->unsupported++;
		return 1;
	}
	for (size_t i = 0; i < nv; i++) {
		if (values[i] == NULL) {
			ps->unsupported++;
			continue;
		}
		enum gv_stix_op sop = op == LIKE    ? GV_STIX_LIKE :
				      op == MATCHES ? GV_STIX_MATCHES :
						      GV_STIX_EQ;
		if (add_cmp(ps, kind, sop, values[i]) < 0)
			return -1;
	}
	return 1;
}

static int comp_or(struct parser *ps, bool alone);

/* comp_test: '(' comp_or ')' or a comparison. */
static int comp_test(struct parser *ps, bool alone)
{
	if (punct(ps, '(')) {
		if (++ps->depth > ps->max_depth)
			return err(ps, "pattern nested too deeply");
		if (comp_or(ps, alone) < 0)
			return -1;
		ps->depth--;
		return punct(ps, ')') ? 1 : err(ps, "expected )");
	}
	return comparison(ps, alone);
}

/* comp_and: comp_test (AND comp_test)*. Parsed once with alone as given,
 * then if an AND shows up the earlier extraction is rolled back. */
static int comp_and(struct parser *ps, bool alone)
{
	size_t mark = ps->n_cmps, unsup = ps->unsupported;
	const unsigned char *start = ps->p;
	if (comp_test(ps, alone) < 0)
		return -1;
	ws(ps);
	const unsigned char *save = ps->p;
	if (!kw(ps, "AND"))
		return 1;
	ps->p = save;
	if (!alone)
		goto rest;
	/* Re-parse the conjunction with alone=false: one unsupported unit. */
	ps->n_cmps = mark;
	ps->unsupported = unsup;
	ps->p = start;
	if (comp_test(ps, false) < 0)
		return -1;
rest:
	while (kw(ps, "AND"))
		if (comp_test(ps, false) < 0)
			return -1;
	if (alone)
		ps->unsupported = unsup + 1;
	return 1;
}

static int comp_or(struct parser *ps, bool alone)
{
	do {
		if (comp_and(ps, alone) < 0)
			return -1;
	} while (kw(ps, "OR"));
	return 1;
}

/* Qualifiers after an observation; REPEATS makes it unmatchable alone. */
static int qualifiers(struct parser *ps, bool *repeats_r)
{
	for (;;) {
		char *v;
		if (kw(ps, "WITHIN")) {
			if (literal(ps, &v) < 0 || !kw(ps, "SECONDS"))
				return err(ps, "bad WITHIN qualifier");
		} else if (kw(ps, "REPEATS")) {
			if (literal(ps, &v) < 0 || !kw(ps, "TIMES"))
				return err(ps, "bad REPEATS qualifier");
			*repeats_r = true;
		} else if (kw(ps, "START")) {
			if (literal(ps, &v) < 0 || !kw(ps, "STOP") ||
			    literal(ps, &v) < 0)
				return err(ps, "bad START/STOP qualifier");
		} else {
			return 1;
		}
	}
}

static int obs_or(struct parser *ps, bool alone);

static int obs_test(struct parser *ps, bool alone)
{
	size_t mark = ps->n_cmps, unsup = ps->unsupported;
	if (punct(ps, '[')) {
		if (++ps->depth > ps->max_depth)
			return err(ps, "pattern nested too deeply");
		if (comp_or(ps, alone) < 0)
			return -1;
		ps->depth--;
		if (!punct(ps, ']'))
			return err(ps, "expected ]");
	} else if (punct(ps, '(')) {
		if (++ps->depth > ps->max_depth)
			return err(ps, "pattern nested too deeply");
		if (obs_or(ps, alone) < 0)
			return -1;
		ps->depth--;
		if (!punct(ps, ')'))
			return err(ps, "expected )");
	} else {
		return err(ps, "expected [ or (");
	}
	bool repeats = false;
	if (qualifiers(ps, &repeats) < 0)
		return -1;
	if (repeats && alone) {
		ps->n_cmps = mark;
		ps->unsupported = unsup + 1;
	}
	return 1;
}

/* obs_and: obs_test ((AND|FOLLOWEDBY) obs_test)*, same roll-back idea. */
static int obs_and(struct parser *ps, bool alone)
{
	size_t mark = ps->n_cmps, unsup = ps->unsupported;
	const unsigned char *start = ps->p;
	if (obs_test(ps, alone) < 0)
		return -1;
	const unsigned char *save = ps->p;
	if (!kw(ps, "AND") && !kw(ps, "FOLLOWEDBY"))
		return 1;
	ps->p = save;
	if (alone) {
		ps->n_cmps = mark;
		ps->p = start;
		if (obs_test(ps, false) < 0)
			return -1;
	}
	while (kw(ps, "AND") || kw(ps, "FOLLOWEDBY"))
		if (obs_test(ps, false) < 0)
			return -1;
	if (alone)
		ps->unsupported = unsup + 1;
	return 1;
}

static int obs_or(struct parser *ps, bool alone)
{
	do {
		if (obs_and(ps, alone) < 0)
			return -1;
	} while (kw(ps, "OR"));
	return 1;
}

int gv_stix_pattern_parse(const unsigned char *data, size_t len,
			  const struct gv_stix_pattern_limits *limits,
			  struct gv_pool *pool, struct gv_stix_cmp ***cmps_r,
			  size_t *n_r, size_t *unsupported_r,
			  const char **error_r)
{
	size_t max_len = limits && limits->max_len ? limits->max_len : 8192;
	struct parser ps = {
		.p = data,
		.end = data + len,
		.pool = pool,
		.max_depth = limits && limits->max_depth ? limits->max_depth :
							   16,
		.max_cmps = limits && limits->max_comparisons ?
				    limits->max_comparisons :
				    64,
	};
	if (len > max_len) {
		*error_r = "pattern too long";
		return -1;
	}
	if (obs_or(&ps, true) < 0) {
		*error_r = ps.error ? ps.error : "syntax error";
		return -1;
	}
	ws(&ps);
	if (ps.p != ps.end) {
		*error_r = "trailing characters after pattern";
		return -1;
	}
	*cmps_r = ps.cmps;
	*n_r = ps.n_cmps;
	*unsupported_r = ps.unsupported;
	return 1;
}
