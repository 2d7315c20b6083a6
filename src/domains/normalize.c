/*
 * Domain normalization: syntax checks, A-label <-> U-label (libidn2),
 * registrable domain (libpsl with Debian's public suffix list file) and the
 * confusable key (ICU uspoof skeleton, TR39).
 *
 * The process-wide state (PSL context, spoof checker, ASCII key table) is
 * built once behind pthread_once and only read afterwards, so every function
 * here is safe to call from several threads.
 *
 * Speed: the ASCII key path is a per-character table filled at init by
 * running each ASCII character through the same ICU pipeline. For ASCII the
 * skeleton is per-character (NFD is the identity and each code point maps to
 * its prototype independently), so the table gives the ICU result without
 * the UTF-16 round trip; test-domains.c checks that on random strings.
 */
#include "domains/domains-private.h"

#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#define DEFAULT_PSL "/usr/share/publicsuffix/public_suffix_list.dat"
#define KEY_TAB_MAX 8
/* UTF-16 working buffers for the ICU key path: a label is at most 63 code
 * points after IDNA, but keys are also taken of raw input of up to
 * max_input_len bytes; skeletons can grow a string a few times. */
#define U16_CAP 4096

static const char *psl_path = DEFAULT_PSL;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static const char *init_error;
static psl_ctx_t *psl;
static USpoofChecker *spoof;
static const UNormalizer2 *nfd;
static char key_tab[128][KEY_TAB_MAX];
static unsigned char key_tab_len[128];

void gv_domains_set_psl_file(const char *path)
{
	psl_path = path != NULL ? path : DEFAULT_PSL;
}

static int icu_key(const char *utf8, size_t len, char *out, size_t out_size);

static void domains_init_once(void)
{
	UErrorCode err = U_ZERO_ERROR;

	psl = psl_load_file(psl_path);
	if (psl == NULL) {
		init_error = "cannot load the public suffix list file";
		return;
	}
	spoof = uspoof_open(&err);
	nfd = unorm2_getNFDInstance(&err);
	if (U_FAILURE(err) || spoof == NULL) {
		init_error = "cannot open the ICU spoof checker";
		return;
	}
	for (unsigned c = 1; c < 128; c++) {
		char in[1] = { (char)c };
		char out[64];
		int n = icu_key(in, 1, out, sizeof(out));
		if (n < 0 || n >= KEY_TAB_MAX) {
			/* Keep the character itself when ICU gives nothing
			 * usable; it is then its own key. */
			key_tab[c][0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			key_tab_len[c] = 1;
			continue;
		}
		memcpy(key_tab[c], out, (size_t)n);
		key_tab_len[c] = (unsigned char)n;
	}
	/* Label separators keep their meaning in keys (the matcher splits on
	 * them), whatever their prototype is. */
	key_tab['.'][0] = '.';
	key_tab_len['.'] = 1;
	key_tab['-'][0] = '-';
	key_tab_len['-'] = 1;
}

int gv_domains_init(const char **error_r)
{
	pthread_once(&init_once, domains_init_once);
	if (init_error != NULL) {
		*error_r = init_error;
		return -1;
	}
	return 1;
}

static bool ensure_init(void)
{
	const char *error;
	return gv_domains_init(&error) > 0;
}

/* ---- confusable key ---- */

static int u16_lower(UChar *dst, const UChar *src, int32_t len)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t n = u_strToLower(dst, U16_CAP, src, len, "", &err);
	return U_FAILURE(err) || n >= U16_CAP ? -1 : n;
}

static int u16_skeleton(UChar *dst, const UChar *src, int32_t len)
{
	UErrorCode err = U_ZERO_ERROR;
	int32_t n = uspoof_getSkeleton(spoof, 0, src, len, dst, U16_CAP, &err);
	return U_FAILURE(err) || n >= U16_CAP ? -1 : n;
}

/* NFD, then drops non-spacing marks: "à" and "ạ" become "a". */
static int u16_strip_marks(UChar *dst, const UChar *src, int32_t len)
{
	UErrorCode err = U_ZERO_ERROR;
	UChar tmp[U16_CAP];
	int32_t n = unorm2_normalize(nfd, src, len, tmp, U16_CAP, &err);
	if (U_FAILURE(err) || n >= U16_CAP)
		return -1;
	int32_t o = 0;
	for (int32_t i = 0; i < n;) {
		int32_t start = i;
		UChar32 c;
		U16_NEXT(tmp, i, n, c);
		if (u_charType(c) == U_NON_SPACING_MARK)
			continue;
		while (start < i)
			dst[o++] = tmp[start++];
	}
	return o;
}

