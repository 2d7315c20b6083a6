/*
 * The alert model: names, ids and the JSON document every sink sends
 * (schema "geneva.alert/1", documented in docs/alerts.md).
 */
#include "respond/respond-private.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const sev_names[] = { "info", "low", "medium", "high",
					 "critical" };
static const char *const kind_names[] = { "message", "lookalike", "mailbox",
					  "indicator", "notice", "other" };

const char *gv_severity_name(enum gv_severity s)
{
	return (unsigned)s < GV_ARRAY_LEN(sev_names) ? sev_names[s] : "unknown";
}

int gv_severity_parse(const char *name)
{
	for (size_t i = 0; i < GV_ARRAY_LEN(sev_names); i++)
		if (name && strcmp(name, sev_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *gv_alert_kind_name(enum gv_alert_kind k)
{
	return (unsigned)k < GV_ARRAY_LEN(kind_names) ? kind_names[k] : "other";
}

void gv_alert_init(struct gv_alert *a, enum gv_alert_kind kind,
		   enum gv_severity severity, const char *source)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->severity = severity;
	a->source = source;
}

int gv_alert_add(struct gv_alert *a, const char *key, const char *value)
{
	if (a->n_evidence >= GV_ALERT_MAX_EVIDENCE || key == NULL)
		return -1;
	a->evidence[a->n_evidence++] = (struct gv_alert_kv){ key,
		value ? value : "" };
	return 1;
}

/* The dedup key an alert is known by: its own, or kind|user|title. */
void alert_effective_key(const struct gv_alert *a, char *out, size_t cap)
{
	if (a->dedup_key && a->dedup_key[0])
		snprintf(out, cap, "%s", a->dedup_key);
	else
		snprintf(out, cap, "%s|%s|%s", gv_alert_kind_name(a->kind),
			 a->subject_user ? a->subject_user : "",
			 a->title ? a->title : "");
}

/*
 * Id: 128 bits of (key, time) in hex. Deterministic on purpose: a detector
 * that replays its input after a restart produces the same id, and the
 * outbox refuses it (see outbox.c). Not a secret and not a signature.
 */
void alert_make_id(const char *key, int64_t t, char out[ALERT_ID_LEN + 1])
{
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), "%s|%lld", key, (long long)t);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	uint64_t h1 = gv_hash64(buf, (size_t)n, 0x9e3779b97f4a7c15ULL);
	uint64_t h2 = gv_hash64(buf, (size_t)n, 0xc2b2ae3d27d4eb4fULL);
	snprintf(out, ALERT_ID_LEN + 1, "%016llx%016llx",
		 (unsigned long long)h1, (unsigned long long)h2);
}

void alert_time_str(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Copy of s with every byte that is not part of valid UTF-8 replaced by
 * '?': detectors copy log and message text (user names, subjects) that
 * may be any bytes, and an alert must not be lost over it. */
char *alert_utf8_fix(const char *s)
{
	char *out = gv_strdup(s);
	unsigned char *p = (unsigned char *)out;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p >> 5) == 0x6 ? 2 :
			   (*p >> 4) == 0xe ? 3 : (*p >> 3) == 0x1e ? 4 : 0;
		size_t i = 1;
		while (i < n && (p[i] & 0xc0) == 0x80)
			i++;
		if (n == 0 || i < n || (n == 2 && *p < 0xc2)) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
	return out;
}

static json_t *jstr(const char *s)
{
	/* json_string() refuses invalid UTF-8: keep the text, fix it */
	if (s == NULL)
		return json_null();
	json_t *j = json_string(s);
	if (j == NULL) {
		char *fixed = alert_utf8_fix(s);
		j = json_string(fixed);
		gv_free(fixed);
	}
	return j;
}

char *gv_alert_to_json(const struct gv_alert *a, const char *id)
{
	char ts[32], key[1024];
	alert_time_str(a->time, ts, sizeof(ts));
	alert_effective_key(a, key, sizeof(key));
	json_t *ev = json_object();
	for (size_t i = 0; i < a->n_evidence; i++)
		json_object_set_new(ev, a->evidence[i].key,
				    jstr(a->evidence[i].value));
	json_t *root = json_object();
	json_object_set_new(root, "schema", json_string("geneva.alert/1"));
	json_object_set_new(root, "id", jstr(id));
	json_object_set_new(root, "kind",
			    json_string(gv_alert_kind_name(a->kind)));
	json_object_set_new(root, "severity",
			    json_string(gv_severity_name(a->severity)));
	json_object_set_new(root, "source", jstr(a->source ? a->source : ""));
	json_object_set_new(root, "time", json_string(ts));
	json_object_set_new(root, "subject_user", jstr(a->subject_user));
	json_object_set_new(root, "title", jstr(a->title ? a->title : ""));
	json_object_set_new(root, "summary", jstr(a->summary ? a->summary : ""));
	json_object_set_new(root, "dedup_key", jstr(key));
	json_object_set_new(root, "evidence", ev);
	char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	gv_assert(text != NULL);
	char *out = gv_strdup(text);
	free(text);
	return out;
}
