/*
 * URL parsing and normalization. Phishers hide hosts with HTML entities,
 * percent-encoding, decimal/hex/octal IPv4 forms, "brand.com@evil" userinfo
 * and Unicode lookalikes; this undoes each trick, records that it was used
 * (GV_URL_F_*) and yields a canonical scheme://host[:port]/path.
 */
#include "mail/mail-private.h" /* before idn2.h: both define G_GNUC_* */

#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t pct_decode(char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len + 0 && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	return o;
}

/* Parses one IPv4 component in C notation (0x.., 0.., decimal). */
static int ip_component(const char *s, size_t len, uint64_t *v, bool *odd)
{
	int base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
		*odd = true;
	} else if (len > 1 && s[0] == '0') {
		base = 8;
		*odd = true;
	}
	if (len == 0 || len > 20)
		return -1;
	uint64_t r = 0;
	for (size_t i = 0; i < len; i++) {
		int d = hexval(s[i]);
		if (d < 0 || d >= base)
			return -1;
		r = r * (uint64_t)base + (uint64_t)d;
		if (r > 0xFFFFFFFFULL)
			return -1;
	}
	*v = r;
	return 1;
}

/* Recognizes every IPv4 spelling browsers accept (1 to 4 components, each
 * decimal, octal or hex). Writes dotted form to out. */
static int ipv4_forms(const char *host, char *out, size_t outlen, bool *odd_r)
{
	uint64_t parts[4];
	size_t n = 0;
	bool odd = false;
	const char *p = host;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 4 || ip_component(p, l, &parts[n], &odd) < 0)
			return 0;
		n++;
		if (!dot)
			break;
		p = dot + 1;
		if (*p == '\0')
			break; /* trailing dot */
	}
	if (n == 0)
		return 0;
	uint64_t v = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (parts[i] > 255)
			return 0;
		v = (v << 8) | parts[i];
	}
	size_t rest_bits = 8 * (5 - n);
	if (rest_bits < 64 && parts[n - 1] >= (1ULL << rest_bits))
		return 0;
	v = (v << rest_bits) | parts[n - 1];
	if (n != 4)
		odd = true;
	snprintf(out, outlen, "%u.%u.%u.%u", (unsigned)(v >> 24) & 255,
		 (unsigned)(v >> 16) & 255, (unsigned)(v >> 8) & 255,
		 (unsigned)v & 255);
	*odd_r = odd;
	return 1;
}

static bool host_chars_ok(const char *h)
{
	if (*h == '\0' || *h == '.' || *h == '-')
		return false;
	for (; *h; h++)
		if (!(isalnum((unsigned char)*h) || *h == '.' || *h == '-' ||
		      *h == '_'))
			return false;
	return true;
}

