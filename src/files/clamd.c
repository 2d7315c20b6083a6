/*
 * clamd.c — optional ClamAV daemon check: one attachment is streamed with
 * the INSTREAM command (chunks prefixed by a 4-byte big-endian length, a
 * zero length ends the stream) and the one-line answer is parsed:
 * "stream: OK", "stream: <name> FOUND", or "... ERROR".
 * Address: "host:port" (numeric IPv4/IPv6 or localhost) or a unix socket path.
 * Send and receive are bounded by a timeout; an error is a finding of score
 * 0 (scanning goes on without clamd).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "files/files-private.h"

#define CLAMD_CHUNK (64 * 1024)

static int connect_to(const char *address, uint64_t timeout_ms)
{
	struct timeval tv = { .tv_sec = (time_t)(timeout_ms / 1000),
			      .tv_usec = (suseconds_t)((timeout_ms % 1000) * 1000) };
	int fd = -1;

	if (address[0] == '/') {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(address) >= sizeof(sun.sun_path))
			return -1;
		memcpy(sun.sun_path, address, strlen(address) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	const char *colon = strrchr(address, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *res = NULL;
	char host[256];

	if (colon == NULL || (size_t)(colon - address) >= sizeof(host))
		return -1;
	memcpy(host, address, (size_t)(colon - address));
	host[colon - address] = '\0';
	if (host[0] == '[') {	/* [::1]:3310 */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int gvf_clamd_scan(const char *address, uint64_t timeout_ms,
		   struct gv_pool *pool, const unsigned char *data, size_t len,
		   const char **name_r, const char **error_r)
{
	static const char cmd[] = "zINSTREAM";	/* sent with its NUL */
	char reply[512];
	size_t got = 0;
	int fd = connect_to(address, timeout_ms);

	if (fd < 0) {
		*error_r = "clamd: cannot connect";
		return -1;
	}
	if (send_all(fd, cmd, sizeof(cmd)) < 0)
		goto io_error;
	for (size_t off = 0; off < len; off += CLAMD_CHUNK) {
		size_t n = len - off < CLAMD_CHUNK ? len - off : CLAMD_CHUNK;
		uint32_t be = htonl((uint32_t)n);

		if (send_all(fd, &be, 4) < 0 || send_all(fd, data + off, n) < 0)
			goto io_error;
	}
	if (send_all(fd, "\0\0\0\0", 4) < 0)
		goto io_error;
	while (got < sizeof(reply) - 1) {
		ssize_t n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(reply, '\0', got) != NULL)
			break;
	}
	close(fd);
	reply[got] = '\0';
	if (got == 0) {
		*error_r = "clamd: no answer";
		return -1;
	}
	reply[strcspn(reply, "\r\n")] = '\0';
	size_t rl = strlen(reply);

	if (rl > 6 && strcmp(reply + rl - 6, " FOUND") == 0) {
		const char *start = strstr(reply, ": ");

		start = start != NULL ? start + 2 : reply;
		*name_r = gv_pstrndup(pool, start, (size_t)(reply + rl - 6 - start));
		return 1;
	}
	if (rl >= 3 && strcmp(reply + rl - 3, " OK") == 0)
		return 0;
	*error_r = gv_psprintf(pool, "clamd: %s", reply);
	return -1;
io_error:
	close(fd);
	*error_r = "clamd: send failed";
	return -1;
}
