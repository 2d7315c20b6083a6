/*
 * Distances between labels and the naming of typo techniques. The names
 * follow dnstwist's fuzzers, so a finding can be compared with what a
 * permutation tool would have generated.
 */
#include "domains/domains-private.h"

#include <string.h>

static const char *const tech_names[GV_TECH_COUNT] = {
	[GV_TECH_NONE] = "none",
	[GV_TECH_ADDITION] = "addition",
	[GV_TECH_BITSQUATTING] = "bitsquatting",
	[GV_TECH_HOMOGLYPH] = "homoglyph",
	[GV_TECH_IDN_HOMOGLYPH] = "idn-homoglyph",
	[GV_TECH_HYPHENATION] = "hyphenation",
	[GV_TECH_INSERTION] = "insertion",
	[GV_TECH_OMISSION] = "omission",
	[GV_TECH_REPETITION] = "repetition",
	[GV_TECH_REPLACEMENT] = "replacement",
	[GV_TECH_SUBDOMAIN] = "subdomain",
	[GV_TECH_TRANSPOSITION] = "transposition",
	[GV_TECH_VOWEL_SWAP] = "vowel-swap",
	[GV_TECH_DICTIONARY] = "dictionary",
	[GV_TECH_TLD_SWAP] = "tld-swap",
	[GV_TECH_PLURAL] = "plural",
	[GV_TECH_VARIOUS] = "various",
	[GV_TECH_BRAND_IN_LABEL] = "brand-in-label",
	[GV_TECH_BRAND_IN_SUBDOMAIN] = "brand-in-subdomain",
	[GV_TECH_EDIT_DISTANCE] = "edit-distance",
	[GV_TECH_TRUNCATION] = "truncation",
};

const char *gv_domain_technique_name(enum gv_domain_technique t)
{
	return (unsigned)t < GV_TECH_COUNT ? tech_names[t] : "none";
}

enum gv_domain_technique gv_domain_technique_parse(const char *name)
{
	for (unsigned t = 1; t < GV_TECH_COUNT; t++)
		if (strcmp(tech_names[t], name) == 0)
			return (enum gv_domain_technique)t;
	return GV_TECH_NONE;
}

/* Words phishers put next to a brand (and dnstwist's dictionary technique
 * uses when given no dictionary). Lowercase ASCII. */
const char *const gv_keywords[] = {
	"access", "account", "activate", "activation", "airdrop", "alert",
	"app", "auth", "billing", "bonus", "claim", "confirm", "connect",
	"customer", "dapp", "dashboard", "download", "free", "gift", "giveaway",
	"help", "helpdesk", "import", "install", "invoice", "login", "logon",
	"mobile", "my", "official", "online", "payment", "portal", "prize",
	"promo", "recover", "recovery", "refund", "register", "reset",
	"restore", "reward", "secure", "security", "service", "signin",
	"support", "sync", "ticket", "token", "unlock", "update", "validate",
	"validation", "verify", "verification", "wallet", "webmail", "www",
	NULL
};

/* Keywords companies also put next to their own name (adobeconnect,
 * googleapps, brandonline, mybrand): they make a side "clean" but are not
 * evidence of phishing by themselves. The others ask for credentials,
 * money or action (login, verify, wallet, claim, ...). */
const char *const gv_neutral_keywords[] = {
	"access", "app", "connect", "customer", "dashboard", "download", "help",
	"install", "mobile", "my", "online", "portal", "register", "service",
	"www", NULL
};

/* Common English words that end many company names (usbank, icloud,
 * mbank, ubank, jcloud). Written from general knowledge, not from any
 * corpus; lowercase ASCII, at least four letters. */
const char *const gv_common_words[] = {
	"auto", "bank", "base", "bets", "bike", "bill", "book", "cars", "card",
	"care", "cash", "chain", "chat", "city", "club", "cloud", "code",
	"coin", "cred", "credit", "data", "deal", "deals", "desk", "direct",
	"dock", "drive", "energy", "farm", "fast", "file", "files", "film",
	"finance", "fish", "flow", "food", "fund", "game", "games", "gate",
	"gift", "gold", "guide", "health", "home", "host", "hotel", "house",
	"info", "invest", "jobs", "land", "life", "line", "link", "list",
	"live", "loan", "mail", "mall", "maps", "mark", "mart", "media",
	"mobile", "money", "motor", "music", "news", "note", "page", "park",
	"pass", "phone", "photo", "play", "plus", "point", "port", "post",
	"power", "press", "print", "radio", "rent", "ride", "safe", "sale",
	"save", "scan", "school", "send", "shop", "show", "sign", "site",
	"soft", "sport", "star", "station", "store", "stream", "talk", "team",
	"tech", "tell", "text", "ticket", "time", "tour", "trade", "travel",
	"tube", "view", "vision", "wallet", "ware", "wave", "wear", "wire",
	"word", "work", "works", "world", "zone", NULL
};

const char *const gv_common_tlds[] = {
	"com", "net", "org", "info", "biz", "co", "io", "me", "us", "uk",
	"co.uk", "de", "fr", "ru", "cn", "in", "xyz", "top", "online",
	"site", "shop", "club", "app", "live", "support", "services",
	"security", "tk", "ml", "ga", "cf", "gq", "cc", "ws", "pw", "icu",
	"vip", "link", "click", "space", "website", "tech", "store", "cloud",
	NULL
};

bool gv_is_keyword(const char *w, size_t len)
{
	for (size_t i = 0; gv_keywords[i] != NULL; i++)
		if (strlen(gv_keywords[i]) == len &&
		    memcmp(gv_keywords[i], w, len) == 0)
			return true;
	return false;
}

