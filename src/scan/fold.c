/*
 * Folding of look-alike characters for text matching. Lures are written
 * with Cyrillic or Greek letters that look Latin ("Меtа Маsk"), with
 * mathematical or fullwidth alphanumerics ("𝕀𝕙𝕣 𝕚ℂ𝕝𝕠𝕦𝕕") and with zero-width
 * characters between letters, precisely so that word filters miss them.
 * Folding maps them to ASCII (and counts how many needed it — a signal in
 * itself). Full TR39 skeletons (ICU) are used for domains; for running text
 * this table is faster and covers the letters seen in lures.
 */
#include <string.h>

#include "scan/scan-private.h"

static const struct {
	uint32_t cp;
	char to;
} table[] = {
	/* Cyrillic */
	{ 0x0430, 'a' }, { 0x0410, 'a' }, { 0x0432, 'b' }, { 0x0412, 'b' },
	{ 0x0441, 'c' }, { 0x0421, 'c' }, { 0x0501, 'd' }, { 0x0435, 'e' },
	{ 0x0415, 'e' }, { 0x0451, 'e' }, { 0x0456, 'i' }, { 0x0406, 'i' },
	{ 0x0458, 'j' }, { 0x0408, 'j' }, { 0x041A, 'k' }, { 0x043A, 'k' },
	{ 0x041C, 'm' }, { 0x043C, 'm' }, { 0x041D, 'h' }, { 0x043D, 'h' },
	{ 0x043E, 'o' }, { 0x041E, 'o' }, { 0x0440, 'p' }, { 0x0420, 'p' },
	{ 0x0455, 's' }, { 0x0405, 's' }, { 0x0422, 't' }, { 0x0442, 't' },
	{ 0x0443, 'y' }, { 0x0423, 'y' }, { 0x0445, 'x' }, { 0x0425, 'x' },
	{ 0x04BB, 'h' }, { 0x0261, 'g' }, { 0x051B, 'q' }, { 0x051D, 'w' },
	/* Greek */
	{ 0x03B1, 'a' }, { 0x0391, 'a' }, { 0x0392, 'b' }, { 0x03B5, 'e' },
	{ 0x0395, 'e' }, { 0x0396, 'z' }, { 0x0397, 'h' }, { 0x03B9, 'i' },
	{ 0x0399, 'i' }, { 0x039A, 'k' }, { 0x03BA, 'k' }, { 0x039C, 'm' },
	{ 0x039D, 'n' }, { 0x03BD, 'v' }, { 0x03BF, 'o' }, { 0x039F, 'o' },
	{ 0x03C1, 'p' }, { 0x03A1, 'p' }, { 0x03A4, 't' }, { 0x03C4, 't' },
	{ 0x03A5, 'y' }, { 0x03C5, 'u' }, { 0x03A7, 'x' }, { 0x03C7, 'x' },
	/* letterlike symbols used as letters */
	{ 0x2102, 'c' }, { 0x210A, 'g' }, { 0x210B, 'h' }, { 0x210C, 'h' },
	{ 0x210D, 'h' }, { 0x210E, 'h' }, { 0x2110, 'i' }, { 0x2111, 'i' },
	{ 0x2112, 'l' }, { 0x2113, 'l' }, { 0x2115, 'n' }, { 0x2119, 'p' },
	{ 0x211A, 'q' }, { 0x211B, 'r' }, { 0x211C, 'r' }, { 0x211D, 'r' },
	{ 0x2124, 'z' }, { 0x212C, 'b' }, { 0x212F, 'e' }, { 0x2130, 'e' },
	{ 0x2131, 'f' }, { 0x2133, 'm' }, { 0x2134, 'o' }, { 0x2139, 'i' },
};

