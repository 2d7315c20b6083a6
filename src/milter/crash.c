/*
 * Messages that kill scanners. A crash while scanning costs the message a
 * retry on another scanner; a message that kills that one too is
 * tempfailed, and its sender retries. Without memory that could go on
 * for the sender's whole queue lifetime (days), killing scanners every
 * time. So the worker remembers a digest of each message that killed a
 * scanner (gv_milter_digest: content without trace headers, plus the
 * envelope sender, so a retry of the same message matches) with a count;
 * once a message reaches GV_MILTER_CRASH_LIMIT deaths in total it is
 * quarantined, marked milter.scanner_crashed, instead of tempfailed (the
 * admin can look at it and release it).
 *
 * The table is small (CRASH_SLOTS, the oldest entry makes room), lives in
 * the worker's memory only, and entries older than CRASH_TTL_MS start
 * over: it is there to stop a loop, not to be a database.
 */
#include <string.h>
#include <sys/random.h>

#include "milter/milter-private.h"

#define CRASH_SLOTS 1024
#define CRASH_TTL_MS (48ull * 3600 * 1000)

struct gv_milter_crash {
	uint64_t digest;
	unsigned count;
	uint64_t last_ms;
};

void gv_milter_crash_init(struct gv_milter_state *st)
{
	pthread_mutex_init(&st->crash_lock, NULL);
	st->crashes = gv_calloc(CRASH_SLOTS, sizeof(*st->crashes));
	/* a secret seed: nobody can craft a message whose digest collides
	 * with one that crashed, to get it quarantined */
	if (getrandom(&st->crash_seed, sizeof(st->crash_seed), 0) != sizeof(st->crash_seed))
		st->crash_seed = gv_now_us() ^ (uint64_t)(uintptr_t)st;
}

unsigned gv_milter_crash_note(struct gv_milter_state *st, uint64_t digest, unsigned n)
{
	uint64_t now = gv_now_ms();
	pthread_mutex_lock(&st->crash_lock);
	struct gv_milter_crash *hit = NULL, *oldest = &st->crashes[0];
	for (size_t i = 0; i < CRASH_SLOTS && !hit; i++) {
		struct gv_milter_crash *c = &st->crashes[i];
		if (c->count && c->digest == digest)
			hit = c;
		else if (c->last_ms < oldest->last_ms)
			oldest = c;
	}
	if (hit && now - hit->last_ms > CRASH_TTL_MS)
		hit->count = 0;
	if (!hit) {
		hit = oldest;
		hit->digest = digest;
		hit->count = 0;
	}
	hit->count += n;
	hit->last_ms = now;
	unsigned total = hit->count;
	pthread_mutex_unlock(&st->crash_lock);
	return total;
}