unsigned gv_osa_distance(const char *a, size_t alen, const char *b,
			 size_t blen, unsigned max)
{
	if (alen > GV_KEY_MAX || blen > GV_KEY_MAX)
		return max + 1;
	size_t diff = alen > blen ? alen - blen : blen - alen;
	if (diff > max)
		return max + 1;
	/* Banded: only cells with |i - j| <= max can hold a value <= max;
	 * the others count as max + 1. Three rolling rows: i-2, i-1, i. */
	const unsigned far = max + 1;
	unsigned rows[3][GV_KEY_MAX + 2];
	unsigned *pp = rows[0], *p = rows[1], *c = rows[2];
	for (size_t j = 0; j <= blen; j++)
		p[j] = j <= max ? (unsigned)j : far;
	for (size_t i = 1; i <= alen; i++) {
		size_t lo = i > max ? i - max : 1;
		size_t hi = i + max < blen ? i + max : blen;
		c[0] = i <= max ? (unsigned)i : far;
		unsigned best = lo == 1 ? c[0] : far;
		if (lo > 1)
			c[lo - 1] = far;
		for (size_t j = lo; j <= hi; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = p[j - 1] + cost;
			if (j < i + max && p[j] + 1 < v)
				v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v > far ? far : v;
			if (c[j] < best)
				best = c[j];
		}
		if (hi < blen)
			c[hi + 1] = far;
		if (best > max)
			return far;
		unsigned *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	return p[blen] > max ? far : p[blen];
}

unsigned gv_substring_distance(const char *pat, size_t plen, const char *text,
			       size_t tlen, unsigned max, size_t *start_r,
			       size_t *end_r)
{
	/* Sellers' algorithm: column over pat, free start in text; the start
	 * of each alignment is carried along. */
	if (plen > GV_KEY_MAX || tlen > GV_KEY_MAX)
		return max + 1;
	unsigned d[GV_KEY_MAX + 1], nd[GV_KEY_MAX + 1];
	size_t st[GV_KEY_MAX + 1], nst[GV_KEY_MAX + 1];
	unsigned best = max + 1;
	for (size_t i = 0; i <= plen; i++) {
		d[i] = (unsigned)i;
		st[i] = 0;
	}
	if (plen <= max) {
		best = (unsigned)plen;
		*start_r = *end_r = 0;
	}
	for (size_t j = 1; j <= tlen; j++) {
		nd[0] = 0;
		nst[0] = j;
		for (size_t i = 1; i <= plen; i++) {
			unsigned cost = pat[i - 1] == text[j - 1] ? 0 : 1;
			unsigned v = d[i - 1] + cost;
			size_t s = st[i - 1];
			if (d[i] + 1 < v) {
				v = d[i] + 1;
				s = st[i];
			}
			if (nd[i - 1] + 1 < v) {
				v = nd[i - 1] + 1;
				s = nst[i - 1];
			}
			nd[i] = v;
			nst[i] = s;
		}
		if (nd[plen] < best) {
			best = nd[plen];
			*start_r = nst[plen];
			*end_r = j;
		}
		memcpy(d, nd, (plen + 1) * sizeof(unsigned));
		memcpy(st, nst, (plen + 1) * sizeof(size_t));
	}
	return best;
}

static bool is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static bool one_bit(unsigned char a, unsigned char b)
{
	unsigned x = a ^ b;
	return x != 0 && (x & (x - 1)) == 0;
}

static enum gv_domain_technique classify_insert(const char *b, size_t blen,
						const char *l, size_t pos)
{
	char c = l[pos];
	if (pos == blen)
		return GV_TECH_ADDITION;
	if (c == '-')
		return GV_TECH_HYPHENATION;
	if ((pos > 0 && l[pos - 1] == c) || l[pos + 1] == c)
		return GV_TECH_REPETITION;
	(void)b;
	return GV_TECH_INSERTION;
}

enum gv_domain_technique gv_classify_typo(const char *b, size_t blen,
					  const char *l, size_t llen)
{
	size_t pre = 0;
	while (pre < blen && pre < llen && b[pre] == l[pre])
		pre++;
	size_t suf = 0;
	while (suf < blen - pre && suf < llen - pre &&
	       b[blen - 1 - suf] == l[llen - 1 - suf])
		suf++;
	size_t bm = blen - pre - suf, lm = llen - pre - suf;

	if (bm == 0 && lm == 0)
		return GV_TECH_HOMOGLYPH; /* equal keys, different spelling */
	if ((lm == 1 && bm == 0) ||
	    (lm == 2 && bm == 0 && l[pre + 1] == 's' && pre + 2 == llen)) {
		if (pre == blen && (l[pre] == 's' || (lm == 2 && l[pre] == 'e')))
			return GV_TECH_PLURAL;
		if (lm == 1)
			return classify_insert(b, blen, l, pre);
	}
	if (lm == 0 && bm == 1)
		return GV_TECH_OMISSION;
	if (lm == 1 && bm == 1) {
		char x = b[pre], y = l[pre];
		if (one_bit((unsigned char)x, (unsigned char)y))
			return GV_TECH_BITSQUATTING;
		if (is_vowel(x) && is_vowel(y))
			return GV_TECH_VOWEL_SWAP;
		/* dnstwist only replaces with keyboard neighbours; any
		 * single substitution is named the same here. */
		return GV_TECH_REPLACEMENT;
	}
	if (lm == 2 && bm == 2 && b[pre] == l[pre + 1] && b[pre + 1] == l[pre])
		return GV_TECH_TRANSPOSITION;
	if (lm == 1 && bm == 0)
		return GV_TECH_INSERTION;
	return GV_TECH_EDIT_DISTANCE;
}
