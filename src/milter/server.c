/*
 * Our own milter protocol server (proto.h). libmilter reads every packet
 * with a poll and two reads and writes every reply packet on its own
 * (measured: ~218 polls and ~142 reads per typical message); here each
 * connection has one thread that reads whatever the MTA has sent into a
 * buffer (one read usually holds all the header packets) and writes the
 * replies it has collected in one write, just before it waits for more
 * input. Same model otherwise: a thread per MTA connection, blocking I/O
 * with a timeout, the callbacks of callbacks.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "milter/proto.h"

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* ---- replies ---- */

static int put(struct gv_mctx *c, char cmd, const void *a, size_t alen,
	       const void *b, size_t blen)
{
	unsigned char h[5];
	put32(h, (uint32_t)(1 + alen + blen));
	h[4] = (unsigned char)cmd;
	if (gv_buf_append(&c->out, h, 5) < 0 || (alen && gv_buf_append(&c->out, a, alen) < 0) ||
	    (blen && gv_buf_append(&c->out, b, blen) < 0))
		return -1;
	return 0;
}

int gv_mctx_setreply(struct gv_mctx *c, const char *code, const char *xcode,
		     const char *text)
{
	if (strlen(code) != 3 || (code[0] != '4' && code[0] != '5'))
		return -1;
	gv_free(c->reply);
	size_t n = strlen(code) + strlen(xcode) + strlen(text) + 3;
	c->reply = gv_malloc(n);
	snprintf(c->reply, n, "%s %s %s", code, xcode, text);
	return 0;
}

/* name\0value\0 */
static int put_nv(struct gv_mctx *c, char cmd, const unsigned char *pre, size_t prelen,
		  const char *name, const char *value)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
	unsigned char *tmp = gv_malloc(prelen + nl + vl);
	if (prelen > 0) /* pre may be NULL then: memcpy's arguments never may */
		memcpy(tmp, pre, prelen);
	memcpy(tmp + prelen, name, nl);
	memcpy(tmp + prelen + nl, value, vl);
	int rc = put(c, cmd, tmp, prelen + nl + vl, NULL, 0);
	gv_free(tmp);
	return rc;
}

int gv_mctx_addheader(struct gv_mctx *c, const char *name, const char *value)
{
	return put_nv(c, GV_MR_ADDHEADER, NULL, 0, name, value);
}

int gv_mctx_chgheader(struct gv_mctx *c, const char *name, unsigned idx,
		      const char *value)
{
	unsigned char i[4];
	put32(i, idx);
	return put_nv(c, GV_MR_CHGHEADER, i, 4, name, value ? value : "");
}

int gv_mctx_quarantine(struct gv_mctx *c, const char *reason)
{
	return put(c, GV_MR_QUARANTINE, reason, strlen(reason) + 1, NULL, 0);
}

static int put_status(struct gv_mctx *c, enum gv_mstat st)
{
	int rc = 0;
	switch (st) {
	case GV_M_NOREPLY:
		break;
	case GV_M_CONTINUE: rc = put(c, GV_MR_CONTINUE, NULL, 0, NULL, 0); break;
	case GV_M_ACCEPT: rc = put(c, GV_MR_ACCEPT, NULL, 0, NULL, 0); break;
	case GV_M_DISCARD: rc = put(c, GV_MR_DISCARD, NULL, 0, NULL, 0); break;
	case GV_M_REJECT:
	case GV_M_TEMPFAIL:
		if (c->reply && c->reply[0] == (st == GV_M_REJECT ? '5' : '4'))
			rc = put(c, GV_MR_REPLYCODE, c->reply, strlen(c->reply) + 1, NULL, 0);
		else
			rc = put(c, st == GV_M_REJECT ? GV_MR_REJECT : GV_MR_TEMPFAIL,
				 NULL, 0, NULL, 0);
		break;
	}
	gv_free(c->reply);
	c->reply = NULL;
	return rc;
}

static int flush(struct gv_mctx *c)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t w = write(c->fd, c->out.data + off, c->out.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	gv_buf_reset(&c->out);
	return 0;
}

/* ---- one connection ---- */

/* Reads more input (after writing the pending replies). 1 ok, 0 EOF or
 * timeout or error. */
