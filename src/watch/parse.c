/*
 * Dovecot 2.3 log-line parser. One line in, at most one event out; no
 * allocation, no state. Accepted shapes:
 *
 *   TS SERVICE: [Level: ]MESSAGE                  (Dovecot's own log_path)
 *   TS HOST dovecot[PID]: SERVICE: MESSAGE         (syslog)
 *   TS SERVICE: MESSAGE                            (syslog without host)
 *
 * TS is "Mmm dd HH:MM:SS", ISO 8601 "YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±hh:mm]"
 * or TAI64N "@4000…". Lines of other programs are well formed but ignored
 * (0); lines without a known timestamp are garbage (-1). The hot path is
 * memchr/memcmp over the line: this runs for every log line (bench goal
 * 500k lines/s), so nothing here allocates or copies.
 */
#include "watch/watch-private.h"

#include <string.h>

static const struct gv_watch_limits default_limits = {
	.max_line = 65536, .json_depth = 8, .max_users = 100000,
	.max_sessions = 200000,
};

void gv_watch_limits_fill(struct gv_watch_limits *out,
			  const struct gv_watch_limits *in)
{
	*out = default_limits;
	if (in == NULL)
		return;
	if (in->max_line)
		out->max_line = in->max_line;
	if (in->json_depth)
		out->json_depth = in->json_depth;
	if (in->max_users)
		out->max_users = in->max_users;
	if (in->max_sessions)
		out->max_sessions = in->max_sessions;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y, m 1-12, d). */
int64_t gv_watch_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*out = v;
	return true;
}

static bool parse_hms(const char *p, const char *end, int64_t *secs_r)
{
	unsigned h, mi, s;
	if (end - p < 8 || p[2] != ':' || p[5] != ':' || !digits(p, 2, &h) ||
	    !digits(p + 3, 2, &mi) || !digits(p + 6, 2, &s) || h > 23 ||
	    mi > 59 || s > 60)
		return false;
	*secs_r = (int64_t)h * 3600 + mi * 60 + s;
	return true;
}

static int month_index(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (memcmp(names + i * 3, p, 3) == 0)
			return i + 1;
	return 0;
}

/* Civil year of a Unix time (Howard Hinnant's days -> civil algorithm). */
int64_t gv_watch_year_of(int64_t t)
{
	int64_t z = (t >= 0 ? t / 86400 : (t - 86399) / 86400) + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	return (int64_t)yoe + era * 400 + (m <= 2);
}

/* "Mmm dd HH:MM:SS" (day may be space padded). The year comes from
 * ref_time; a date more than a day ahead of it belongs to the year
 * before (logs read in January that were written in December). */
static const char *ts_bsd(const char *p, const char *end, int64_t ref,
			  int64_t *t_r)
{
	if (end - p < 15)
		return NULL;
	int mon = month_index(p);
	if (mon == 0 || p[3] != ' ')
		return NULL;
	const char *q = p + 4;
	if (*q == ' ')
		q++;
	unsigned day = 0;
	if (q < end && *q >= '0' && *q <= '9')
		day = (unsigned)(*q++ - '0');
	if (q < end && *q >= '0' && *q <= '9')
		day = day * 10 + (unsigned)(*q++ - '0');
	if (day < 1 || day > 31 || q >= end || *q != ' ')
		return NULL;
	q++;
	int64_t hms;
	if (!parse_hms(q, end, &hms))
		return NULL;
	q += 8;
	int64_t year = gv_watch_year_of(ref);
	int64_t t = gv_watch_days_from_civil(year, (unsigned)mon, day) * 86400 +
		    hms;
	if (t > ref + 86400)
		t = gv_watch_days_from_civil(year - 1, (unsigned)mon, day) *
			    86400 + hms;
	*t_r = t;
	return q;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+hh:mm|+hhmm]" */
static const char *ts_iso(const char *p, const char *end, int64_t *t_r)
{
	unsigned y, mo, d;
	if (end - p < 19 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != ' ') || !digits(p, 4, &y) ||
	    !digits(p + 5, 2, &mo) || !digits(p + 8, 2, &d) || mo < 1 ||
	    mo > 12 || d < 1 || d > 31)
		return NULL;
	int64_t hms;
	if (!parse_hms(p + 11, end, &hms))
		return NULL;
	const char *q = p + 19;
	if (q < end && (*q == '.' || *q == ',')) {
		q++;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	int64_t off = 0;
	if (q < end && *q == 'Z') {
		q++;
	} else if (q < end && (*q == '+' || *q == '-') && end - q >= 5) {
		unsigned oh, om;
		int sign = *q == '-' ? -1 : 1;
		const char *mm = q + (q[3] == ':' ? 4 : 3);
		if (end - mm >= 2 && digits(q + 1, 2, &oh) &&
		    digits(mm, 2, &om)) {
			off = sign * ((int64_t)oh * 3600 + om * 60);
			q = mm + 2;
		}
	}
	*t_r = gv_watch_days_from_civil(y, mo, d) * 86400 + hms - off;
	return q;
}

