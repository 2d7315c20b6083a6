/*
 * Ed25519 signing of evidence bundles (libsodium), and the small hex / id
 * helpers the module shares. Keys and signatures are hex text files so they
 * survive mail and copy-paste; the secret key file is created mode 0600.
 * A signature is detached: it covers the exact bytes of the bundle file.
 */
#include "intel/intel-private.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void intel_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void intel_stix_id(const char *type, const char *seed, char out[80])
{
	/* Name-based (UUIDv5-shaped) id: the same object always gets the same
	 * id, so re-exports are byte-identical and de-duplicate downstream. */
	unsigned char h[16];
	crypto_generichash(h, sizeof(h), (const unsigned char *)seed,
			   strlen(seed), (const unsigned char *)type,
			   strlen(type));
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	char x[33];
	intel_hex(h, 16, x);
	snprintf(out, 80, "%.40s--%.8s-%.4s-%.4s-%.4s-%.12s", type, x, x + 8,
		 x + 12, x + 16, x + 20);
}

static int init(const char **error_r)
{
	if (sodium_init() < 0) {
		*error_r = "libsodium initialisation failed";
		return -1;
	}
	return 1;
}

/* Reads a file holding exactly want bytes as hex (whitespace trimmed). */
static int read_hex(const char *path, unsigned char *out, size_t want,
		    const char **error_r)
{
	unsigned char *data;
	size_t len;
	bool trunc;
	static __thread char buf[600];
	if (gv_read_file(path, 4096, &data, &len, &trunc, error_r) < 0) {
		snprintf(buf, sizeof(buf), "%.400s: %s", path, *error_r);
		*error_r = buf;
		return -1;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
			   data[len - 1] == ' '))
		len--;
	size_t got = 0;
	int rc = sodium_hex2bin(out, want, (const char *)data, len, NULL, &got,
				NULL);
	gv_free(data);
	if (rc != 0 || got != want) {
		snprintf(buf, sizeof(buf), "%.400s: not a %zu-byte hex key",
			 path, want);
		*error_r = buf;
		return -1;
	}
	return 1;
}

static int write_hex(const char *path, const unsigned char *in, size_t len,
		     unsigned mode, const char **error_r)
{
	char *hex = gv_malloc(len * 2 + 2);
	intel_hex(in, len, hex);
	size_t n = strlen(hex);
	hex[n] = '\n';
	int rc = gv_write_file_atomic(path, hex, n + 1, mode, error_r);
	gv_free(hex);
	return rc;
}

int gv_intel_keygen(const char *secret_path, const char *public_path,
		    const char **error_r)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	if (init(error_r) < 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	int rc = write_hex(secret_path, sk, sizeof(sk), 0600, error_r);
	sodium_memzero(sk, sizeof(sk));
	if (rc < 0)
		return -1;
	return write_hex(public_path, pk, sizeof(pk), 0644, error_r);
}

int gv_intel_sign(const unsigned char *data, size_t len,
		  const char *secret_path, char **sig_hex_r,
		  const char **error_r)
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	if (init(error_r) < 0 ||
	    read_hex(secret_path, sk, sizeof(sk), error_r) < 0)
		return -1;
	crypto_sign_detached(sig, NULL, data, len, sk);
	sodium_memzero(sk, sizeof(sk));
	*sig_hex_r = gv_malloc(sizeof(sig) * 2 + 1);
	intel_hex(sig, sizeof(sig), *sig_hex_r);
	return 1;
}

int gv_intel_verify(const unsigned char *data, size_t len,
		    const char *sig_hex, const char *public_path,
		    const char **error_r)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	if (init(error_r) < 0 ||
	    read_hex(public_path, pk, sizeof(pk), error_r) < 0)
		return -1;
	size_t n = strlen(sig_hex), got = 0;
	while (n > 0 && (sig_hex[n - 1] == '\n' || sig_hex[n - 1] == '\r' ||
			 sig_hex[n - 1] == ' '))
		n--;
	if (sodium_hex2bin(sig, sizeof(sig), sig_hex, n, NULL, &got, NULL) !=
		    0 ||
	    got != sizeof(sig)) {
		*error_r = "signature is not 64 bytes of hex";
		return -1;
	}
	return crypto_sign_verify_detached(sig, data, len, pk) == 0 ? 1 : 0;
}
