/*
 * Takedown reports: an X-ARF v4 JSON report (class "content", type
 * "brand_infringement") inside a readable RFC 5322 message to the
 * registrar's abuse contact. The contact comes from the configuration or
 * from a saved RDAP answer (rdap.c); nothing here touches the network.
 */
#include "domains/domains-private.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static void format_time(time_t t, const char *fmt, char *out, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, size, fmt, &tm);
}

static void new_uuid(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		gv_fatal("getrandom failed");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
		 b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static json_t *xarf_json(const struct gv_abuse_opts *o,
			 const struct gv_abuse_evidence *ev, const char *uuid,
			 time_t now)
{
	char ts[32], seen[32], url[GV_DOMAIN_MAX + 16];
	format_time(now, "%Y-%m-%dT%H:%M:%SZ", ts, sizeof(ts));
	format_time(ev->first_seen, "%Y-%m-%dT%H:%M:%SZ", seen, sizeof(seen));
	snprintf(url, sizeof(url), "http://%s/", ev->domain);
	json_t *r = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:s,"
			      " s:s, s:s, s:f, s:s, s:s, s:s}",
		"xarf_version", "4.0.0", "report_id", uuid, "timestamp", ts,
		"reporter", "org", o->reporter_org, "contact", o->from,
		"type", "automated",
		"source_identifier", ev->domain, "class", "content",
		"type", "brand_infringement", "url", url,
		"evidence_source", "automated_scan",
		"confidence", ev->score / 100.0, "target_brand", ev->brand,
		"domain", ev->domain, "first_seen", seen);
	if (r == NULL)
		return NULL;
	json_object_set_new(r, "description", json_sprintf(
		"%s imitates the protected brand %s (technique: %s, score %u)",
		ev->domain, ev->brand, gv_domain_technique_name(ev->technique),
		ev->score));
	json_object_set_new(r, "technique",
			    json_string(gv_domain_technique_name(ev->technique)));
	json_object_set_new(r, "score", json_integer(ev->score));
	return r;
}

int gv_abuse_report_write(const struct gv_abuse_opts *o,
			  const struct gv_abuse_contact *to,
			  const struct gv_abuse_evidence *ev,
			  struct gv_buf *out, const char **error_r)
{
	if (!gv_domains_printable(o->from) || !gv_domains_printable(o->reporter_org) ||
	    to == NULL || !gv_domains_printable(to->email) ||
	    (to->registrar != NULL && !gv_domains_printable(to->registrar)) ||
	    !gv_domains_printable(ev->domain) || !gv_domains_printable(ev->brand)) {
		*error_r = "report: missing or unprintable address, domain or brand";
		return -1;
	}
	time_t now = o->now != 0 ? o->now : time(NULL);
	char uuid[37], date[64], seen[64];
	new_uuid(uuid);
	format_time(now, "%a, %d %b %Y %H:%M:%S +0000", date, sizeof(date));
	format_time(ev->first_seen, "%Y-%m-%d %H:%M:%S UTC", seen, sizeof(seen));
	json_t *j = xarf_json(o, ev, uuid, now);
	char *js = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (js == NULL) {
		*error_r = "report: cannot build the X-ARF JSON";
		return -1;
	}
	const char *domain = strchr(o->from, '@') != NULL ? strchr(o->from, '@') + 1 : "localhost";
	int rc = gv_buf_printf(out,
		"From: %s <%s>\r\nTo: %s\r\nSubject: Abuse report: lookalike domain %s "
		"imitating %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n"
		"MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
		"X-XARF: PLAIN\r\nContent-Type: multipart/mixed; "
		"boundary=\"xarf-%s\"\r\n\r\n"
		"This is a multi-part message in MIME format.\r\n\r\n"
		"--xarf-%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n"
		"Hello%s%s,\r\n\r\n"
		"the domain %s, registered through you, imitates the brand %s.\r\n"
		"We ask you to suspend it under your abuse policy.\r\n\r\n"
		"Evidence:\r\n  domain:      %s\r\n  imitates:    %s\r\n"
		"  technique:   %s\r\n  score:       %u / 100\r\n"
		"  first seen:  %s\r\n\r\n"
		"The attached X-ARF v4 report carries the same facts for automated "
		"processing.\r\n\r\n%s\r\n\r\n"
		"--xarf-%s\r\nContent-Type: application/json; charset=utf-8\r\n"
		"Content-Disposition: attachment; filename=\"xarf.json\"\r\n\r\n"
		"%s\r\n--xarf-%s--\r\n",
		o->reporter_org, o->from, to->email, ev->domain, ev->brand, date,
		uuid, domain, uuid, uuid,
		to->registrar != NULL ? " " : "", to->registrar != NULL ? to->registrar : "",
		ev->domain, ev->brand, ev->domain, ev->brand,
		gv_domain_technique_name(ev->technique), ev->score, seen,
		o->reporter_org, uuid, js, uuid);
	free(js);
	if (rc < 0) {
		*error_r = "report: larger than the output limit";
		return -1;
	}
	return 1;
}