/* TAI64N label: '@' and 24 hex digits; seconds are label - 2^62 - 10. */
static const char *ts_tai64n(const char *p, const char *end, int64_t *t_r)
{
	if (end - p < 25 || p[0] != '@')
		return NULL;
	uint64_t v = 0;
	for (int i = 1; i <= 24; i++) {
		char c = p[i];
		unsigned x;
		if (c >= '0' && c <= '9')
			x = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x = (unsigned)(c - 'A' + 10);
		else
			return NULL;
		if (i <= 16)
			v = v << 4 | x;
	}
	if (v < (UINT64_C(1) << 62))
		return NULL;
	*t_r = (int64_t)(v - (UINT64_C(1) << 62)) - 10;
	return p + 25;
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* Token up to the next space; returns its end. */
static const char *token_end(const char *p, const char *end)
{
	if (p >= end)
		return end;
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	return sp ? sp : end;
}

static bool is_dovecot_prog(const char *p, const char *te)
{
	size_t n = (size_t)(te - p);
	if (n < 8 || memcmp(p, "dovecot", 7) != 0)
		return false;
	return p[7] == ':' || (p[7] == '[' && te[-1] == ':');
}

/* SERVICE token "name(user)<pid><session>:" split into its parts. */
static void split_service(const char *p, const char *colon,
			  struct gv_watch_event *ev)
{
	const char *paren = memchr(p, '(', (size_t)(colon - p));
	if (paren == NULL) {
		ev->service = (struct gv_str){ p, (size_t)(colon - p) };
		return;
	}
	ev->service = (struct gv_str){ p, (size_t)(paren - p) };
	const char *close = colon;
	while (close > paren && close[-1] != ')')
		close--;
	if (close <= paren + 1)
		return;
	ev->user = (struct gv_str){ paren + 1, (size_t)(close - 1 - paren - 1) };
	/* <pid><session> tags after the user. */
	const char *q = close;
	for (int i = 0; i < 2 && q < colon && *q == '<'; i++) {
		const char *gt = memchr(q, '>', (size_t)(colon - q));
		if (gt == NULL)
			break;
		struct gv_str s = { q + 1, (size_t)(gt - q - 1) };
		if (i == 0)
			ev->pid = s;
		else
			ev->session = s;
		q = gt + 1;
	}
}

static const char *skip_level(const char *p, const char *end)
{
	static const char *levels[] = { "Info: ", "Warning: ", "Error: ",
					"Debug: ", "Fatal: ", "Panic: " };
	for (size_t i = 0; i < GV_ARRAY_LEN(levels); i++) {
		size_t n = strlen(levels[i]);
		if ((size_t)(end - p) >= n && memcmp(p, levels[i], n) == 0)
			return p + n;
	}
	return p;
}

int gv_watch_parse_line(const unsigned char *data, size_t len,
			const struct gv_watch_limits *limits, int64_t ref_time,
			struct gv_watch_event *ev)
{
	struct gv_watch_limits lim;
	gv_watch_limits_fill(&lim, limits);
	memset(ev, 0, offsetof(struct gv_watch_event, scratch));
	ev->scratch_used = 0;
	const char *p = (const char *)data;
	const char *end = p + len;
	if (len > lim.max_line)
		return -1;
	while (end > p && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	if (p == end)
		return 0;

	const char *q = NULL;
	if (*p >= 'A' && *p <= 'Z')
		q = ts_bsd(p, end, ref_time, &ev->time);
	else if (*p >= '0' && *p <= '9')
		q = ts_iso(p, end, &ev->time);
	else if (*p == '@')
		q = ts_tai64n(p, end, &ev->time);
	if (q == NULL || q >= end || *q != ' ')
		return -1;
	q = skip_spaces(q, end);

	/* HOST? PROGRAM? SERVICE: */
	const char *te = token_end(q, end);
	if (te == q)
		return -1;
	if (te[-1] != ':') {
		/* q is a host name; the program follows. */
		q = skip_spaces(te, end);
		te = token_end(q, end);
		if (te == q || te[-1] != ':')
			return 0;
	}
	if (is_dovecot_prog(q, te)) {
		q = skip_spaces(te, end);
		if (q >= end)
			return 0;
		te = token_end(q, end);
	}
	/* SERVICE: may hold a user name with spaces; find ": " for real. */
	const char *colon = NULL;
	for (const char *s = q; s < end;) {
		const char *c = memchr(s, ':', (size_t)(end - s));
		if (c == NULL)
			break;
		if (c + 1 == end || c[1] == ' ') {
			colon = c;
			break;
		}
		s = c + 1;
	}
	if (colon == NULL || colon == q)
		return 0;
	split_service(q, colon, ev);
	const char *msg = colon + 1 < end ? colon + 2 : end;
	if (msg > end)
		msg = end;
	msg = skip_level(msg, end);
	return gv_watch_parse_message(msg, end, &lim, ev);
}
