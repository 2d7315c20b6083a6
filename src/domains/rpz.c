/*
 * RPZ zone writer (Response Policy Zone, as loaded by Unbound's `rpz:` and
 * BIND's `response-policy`). Triggers are query names written relative to
 * the zone origin; the action is a CNAME to a sinkhole host, fixed A/AAAA
 * records, or NXDOMAIN (CNAME to the root). The serial is YYYYMMDDnn so a
 * rewrite always increases it and `unbound-control auth_zone_reload` (or
 * `rndc reload`) picks the zone up without a restart.
 */
#include "domains/domains-private.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t gv_rpz_next_serial(uint32_t old, time_t now)
{
	struct tm tm;
	gmtime_r(&now, &tm);
	uint32_t base = (uint32_t)(tm.tm_year + 1900) * 1000000u +
			(uint32_t)(tm.tm_mon + 1) * 10000u + (uint32_t)tm.tm_mday * 100u;
	/* same day: count up in the last two digits; past 99 (or a serial
	 * from the future) simply add one, which stays valid for RFC 1982 */
	return old < base ? base : old + 1;
}

int gv_rpz_parse_serial(const char *zone, size_t len, uint32_t *serial_r)
{
	/* "@ IN SOA mname rname SERIAL ..." on one line (what we write) */
	const char *p = zone, *end = zone + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *soa = gv_memcasemem(p, (size_t)(le - p), " SOA ", 5);
		if (soa != NULL) {
			const char *q = soa + 5;
			for (int field = 0; field < 2; field++) {
				while (q < le && (*q == ' ' || *q == '\t'))
					q++;
				while (q < le && *q != ' ' && *q != '\t')
					q++;
			}
			while (q < le && (*q == ' ' || *q == '\t'))
				q++;
			char num[16];
			size_t n = 0;
			while (q < le && *q >= '0' && *q <= '9' && n + 1 < sizeof(num))
				num[n++] = *q++;
			num[n] = '\0';
			uint64_t v;
			if (n > 0 && gv_parse_u64(num, UINT32_MAX, &v) > 0) {
				*serial_r = (uint32_t)v;
				return 1;
			}
			return 0;
		}
		p = le + 1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool host_ok(const char *h)
{
	struct gv_domain_name n;
	const char *error;
	return h != NULL && gv_domain_normalize(h, strlen(h), NULL, &n, &error) > 0;
}

static int write_triggers(const struct gv_rpz_opts *o, const char *name,
			  const char *owner, struct gv_buf *out)
{
	int rc = 1;
	switch (o->action) {
	case GV_RPZ_CNAME:
		rc = gv_buf_printf(out, "%s%s CNAME %s.\n", owner, name, o->sinkhole_host);
		break;
	case GV_RPZ_NXDOMAIN:
		rc = gv_buf_printf(out, "%s%s CNAME .\n", owner, name);
		break;
	case GV_RPZ_ADDRESS:
		if (o->a != NULL)
			rc = gv_buf_printf(out, "%s%s A %s\n", owner, name, o->a);
		if (rc > 0 && o->aaaa != NULL)
			rc = gv_buf_printf(out, "%s%s AAAA %s\n", owner, name, o->aaaa);
		break;
	}
	return rc;
}

static int check_opts(const struct gv_rpz_opts *o, const char **error_r)
{
	unsigned char addr[16];
	if (!host_ok(o->origin)) {
		*error_r = "rpz: bad zone origin";
		return -1;
	}
	if (o->action == GV_RPZ_CNAME && !host_ok(o->sinkhole_host)) {
		*error_r = "rpz: bad or missing sinkhole host";
		return -1;
	}
	if (o->action == GV_RPZ_ADDRESS &&
	    ((o->a == NULL && o->aaaa == NULL) ||
	     (o->a != NULL && inet_pton(AF_INET, o->a, addr) != 1) ||
	     (o->aaaa != NULL && inet_pton(AF_INET6, o->aaaa, addr) != 1))) {
		*error_r = "rpz: bad or missing sinkhole address";
		return -1;
	}
	return 1;
}

int gv_rpz_write(const struct gv_rpz_opts *o, const char *const *domains,
		 size_t n, uint32_t serial, struct gv_buf *out,
		 const char **error_r)
{
	if (check_opts(o, error_r) < 0)
		return -1;
	uint32_t ttl = o->ttl != 0 ? o->ttl : 300;
	const char **sorted = gv_calloc(n + 1, sizeof(char *));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct gv_domain_name dn;
		const char *error;
		if (gv_domain_normalize(domains[i], strlen(domains[i]), NULL, &dn, &error) > 0)
			sorted[m++] = gv_strdup(dn.ascii);
	}
	qsort(sorted, m, sizeof(char *), cmp_str);
	size_t uniq = 0;
	for (size_t i = 0; i < m; i++) {
		if (uniq > 0 && strcmp(sorted[i], sorted[uniq - 1]) == 0) {
			gv_free((void *)sorted[i]);
			continue;
		}
		sorted[uniq++] = sorted[i];
	}
	m = uniq;
	int rc = gv_buf_printf(out,
		"; RPZ zone written by geneva domains rpz: %zu lookalike domain(s)\n"
		"$TTL %u\n"
		"@ IN SOA localhost. hostmaster.localhost. %u 3600 600 86400 %u\n"
		"@ IN NS localhost.\n", m, ttl, serial, ttl);
	for (size_t i = 0; i < m && rc > 0; i++) {
		rc = write_triggers(o, sorted[i], "", out);
		if (rc > 0 && o->wildcard)
			rc = write_triggers(o, sorted[i], "*.", out);
	}
	for (size_t i = 0; i < m; i++)
		gv_free((void *)sorted[i]);
	gv_free(sorted);
	if (rc < 0) {
		*error_r = "rpz: zone larger than the output limit";
		return -1;
	}
	return 1;
}
