/* Allocation wrappers: every heap allocation in Geneva goes through these so
 * out-of-memory has one policy (fatal, like Postfix/Dovecot) and overflow in
 * size arithmetic is caught in one place. */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

void gv_assert_failed(const char *expr, const char *file, int line)
{
	fprintf(stderr, "geneva: assertion failed: %s (%s:%d)\n", expr, file,
		line);
	abort();
}

void gv_fatal(const char *fmt, ...)
{
	va_list ap;
	fputs("geneva: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *check(void *p, size_t size)
{
	if (p == NULL && size != 0)
		gv_fatal("out of memory (%zu bytes)", size);
	return p;
}

void *gv_malloc(size_t size)
{
	return check(malloc(size ? size : 1), size);
}

void *gv_calloc(size_t n, size_t size)
{
	gv_mul_size(n, size);
	return check(calloc(n ? n : 1, size ? size : 1), n * size);
}

void *gv_realloc(void *ptr, size_t size)
{
	return check(realloc(ptr, size ? size : 1), size);
}

char *gv_strdup(const char *s)
{
	return gv_strndup(s, strlen(s));
}

char *gv_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = gv_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void gv_free(void *ptr)
{
	free(ptr);
}

size_t gv_mul_size(size_t a, size_t b)
{
	size_t r;
	if (__builtin_mul_overflow(a, b, &r))
		gv_fatal("size overflow (%zu * %zu)", a, b);
	return r;
}

#if defined(__SANITIZE_ADDRESS__)
static void regain_effective_root(void)
{
	if (seteuid(0) < 0 || setegid(0) < 0)
		return; /* the leak check then fails as before */
}
#endif

void gv_leak_check_after_id_change(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops the threads with ptrace at exit. A process the
	 * kernel made non-dumpable at a uid change refuses that, and so does
	 * one whose real and effective ids differ (a root CLI working as the
	 * store's owner): ASan builds make the process dumpable again and
	 * take effective root back just before the check (atexit handlers
	 * run in reverse order; LeakSanitizer registered its own at start).
	 * Production builds do neither: they stay non-dumpable (no core
	 * files holding mail, no ptrace by other processes of that user). */
	static bool registered;
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	if (getuid() == 0 && geteuid() != 0 && !registered) {
		registered = true;
		atexit(regain_effective_root);
	}
#endif
}