static uint32_t decode(const unsigned char *s, size_t len, size_t *n)
{
	unsigned char c = s[0];
	if (c < 0x80 || len < 2) {
		*n = 1;
		return c;
	}
	if ((c & 0xE0) == 0xC0) {
		*n = 2;
		return ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if ((c & 0xF0) == 0xE0 && len >= 3) {
		*n = 3;
		return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		       (s[2] & 0x3F);
	}
	if ((c & 0xF8) == 0xF0 && len >= 4) {
		*n = 4;
		return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		       ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
	}
	*n = 1;
	return 0xFFFD;
}

/* 0 = not foldable, -1 = drop (invisible), else the ASCII letter. */
static int fold_cp(uint32_t cp)
{
	/* invisible: zero-width, soft hyphen, word joiners, Unicode tag
	 * characters and variation selectors supplement (used to break a
	 * brand name into pieces no word filter recognises) */
	if (cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0xFEFF ||
	    cp == 0x00AD || cp == 0x2060 || cp == 0x034F || cp == 0x180E ||
	    (cp >= 0x2061 && cp <= 0x2064) || (cp >= 0xE0000 && cp <= 0xE007F) ||
	    (cp >= 0xE0100 && cp <= 0xE01EF))
		return -1;
	if (cp >= 0xFF21 && cp <= 0xFF3A)
		return 'a' + (int)(cp - 0xFF21);
	if (cp >= 0xFF41 && cp <= 0xFF5A)
		return 'a' + (int)(cp - 0xFF41);
	if (cp >= 0xFF10 && cp <= 0xFF19)
		return '0' + (int)(cp - 0xFF10);
	if (cp >= 0x1D400 && cp <= 0x1D6A3) {
		uint32_t k = (cp - 0x1D400) % 52;
		return 'a' + (int)(k % 26);
	}
	if (cp >= 0x1D7CE && cp <= 0x1D7FF)
		return '0' + (int)((cp - 0x1D7CE) % 10);
	if (cp >= 0x24B6 && cp <= 0x24CF)
		return 'a' + (int)(cp - 0x24B6);
	if (cp >= 0x24D0 && cp <= 0x24E9)
		return 'a' + (int)(cp - 0x24D0);
	for (size_t i = 0; i < GV_ARRAY_LEN(table); i++)
		if (table[i].cp == cp)
			return table[i].to;
	return 0;
}

char *scan_fold(struct gv_pool *pool, const char *s, size_t len,
		size_t *folded_r, size_t *letters_r)
{
	char *out = gv_palloc(pool, len + 1);
	size_t o = 0, folded = 0, letters = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n;
		uint32_t cp = decode(p + i, len - i, &n);
		if (cp < 0x80) {
			char c = (char)cp;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				letters++;
			out[o++] = c;
		} else {
			int f = fold_cp(cp);
			if (f > 0) {
				out[o++] = (char)f;
				letters++;
				folded++;
			} else if (f < 0) {
				folded++;
			} else {
				memcpy(out + o, p + i, n);
				o += n;
				letters++;
			}
		}
		i += n;
	}
	out[o] = '\0';
	*folded_r = folded;
	*letters_r = letters;
	return out;
}

bool scan_word_in(const char *hay, size_t len, const char *word)
{
	size_t wl = strlen(word);
	const char *p = hay, *end = hay + len;
	while (p < end) {
		const char *f = gv_memcasemem(p, (size_t)(end - p), word, wl);
		if (f == NULL)
			return false;
		bool left = f == hay || !((f[-1] >= 'a' && f[-1] <= 'z') ||
					  (f[-1] >= 'A' && f[-1] <= 'Z') ||
					  (f[-1] >= '0' && f[-1] <= '9'));
		const char *r = f + wl;
		bool right = r >= end || !((*r >= 'a' && *r <= 'z') ||
					   (*r >= 'A' && *r <= 'Z') ||
					   (*r >= '0' && *r <= '9'));
		if (left && right)
			return true;
		p = f + 1;
	}
	return false;
}

char *gv_scan_fold(struct gv_pool *pool, const char *s, size_t len,
		   size_t *folded_r)
{
	size_t letters;
	return scan_fold(pool, s, len, folded_r, &letters);
}