/* Letters TR39 leaves alone although they pass for a Latin letter in a
 * browser bar: small capitals, and a few IPA/historic letters that
 * permutation tools (dnstwist's glyph table) and phishers use. Applied to
 * the skeleton's output, so a code point here is the skeleton's prototype
 * (ᴍ's prototype is ʍ, ƿ's is þ, ə's is ǝ). */
static const struct {
	UChar from;
	UChar to;
} extra_fold[] = {
	{ 0x00FE, 'p' }, /* þ (from ƿ wynn) */
	{ 0x0138, 'k' }, /* ĸ (from ᴋ) */
	{ 0x01AB, 't' }, /* ƫ */
	{ 0x01C0, 'l' }, /* ǀ */
	{ 0x01DD, 'a' }, /* ǝ (from ə, used for 'a' by dnstwist) */
	{ 0x0188, 'c' }, /* ƈ */
	{ 0x023F, 's' }, /* ȿ */
	{ 0x0240, 'z' }, /* ɀ */
	{ 0x0272, 'n' }, /* ɲ */
	{ 0x027E, 'r' }, /* ɾ */
	{ 0x0280, 'r' }, /* ʀ */
	{ 0x0262, 'g' }, /* ɢ (also from Cyrillic ԍ) */
	{ 0x028D, 'm' }, /* ʍ (from ᴍ) */
	{ 0x0299, 'b' }, /* ʙ */
	{ 0x029C, 'h' }, /* ʜ */
	{ 0x029F, 'l' }, /* ʟ */
	{ 0x0274, 'n' }, /* ɴ */
	/* open e: Greek ε, Cyrillic є and Latin ɛ share one prototype,
	 * which TR39 keeps apart from e (myєthєrwallet) */
	{ 0x025B, 'e' }, /* ɛ */
	{ 0x03B5, 'e' }, /* ε */
	{ 0x0454, 'e' }, /* є */
	{ 0xA793, 'e' }, /* ꞓ */
	{ 0x1D00, 'a' }, /* ᴀ */
	{ 0x1D05, 'd' }, /* ᴅ */
	{ 0x1D07, 'e' }, /* ᴇ */
	{ 0x1D0A, 'j' }, /* ᴊ */
	{ 0x1D18, 'p' }, /* ᴘ */
	{ 0x1D1B, 't' }, /* ᴛ */
	{ 0xA730, 'f' }, /* ꜰ */
};

static void u16_extra_fold(UChar *s, int32_t n)
{
	for (int32_t i = 0; i < n; i++) {
		if (s[i] < 0x80)
			continue;
		for (size_t k = 0; k < GV_ARRAY_LEN(extra_fold); k++)
			if (s[i] == extra_fold[k].from) {
				s[i] = extra_fold[k].to;
				break;
			}
	}
}

static int icu_key(const char *utf8, size_t len, char *out, size_t out_size)
{
	UChar a[U16_CAP], b[U16_CAP];
	UErrorCode err = U_ZERO_ERROR;
	int32_t n;

	if (len >= U16_CAP)
		return -1;
	u_strFromUTF8(a, U16_CAP, &n, utf8, (int32_t)len, &err);
	if (U_FAILURE(err) || n >= U16_CAP)
		return -1;
	/* lowercase, skeleton, lowercase, skeleton: the skeleton is not case
	 * folded ('0' maps to 'O'), so one round leaves micros0ft apart from
	 * microsoft. */
	if ((n = u16_lower(b, a, n)) < 0 || (n = u16_skeleton(a, b, n)) < 0 ||
	    (n = u16_lower(b, a, n)) < 0 || (n = u16_skeleton(a, b, n)) < 0 ||
	    (n = u16_strip_marks(b, a, n)) < 0)
		return -1;
	u16_extra_fold(b, n);
	int32_t olen;
	err = U_ZERO_ERROR;
	u_strToUTF8(out, (int32_t)out_size, &olen, b, n, &err);
	if (U_FAILURE(err) || (size_t)olen >= out_size)
		return -1;
	out[olen] = '\0';
	return olen;
}

