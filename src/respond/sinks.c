/*
 * Sinks: webhook (libcurl), mail through the local MTA, syslog.
 *
 * Mail: the message is written at emit time (so a retry sends the same
 * bytes) and piped to mail_command (default "/usr/sbin/sendmail -t -i";
 * a "{rcpt}" argument is replaced by the recipient, for delivery agents
 * such as dovecot-lda -d). The command is run directly (no shell). Header
 * values come from detectors that copy attacker-controlled text (user
 * names, subjects): control characters are replaced by spaces so nothing
 * can add a header or a recipient; recipients are checked against a
 * conservative address syntax.
 */
#include "respond/respond-private.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MAIL_TIMEOUT_MS 30000

extern char **environ;

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* id == NULL releases the handle (gv_alerts_free). */
int sink_webhook(struct gv_alerts *a, const char *id, const char *json)
{
	if (id == NULL) {
		if (a->curl)
			curl_easy_cleanup(a->curl);
		a->curl = NULL;
		return 0;
	}
	if (a->curl == NULL) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		a->curl = curl_easy_init();
		gv_assert(a->curl != NULL);
	}
	CURL *c = a->curl;
	char idh[80];
	snprintf(idh, sizeof(idh), "Idempotency-Key: %s", id);
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, idh);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, a->cfg.webhook_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->cfg.webhook_timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "geneva-alerts/1");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (rc == CURLE_OK && status >= 200 && status < 300)
		return 1;
	gv_log(GV_LOG_WARN, "alert: id=%s sink=webhook url=%s failed: %s "
	       "status=%ld (will retry)", id, a->cfg.webhook_url,
	       rc == CURLE_OK ? "HTTP error" : curl_easy_strerror(rc), status);
	return -1;
}

/* Splits the command on spaces into argv, replacing "{rcpt}". */
static size_t split_cmd(char *cmd, const char *rcpt, char **argv, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(cmd, " \t", &save);
	     t && n + 1 < max; t = strtok_r(NULL, " \t", &save))
		argv[n++] = strcmp(t, "{rcpt}") == 0 ? (char *)rcpt : t;
	argv[n] = NULL;
	return n;
}

static int wait_child(pid_t pid, const char *id)
{
	int64_t deadline = wall_ms() + MAIL_TIMEOUT_MS;
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
			       1 : -1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (wall_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			gv_log(GV_LOG_WARN, "alert: id=%s mail command timed out",
			       id);
			return -1;
		}
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

int sink_mail(struct gv_alerts *a, const char *id, const char *rcpt,
	      const char *message)
{
	char cmd[1024];
	char *argv[32];
	snprintf(cmd, sizeof(cmd), "%s", a->cfg.mail_command);
	if (split_cmd(cmd, rcpt, argv, GV_ARRAY_LEN(argv)) == 0)
		return -1;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		gv_log(GV_LOG_WARN, "alert: id=%s mail command %s: %s", id,
		       argv[0], strerror(rc));
		return -1;
	}
	/* a dead reader must not kill us with SIGPIPE */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	const char *p = message;
	size_t left = strlen(message);
	bool ok = true;
	while (left > 0) {
		ssize_t n = write(fds[1], p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = false;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	close(fds[1]);
	signal(SIGPIPE, old);
	int r = wait_child(pid, id);
	if (r < 0 || !ok) {
		gv_log(GV_LOG_WARN, "alert: id=%s mail to %s via %s failed "
		       "(will retry)", id, rcpt, argv[0]);
		return -1;
	}
	return 1;
}

static int sev_prio(enum gv_severity s)
{
	static const int p[] = { LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR,
				 LOG_CRIT };
	return (unsigned)s < GV_ARRAY_LEN(p) ? p[s] : LOG_WARNING;
}

/* Copies s with control characters and '"' made harmless. */
static void clean(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; s && *s && o + 1 < cap; s++)
		out[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' :
			   *s == '"' ? '\'' : *s;
	out[o] = '\0';
}

void sink_syslog(struct gv_alerts *a, const struct gv_alert *al,
		 const char *id)
{
	struct gv_buf b;
	char tmp[512];
	gv_buf_init(&b, 4000);
	clean(tmp, sizeof(tmp), al->title);
	gv_buf_printf(&b, "alert id=%s kind=%s severity=%s source=%s title=\"%s\"",
		      id, gv_alert_kind_name(al->kind),
		      gv_severity_name(al->severity),
		      al->source ? al->source : "", tmp);
	if (al->subject_user) {
		clean(tmp, sizeof(tmp), al->subject_user);
		gv_buf_printf(&b, " user=\"%s\"", tmp);
	}
	for (size_t i = 0; i < al->n_evidence; i++) {
		char k[64];
		clean(k, sizeof(k), al->evidence[i].key);
		clean(tmp, sizeof(tmp), al->evidence[i].value);
		gv_buf_printf(&b, " %s=\"%s\"", k, tmp);
	}
	const char *line = gv_buf_cstr(&b);
	syslog(LOG_MAIL | sev_prio(al->severity), "%s", line ? line : id);
	gv_buf_free(&b);
	(void)a;
}

/* Subject text: ASCII as is, else one RFC 2047 encoded word (base64). */
static void subject_put(struct gv_buf *b, const char *prefix, const char *text)
{
	char full[600];
	snprintf(full, sizeof(full), "%s%s", prefix, text);
	bool ascii = true;
	for (const char *p = full; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = false;
	if (ascii) {
		gv_buf_printf(b, "Subject: %s\n", full);
		return;
	}
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/* encoded words of at most 45 bytes (75 chars), split between
	 * UTF-8 characters, folded onto continuation lines */
	const unsigned char *p = (const unsigned char *)full;
	size_t n = strlen(full);
	gv_buf_printf(b, "Subject:");
	for (size_t start = 0; start < n;) {
		size_t end = start + 45 < n ? start + 45 : n;
		while (end < n && end > start + 1 && (p[end] & 0xc0) == 0x80)
			end--;
		gv_buf_printf(b, "%s=?UTF-8?B?", start ? "\n " : " ");
		for (size_t i = start; i < end; i += 3) {
			unsigned v = (unsigned)p[i] << 16 |
				     (i + 1 < end ? (unsigned)p[i + 1] << 8 : 0) |
				     (i + 2 < end ? p[i + 2] : 0);
			char q[4] = { b64[v >> 18 & 63], b64[v >> 12 & 63],
				      i + 1 < end ? b64[v >> 6 & 63] : '=',
				      i + 2 < end ? b64[v & 63] : '=' };
			gv_buf_append(b, q, 4);
		}
		gv_buf_printf(b, "?=");
		start = end;
	}
	gv_buf_printf(b, "\n");
}

static bool addr_ok(const char *s)
{
	size_t at = 0, n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (c == '@')
			at++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || strchr("._%+-=", c)))
			return false;
	}
	return n > 0 && n < 255 && at <= 1 && s[0] != '-' && s[0] != '@';
}

