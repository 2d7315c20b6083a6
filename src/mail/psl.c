/* Registrable domains (eTLD+1) with libpsl and Debian's public suffix list
 * file, loaded once per process (libpsl's built-in list is older). */
#include <libpsl.h>
#include <pthread.h>
#include <string.h>

#include "mail/mail-private.h"

#define PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"

static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static psl_ctx_t *psl;

static void psl_load(void)
{
	psl = psl_load_file(PSL_FILE);
	if (psl == NULL)
		psl = (psl_ctx_t *)psl_builtin();
}

static const psl_ctx_t *mail_psl(void)
{
	pthread_once(&psl_once, psl_load);
	return psl;
}

const char *gv_mail_registrable(struct gv_pool *pool, const char *host)
{
	const psl_ctx_t *ctx = mail_psl();
	const char *r = ctx ? psl_registrable_domain(ctx, host) : NULL;
	return gv_pstrdup(pool, r ? r : host);
}

bool mail_is_public_suffix(const char *s)
{
	const psl_ctx_t *ctx = mail_psl();
	return ctx && psl_is_public_suffix2(ctx, s, PSL_TYPE_ICANN |
					    PSL_TYPE_NO_STAR_RULE);
}