/* TR39 keeps multi-letter lookalikes apart from the letter they imitate
 * ("rn" is the skeleton of "m"; "vv" and "w" differ). Typosquatters use
 * both, so keys fold them to one letter: "rn" -> "m", "vv" -> "w"; "nn"
 * -> "m" too (nnyetherwallet), a looser likeness that costs nothing on the
 * benign lists (docs/domains.md). This
 * also keeps a key no longer than its label for ASCII. 'q' passes for 'g'
 * in most fonts (dnstwist's glyph table has it) and is rare in names, so
 * it folds to 'g'. */
static int fold_multi(char *s, int n)
{
	int o = 0;
	for (int i = 0; i < n; i++) {
		if (i + 1 < n && (s[i] == 'r' || s[i] == 'n') && s[i + 1] == 'n') {
			s[o++] = 'm';
			i++;
		} else if (i + 1 < n && s[i] == 'v' && s[i + 1] == 'v') {
			s[o++] = 'w';
			i++;
		} else {
			s[o++] = s[i] == 'q' ? 'g' : s[i];
		}
	}
	s[o] = '\0';
	return o;
}

int gv_domain_key(const char *utf8, size_t len, char *out, size_t out_size)
{
	if (!ensure_init() || out_size == 0)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)utf8[i];
		if (c >= 0x80 || c == 0) {
			int n = icu_key(utf8, len, out, out_size);
			return n < 0 ? -1 : fold_multi(out, n);
		}
		if (o + key_tab_len[c] >= out_size)
			return -1;
		memcpy(out + o, key_tab[c], key_tab_len[c]);
		o += key_tab_len[c];
	}
	out[o] = '\0';
	return fold_multi(out, (int)o);
}

/* ---- syntax ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Checks LDH syntax of an ASCII name (already lowercase): labels of 1..63
 * letters, digits and hyphens, no hyphen at either end of a label. */
static bool ascii_name_ok(const char *s, size_t len)
{
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF). */
static bool utf8_ok(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n >= len - i)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static bool has_xn_label(const char *s, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if ((i == 0 || s[i - 1] == '.') && memcmp(s + i, "xn--", 4) == 0)
			return true;
	return false;
}

/* Fills out->ascii from a Unicode input name via IDNA (UTS 46 mapping,
 * which also lowercases). Non-transitional first (IDNA2008 as registries
 * apply it), transitional as a fallback for older registrations. */
static int unicode_to_ascii(const char *in, struct gv_domain_name *out)
{
	char *a = NULL;
	int rc = idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		idn2_free(a);
		a = NULL;
		rc = idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
	}
	if (rc != IDN2_OK) {
		idn2_free(a);
		return -1;
	}
	size_t n = strlen(a);
	if (n == 0 || n > GV_DOMAIN_MAX) {
		idn2_free(a);
		return -1;
	}
	memcpy(out->ascii, a, n + 1);
	out->ascii_len = n;
	idn2_free(a);
	return 1;
}

/* Fills out->unicode from out->ascii (decodes xn-- labels). */
static int ascii_to_unicode(struct gv_domain_name *out)
{
	if (!out->idn) {
		memcpy(out->unicode, out->ascii, out->ascii_len + 1);
		out->unicode_len = out->ascii_len;
		return 1;
	}
	char *u = NULL;
	int rc = idn2_to_unicode_8z8z(out->ascii, &u, 0);
	if (rc != IDN2_OK || u == NULL) {
		idn2_free(u);
		return -1;
	}
	size_t n = strlen(u);
	if (n >= sizeof(out->unicode) || !utf8_ok((unsigned char *)u, n)) {
		idn2_free(u);
		return -1;
	}
	memcpy(out->unicode, u, n + 1);
	out->unicode_len = n;
	idn2_free(u);
	return 1;
}

static void find_suffix(struct gv_domain_name *out)
{
	const char *reg = psl_registrable_domain(psl, out->ascii);
	out->registrable_off = out->suffix_off = out->ascii_len;
	if (reg == NULL)
		return;
	size_t rlen = strlen(reg);
	if (rlen > out->ascii_len)
		return;
	out->registrable_off = out->ascii_len - rlen;
	const char *dot = memchr(reg, '.', rlen);
	out->suffix_off = dot == NULL ? out->ascii_len
				      : out->registrable_off +
						(size_t)(dot - reg) + 1;
}

void gv_domain_find_suffix(struct gv_domain_name *out)
{
	find_suffix(out);
}