bool mail_user_addr(struct gv_alerts *a, const struct gv_alert *al, char *out,
		    size_t cap)
{
	const char *u = al->subject_addr ? al->subject_addr : al->subject_user;
	if (u == NULL)
		return false;
	if (strchr(u, '@') || al->subject_addr || a->cfg.user_domain == NULL)
		snprintf(out, cap, "%s", u);
	else
		snprintf(out, cap, "%s@%s", u, a->cfg.user_domain);
	if (!addr_ok(out)) {
		gv_log(GV_LOG_WARN, "alert: no user mail: unusable address");
		return false;
	}
	return true;
}

char *mail_render(struct gv_alerts *a, const struct gv_alert *al,
		  const char *id, const char *rcpt, bool user)
{
	struct gv_buf b;
	char title[400], date[64], ts[32];
	gv_buf_init(&b, 1 << 20);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	alert_time_str(al->time, ts, sizeof(ts));
	clean(title, sizeof(title), al->title);
	gv_buf_printf(&b, "From: Geneva <%s>\nTo: <%s>\n", a->cfg.mail_from,
		      rcpt);
	if (user) {
		subject_put(&b, "Security notice: ", title);
	} else {
		char pre[64];
		snprintf(pre, sizeof(pre), "[Geneva %s] ",
			 gv_severity_name(al->severity));
		subject_put(&b, pre, title);
	}
	gv_buf_printf(&b, "Date: %s\nMessage-ID: <%s.%s@geneva.invalid>\n"
		      "Auto-Submitted: auto-generated\nX-Geneva-Alert-Id: %s\n"
		      "MIME-Version: 1.0\n"
		      "Content-Type: text/plain; charset=utf-8\n"
		      "Content-Transfer-Encoding: 8bit\n\n",
		      date, id, user ? "user" : "team", id);
	if (user) {
		gv_buf_printf(&b, "%s\n\nIf this was not you, change your "
			      "password now and contact %s.\n\nReference: %s\n",
			      al->user_notice, a->cfg.contact, id);
	} else {
		gv_buf_printf(&b, "%s\n\nkind: %s\nseverity: %s\nsource: %s\n"
			      "time: %s\n", al->summary ? al->summary : title,
			      gv_alert_kind_name(al->kind),
			      gv_severity_name(al->severity),
			      al->source ? al->source : "", ts);
		if (al->subject_user)
			gv_buf_printf(&b, "user: %s\n", al->subject_user);
		for (size_t i = 0; i < al->n_evidence; i++)
			gv_buf_printf(&b, "%s: %s\n", al->evidence[i].key,
				      al->evidence[i].value);
		gv_buf_printf(&b, "id: %s\n", id);
	}
	const char *s = gv_buf_cstr(&b);
	char *out = gv_strdup(s ? s : "");
	gv_buf_free(&b);
	return out;
}
