/* Byte-string helpers that take explicit lengths (untrusted input is never
 * assumed to be NUL-terminated). ASCII-only case folding on purpose: Unicode
 * folding is the domains module's job (ICU). */
#include "util/util.h"

#include <ctype.h>
#include <string.h>

static inline unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool gv_str_eq_ci(struct gv_str s, const char *lit)
{
	size_t n = strlen(lit);
	if (n != s.len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)s.ptr[i]) != lc((unsigned char)lit[i]))
			return false;
	return true;
}

bool gv_mem_has_prefix_ci(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)p[i]) != lc((unsigned char)prefix[i]))
			return false;
	return true;
}

const char *gv_memcasemem(const char *hay, size_t hay_len, const char *needle,
			  size_t needle_len)
{
	if (needle_len == 0)
		return hay;
	if (needle_len > hay_len)
		return NULL;
	unsigned char first = lc((unsigned char)needle[0]);
	for (size_t i = 0; i + needle_len <= hay_len; i++) {
		if (lc((unsigned char)hay[i]) != first)
			continue;
		size_t j = 1;
		while (j < needle_len &&
		       lc((unsigned char)hay[i + j]) ==
			       lc((unsigned char)needle[j]))
			j++;
		if (j == needle_len)
			return hay + i;
	}
	return NULL;
}

void gv_ascii_lower(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		s[i] = (char)lc((unsigned char)s[i]);
}

int gv_parse_u64(const char *s, uint64_t max, uint64_t *out_r)
{
	uint64_t v = 0;
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out_r = v;
	return 1;
}

uint64_t gv_hash64(const void *data, size_t len, uint64_t seed)
{
	/* FNV-1a variant with a final avalanche (splitmix64 finaliser): fast
	 * enough for hash tables, not for adversarial flooding on its own —
	 * tables seed it per process. */
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}