bool gv_domain_listed_suffix(const struct gv_domain_name *n)
{
	/* PSL_TYPE_NO_STAR_RULE: the implicit "*" rule makes any unknown
	 * top-level label a suffix; only listed ones (barclays, google) are
	 * delegated to an owner */
	return psl_is_public_suffix2(psl, n->ascii,
				     PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

bool gv_domain_wildcard_suffix(struct gv_domain_name *n)
{
	const char *dot = memchr(n->ascii, '.', n->ascii_len);
	if (n->registrable_off != n->ascii_len || dot == NULL)
		return false;
	/* a wildcard rule (*.bd) makes every sibling a suffix too; an
	 * explicit rule (github.io) does not */
	char probe[GV_DOMAIN_MAX + 32];
	int len = snprintf(probe, sizeof(probe), "xn--gv-probe-0a%s", dot);
	if (len < 0 || (size_t)len >= sizeof(probe) ||
	    !psl_is_public_suffix(psl, probe))
		return false;
	n->registrable_off = 0;
	n->suffix_off = (size_t)(dot - n->ascii) + 1;
	return true;
}

int gv_domain_normalize(const char *name, size_t len,
			const struct gv_domains_limits *limits,
			struct gv_domain_name *out, const char **error_r)
{
	if (gv_domain_normalize_nosuffix(name, len, limits, out, error_r) < 0)
		return -1;
	find_suffix(out);
	return 1;
}

int gv_domain_normalize_nosuffix(const char *name, size_t len,
				 const struct gv_domains_limits *limits,
				 struct gv_domain_name *out, const char **error_r)
{
	size_t max = limits != NULL && limits->max_input_len != 0
			     ? limits->max_input_len
			     : GV_DOMAINS_DEFAULT_INPUT;
	if (!ensure_init()) {
		*error_r = init_error;
		return -1;
	}
	if (len > max) {
		*error_r = "name too long";
		return -1;
	}
	while (len > 0 && is_space(name[0])) {
		name++;
		len--;
	}
	while (len > 0 && is_space(name[len - 1]))
		len--;
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len >= 2 && name[0] == '*' && name[1] == '.') {
		name += 2;
		len -= 2;
	} else if (len > 0 && name[0] == '.') {
		name++;
		len--;
	}
	if (len == 0) {
		*error_r = "empty name";
		return -1;
	}
	if (memchr(name, '\0', len) != NULL) {
		*error_r = "NUL byte in name";
		return -1;
	}
	bool ascii = true;
	for (size_t i = 0; i < len && ascii; i++)
		ascii = (unsigned char)name[i] < 0x80;
	memset(out, 0, offsetof(struct gv_domain_name, ascii_len));
	if (ascii) {
		if (len > GV_DOMAIN_MAX) {
			*error_r = "name too long";
			return -1;
		}
		memcpy(out->ascii, name, len);
		out->ascii[len] = '\0';
		out->ascii_len = len;
		gv_ascii_lower(out->ascii, len);
	} else {
		if (!utf8_ok((const unsigned char *)name, len)) {
			*error_r = "invalid UTF-8";
			return -1;
		}
		char tmp[GV_DOMAINS_DEFAULT_INPUT + 1];
		if (len >= sizeof(tmp)) {
			*error_r = "name too long";
			return -1;
		}
		memcpy(tmp, name, len);
		tmp[len] = '\0';
		if (unicode_to_ascii(tmp, out) < 0) {
			*error_r = "not a valid internationalized name";
			return -1;
		}
	}
	if (!ascii_name_ok(out->ascii, out->ascii_len)) {
		*error_r = "not a domain name";
		return -1;
	}
	out->idn = has_xn_label(out->ascii, out->ascii_len);
	if (ascii_to_unicode(out) < 0) {
		*error_r = "broken punycode";
		return -1;
	}
	/* until gv_domain_find_suffix: all of it is "label part" */
	out->registrable_off = out->suffix_off = out->ascii_len;
	return 1;
}

int gv_domain_registrable(const char *name, size_t len, char *out,
			  size_t out_size, const char **error_r)
{
	struct gv_domain_name n;
	if (gv_domain_normalize(name, len, NULL, &n, error_r) < 0)
		return -1;
	if (n.registrable_off == n.ascii_len)
		return 0;
	size_t rlen = n.ascii_len - n.registrable_off;
	if (rlen >= out_size) {
		*error_r = "output buffer too small";
		return -1;
	}
	memcpy(out, n.ascii + n.registrable_off, rlen + 1);
	return 1;
}