static int fill(struct gv_mctx *c)
{
	if (c->out.len && flush(c) < 0)
		return 0;
	if (c->in_pos > 0) {
		memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
		c->in_len -= c->in_pos;
		c->in_pos = 0;
	}
	/* room for the rest of a packet: we only read when no whole packet is
	 * buffered, so the buffer never needs more than the largest packet
	 * plus one read */
	if (c->in_cap - c->in_len < 16384) {
		size_t cap = c->in_cap * 2;
		if (cap > GV_MILTER_MAX_PACKET + 65536)
			cap = GV_MILTER_MAX_PACKET + 65536;
		if (cap < c->in_len + 16384)
			cap = c->in_len + 16384;
		c->in_cap = cap;
		c->in = gv_realloc(c->in, c->in_cap);
	}
	for (;;) {
		ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		c->in_len += (size_t)r;
		/* steps without a reply leave us nothing to send, and our
		 * delayed ACK would hold the MTA's next small packet behind
		 * Nagle's algorithm for 40 ms: ACK now (the flag does not
		 * stick, hence after every read) */
		if (c->tcp) {
			int on = 1;
			setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
		}
		return 1;
	}
}

/* The NUL-terminated strings of a packet's data, in place (the byte after
 * the data is ours: the buffer always has room, see fill). */
static const char *str_at(const unsigned char *d, size_t len, size_t *off)
{
	if (*off >= len)
		return NULL;
	const char *s = (const char *)d + *off;
	const unsigned char *z = memchr(d + *off, '\0', len - *off);
	if (z == NULL)
		return NULL;
	*off = (size_t)(z - d) + 1;
	return s;
}

static void macros(struct gv_mctx *c, const unsigned char *d, size_t len)
{
	size_t off = 1; /* the command they are for */
	const char *name, *value;
	while ((name = str_at(d, len, &off)) && (value = str_at(d, len, &off)))
		if (strcmp(name, "i") == 0)
			snprintf(c->qid, sizeof(c->qid), "%s", value);
}

static enum gv_mstat on_connect(struct gv_mctx *c, const unsigned char *d, size_t len)
{
	size_t off = 0;
	char ip[64] = "";
	if (str_at(d, len, &off) != NULL && off < len) { /* hostname, then family */
		char fam = (char)d[off++];
		if ((fam == '4' || fam == '6') && off + 2 <= len) {
			off += 2; /* port */
			const char *a = str_at(d, len, &off);
			if (a != NULL) {
				if (strncasecmp(a, "IPv6:", 5) == 0)
					a += 5;
				snprintf(ip, sizeof(ip), "%s", a);
			}
		}
	}
	return gv_milter_cb_connect(c, ip);
}

/* 1 go on, 0 close the connection */
static int dispatch(struct gv_mctx *c, char cmd, const unsigned char *d, size_t len)
{
	size_t off = 0;
	const char *a, *b;
	enum gv_mstat st;
	switch (cmd) {
	case GV_MC_OPTNEG: {
		if (len < 12)
			return 0;
		uint32_t ver = get32(d), act, pro;
		gv_milter_cb_negotiate(c, get32(d + 4), get32(d + 8), &act, &pro);
		unsigned char o[12];
		put32(o, ver < 6 ? ver : 6);
		put32(o + 4, act);
		put32(o + 8, pro);
		return put(c, 'O', o, 12, NULL, 0) == 0;
	}
	case GV_MC_MACRO:
		if (len > 0)
			macros(c, d, len);
		return 1;
	case GV_MC_CONNECT: st = on_connect(c, d, len); break;
	case GV_MC_HELO:
		a = str_at(d, len, &off);
		st = gv_milter_cb_helo(c, a ? a : "");
		break;
	case GV_MC_MAIL:
		a = str_at(d, len, &off);
		st = gv_milter_cb_envfrom(c, a ? a : "");
		break;
	case GV_MC_RCPT:
		a = str_at(d, len, &off);
		st = gv_milter_cb_envrcpt(c, a ? a : "");
		break;
	case GV_MC_HEADER:
		a = str_at(d, len, &off);
		b = a ? str_at(d, len, &off) : NULL;
		st = a && b ? gv_milter_cb_header(c, a, b) : GV_M_CONTINUE;
		break;
	case GV_MC_EOH: st = gv_milter_cb_eoh(c); break;
	case GV_MC_BODY: st = gv_milter_cb_body(c, d, len); break;
	case GV_MC_EOM:
		if (len > 0)
			gv_milter_cb_body(c, d, len);
		st = gv_milter_cb_eom(c);
		if (st == GV_M_CONTINUE || st == GV_M_NOREPLY)
			st = GV_M_ACCEPT;
		break;
	case GV_MC_ABORT:
		gv_milter_cb_abort(c);
		return 1;
	case GV_MC_QUIT:
		return 0;
	case GV_MC_QUIT_NC: /* a new SMTP session on this connection (the
			     * negotiation stays) */
		gv_milter_cb_abort(c);
		c->qid[0] = '\0';
		return 1;
	case GV_MC_DATA:
	case GV_MC_UNKNOWN:
	default: /* steps we did not ask for still want an answer */
		st = GV_M_CONTINUE;
		break;
	}
	return put_status(c, st) == 0;
}

