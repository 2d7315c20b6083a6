/* Structured logging: callers write key=value pairs; this adds the time and
 * level. To stderr by default, to syslog for daemons. The level and sink are
 * process-wide state kept here behind accessors. */
#include "util/util.h"

#include <stdio.h>
#include <syslog.h>
#include <time.h>

static enum gv_log_level log_level = GV_LOG_INFO;
static bool log_syslog;

void gv_log_set_level(enum gv_log_level level)
{
	log_level = level;
}

void gv_log_set_syslog(bool on, const char *ident)
{
	if (on && !log_syslog)
		openlog(ident ? ident : "geneva", LOG_PID, LOG_MAIL);
	log_syslog = on;
}

void gv_log(enum gv_log_level level, const char *fmt, ...)
{
	static const char *names[] = { "debug", "info", "warn", "error" };
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
	if (level < log_level)
		return;
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(prio[level], "level=%s %s", names[level], line);
		return;
	}
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "ts=%s level=%s %s\n", ts, names[level], line);
}
