/*
 * hash.c — SHA-256 and MD5 of every item, as lower-case hex.
 *
 * SHA-256 comes from libsodium (already a Geneva dependency for signing);
 * libsodium has no MD5, so MD5 comes from GLib's GChecksum: GLib is already
 * linked through GMime, so this adds no library to the binary. MD5 is kept
 * only because ClamAV signatures and many threat feeds still use it.
 */
#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "files/files-private.h"

void gvf_hashes(const unsigned char *data, size_t len, char sha256[65],
		char md5[33])
{
	unsigned char sha[crypto_hash_sha256_BYTES];
	GChecksum *ck;

	crypto_hash_sha256(sha, data, len);
	sodium_bin2hex(sha256, 65, sha, sizeof(sha));

	ck = g_checksum_new(G_CHECKSUM_MD5);
	/* GChecksum takes a gssize: feed huge buffers in pieces. */
	for (size_t off = 0; off < len;) {
		size_t n = len - off > (1u << 30) ? (1u << 30) : len - off;

		g_checksum_update(ck, data + off, (gssize)n);
		off += n;
	}
	memcpy(md5, g_checksum_get_string(ck), 32);
	md5[32] = '\0';
	g_checksum_free(ck);
}