static void *session(void *arg)
{
	struct gv_mctx *c = arg;
	bool go = true;
	while (go) {
		char cmd;
		const unsigned char *d;
		size_t len;
		long n = gv_milter_packet(c->in + c->in_pos, c->in_len - c->in_pos, &cmd, &d, &len);
		if (n < 0)
			break;
		if (n == 0) {
			if (!fill(c))
				break;
			continue;
		}
		/* NUL after the data (we own the byte: it is the next packet's
		 * first length byte or free room) so a string never runs off;
		 * saved and restored because it may be the next packet's */
		unsigned char *end = c->in + c->in_pos + (size_t)n, saved = 0;
		bool has_next = c->in_pos + (size_t)n < c->in_len;
		if (!has_next && c->in_pos + (size_t)n >= c->in_cap) {
			c->in_cap += 1;
			size_t dpos = (size_t)(d - c->in);
			c->in = gv_realloc(c->in, c->in_cap);
			d = c->in + dpos;
			end = c->in + c->in_pos + (size_t)n;
		}
		saved = *end;
		*end = '\0';
		go = dispatch(c, cmd, d, len);
		*end = saved;
		c->in_pos += (size_t)n;
	}
	if (go || c->out.len)
		flush(c);
	gv_milter_cb_close(c);
	close(c->fd);
	gv_buf_free(&c->out);
	gv_free(c->in);
	gv_free(c->reply);
	gv_free(c);
	return NULL;
}

/* ---- listening ---- */

static int open_spec(const char *spec, const char **error_r)
{
	static __thread char err[300];
	const char *p;
	if ((p = strchr(spec, ':')) == NULL) {
		*error_r = "bad socket spec";
		return -1;
	}
	p++;
	int fd = -1;
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };
		if (strlen(p) >= sizeof(un.sun_path)) {
			*error_r = "unix socket path too long";
			return -1;
		}
		strcpy(un.sun_path, p);
		unlink(p); /* a stale socket file of an earlier run */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0)
			goto fail;
	} else {
		/* inet:PORT@HOST / inet6:PORT@HOST */
		char port[16], host[256];
		const char *at = strchr(p, '@');
		size_t pl = at ? (size_t)(at - p) : strlen(p);
		if (pl == 0 || pl >= sizeof(port)) {
			*error_r = "bad port in socket spec";
			return -1;
		}
		memcpy(port, p, pl);
		port[pl] = '\0';
		bool v6 = strncmp(spec, "inet6:", 6) == 0;
		snprintf(host, sizeof(host), "%s", at ? at + 1 : (v6 ? "::" : "0.0.0.0"));
		struct addrinfo hints = { .ai_family = v6 ? AF_INET6 : AF_INET,
					  .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
		struct addrinfo *ai;
		if (getaddrinfo(host, port, &hints, &ai) != 0) {
			*error_r = "cannot resolve the socket's host";
			return -1;
		}
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int on = 1;
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		int rc = fd < 0 ? -1 : bind(fd, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(ai);
		if (rc < 0)
			goto fail;
	}
	if (listen(fd, 256) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, sizeof(err), "%s: %s", spec, strerror(errno));
	*error_r = err;
	if (fd >= 0)
		close(fd);
	return -1;
}

int gv_milter_listen(const char *spec, const char **error_r)
{
	/* the previous worker may still hold the socket for a moment */
	for (int tries = 0;; tries++) {
		int fd = open_spec(spec, error_r);
		if (fd >= 0 || tries >= 50)
			return fd;
		usleep(200 * 1000);
	}
}

void gv_milter_serve(int lfd, unsigned timeout_s)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 * 1024);
	struct timeval tv = { .tv_sec = timeout_s };
	for (;;) {
		struct pollfd pfd[2] = { { .fd = lfd, .events = POLLIN },
					 { .fd = sfd, .events = POLLIN } };
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN)
			break; /* SIGTERM/SIGINT: stop accepting */
		if (!(pfd[0].revents & POLLIN))
			continue;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(100 * 1000);
			continue;
		}
		int on = 1;
		struct gv_mctx *c = gv_calloc(1, sizeof(*c));
		/* replies are small and must go at once (the MTA waits) */
		c->tcp = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		c->fd = fd;
		c->in_cap = 65536;
		c->in = gv_malloc(c->in_cap);
		gv_buf_init(&c->out, (size_t)1 << 24);
		pthread_t th;
		if (pthread_create(&th, &attr, session, c) != 0) {
			gv_log(GV_LOG_ERROR, "event=thread_failed error=\"%s\"", strerror(errno));
			close(fd);
			gv_buf_free(&c->out);
			gv_free(c->in);
			gv_free(c);
		}
	}
	pthread_attr_destroy(&attr);
	close(lfd);
	close(sfd);
}