/* Host to lowercase ASCII; IDN to punycode; sets flags. */
static const char *norm_host(struct gv_pool *pool, char *h, size_t len,
			     struct gv_mail_url *u)
{
	while (len > 0 && h[len - 1] == '.')
		h[--len] = '\0';
	bool ascii = true;
	for (size_t i = 0; i < len; i++)
		ascii &= (unsigned char)h[i] < 0x80;
	if (!ascii) {
		char *ace = NULL;
		int rc = idn2_lookup_u8((const uint8_t *)h, (uint8_t **)&ace,
					IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK)
			rc = idn2_lookup_u8((const uint8_t *)h, (uint8_t **)&ace,
					    IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
		u->flags |= GV_URL_F_IDN;
		u->host_utf8 = gv_pstrndup(pool, h, len);
		if (rc != IDN2_OK) {
			u->flags |= GV_URL_F_BAD;
			return u->host_utf8;
		}
		const char *r = gv_pstrdup(pool, ace);
		idn2_free(ace);
		return r;
	}
	gv_ascii_lower(h, len);
	if (strstr(h, "xn--") != NULL) {
		u->flags |= GV_URL_F_IDN;
		char *uni = NULL;
		if (idn2_to_unicode_8z8z(h, &uni, 0) == IDN2_OK) {
			u->host_utf8 = gv_pstrdup(pool, uni);
			idn2_free(uni);
		}
	}
	return h;
}

int gv_url_parse(struct gv_pool *pool, const char *s, size_t len,
		 struct gv_mail_url *u)
{
	memset(u, 0, sizeof(*u));
	while (len > 0 && (isspace((unsigned char)*s) || *s == '"' || *s == '\'')) {
		s++;
		len--;
	}
	while (len > 0 && (isspace((unsigned char)s[len - 1]) ||
			   s[len - 1] == '"' || s[len - 1] == '\''))
		len--;
	if (len == 0 || len > 65536)
		return 0;
	size_t dl = len;
	const char *d = memchr(s, '&', len)
				? gv_html_decode_entities(pool, s, len, &dl)
				: gv_pstrndup(pool, s, len);
	if (dl != len)
		u->flags |= GV_URL_F_ENTITY;
	/* scheme */
	size_t i = 0;
	while (i < dl && (isalnum((unsigned char)d[i]) || d[i] == '+' ||
			  d[i] == '-' || d[i] == '.'))
		i++;
	const char *rest;
	char *scheme;
	if (i > 0 && i < 16 && i < dl && d[i] == ':' && isalpha((unsigned char)d[0])) {
		scheme = gv_pstrndup(pool, d, i);
		gv_ascii_lower(scheme, i);
		rest = d + i + 1;
	} else if (gv_mem_has_prefix_ci(d, dl, "www.") ||
		   gv_mem_has_prefix_ci(d, dl, "//")) {
		scheme = "http";
		rest = d;
	} else {
		return 0; /* relative reference: no host to judge */
	}
	if (strcmp(scheme, "hxxp") == 0 || strcmp(scheme, "hxxps") == 0)
		scheme = strcmp(scheme, "hxxp") == 0 ? "http" : "https";
	u->scheme = scheme;
	if (strcmp(scheme, "data") == 0) {
		u->flags |= GV_URL_F_DATA;
		u->url = gv_pstrndup(pool, d, dl < 256 ? dl : 256);
		u->host = u->host_utf8 = u->registrable = "";
		return 1;
	}
	if (strcmp(scheme, "http") && strcmp(scheme, "https") &&
	    strcmp(scheme, "ftp"))
		return 0; /* mailto:, tel:, cid:, javascript: ... */
	while (*rest == '/' || *rest == '\\')
		rest++;
	size_t al = strcspn(rest, "/?#\\");
	char *auth = gv_pstrndup(pool, rest, al);
	const char *path = rest + al;
	char *at = strrchr(auth, '@');
	char *host = auth;
	if (at != NULL) {
		*at = '\0';
		u->userinfo = gv_pstrdup(pool, auth);
		pct_decode((char *)u->userinfo, strlen(u->userinfo));
		u->flags |= GV_URL_F_USERINFO;
		host = at + 1;
	}
	if (strchr(host, '%')) {
		pct_decode(host, strlen(host));
		u->flags |= GV_URL_F_PCT_HOST;
		/* a decoded host may itself hide a userinfo trick */
		char *at2 = strrchr(host, '@');
		if (at2 != NULL) {
			u->userinfo = gv_pstrndup(pool, host, (size_t)(at2 - host));
			u->flags |= GV_URL_F_USERINFO;
			host = at2 + 1;
		}
	}
	const char *port = NULL;
	if (*host == '[') {
		char *rb = strchr(host, ']');
		if (rb == NULL)
			return 0;
		*rb = '\0';
		host++;
		u->flags |= GV_URL_F_IP;
		if (rb[1] == ':')
			port = rb + 2;
	} else {
		char *colon = strrchr(host, ':');
		if (colon != NULL) {
			*colon = '\0';
			port = colon + 1;
		}
	}
	if (port && *port && strcmp(port, "80") && strcmp(port, "443"))
		u->flags |= GV_URL_F_NONSTD_PORT;
	size_t hl = strlen(host);
	if (hl == 0 || hl > 253)
		return 0;
	char ipbuf[32];
	bool odd = false;
	if (!(u->flags & GV_URL_F_IP) && ipv4_forms(host, ipbuf, sizeof(ipbuf), &odd)) {
		u->flags |= GV_URL_F_IP | (odd ? GV_URL_F_IP_OBFUSC : 0);
		u->host = gv_pstrdup(pool, ipbuf);
	} else if (u->flags & GV_URL_F_IP) {
		gv_ascii_lower(host, hl);
		u->host = host;
	} else {
		u->host = norm_host(pool, host, hl, u);
		if (!(u->flags & GV_URL_F_BAD) && !host_chars_ok(u->host))
			u->flags |= GV_URL_F_BAD;
	}
	if (u->host_utf8 == NULL)
		u->host_utf8 = u->host;
	u->registrable = (u->flags & (GV_URL_F_IP | GV_URL_F_BAD))
				 ? u->host
				 : gv_mail_registrable(pool, u->host);
	size_t pl = strcspn(path, " \t\r\n");
	if (pl > 2048)
		pl = 2048;
	u->url = gv_psprintf(pool, "%s://%s%s%s%.*s", scheme,
			     strchr(u->host, ':') ? "[" : "", u->host,
			     strchr(u->host, ':') ? "]" : "", (int)pl,
			     *path ? path : "/");
	return 1;
}
