/*-------------------------------------------------------------------------
 *
 * sha256.c
 *	  SHA-256 (FIPS 180-4) of one short message, without allocation.
 *
 * validate hashes a token on every request.  PostgreSQL's pg_cryptohash API
 * allocates an OpenSSL context, registers it with the resource owner and
 * frees it again for each hash, which cost more than the rest of the lookup;
 * this plain implementation works on the stack.  The regression tests check
 * it against PostgreSQL's own sha256() on every stored token.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sha256.h"

static const uint32 K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROTR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

/* Process one 64-byte block into the state h. */
static void
sha256_block(uint32 *h, const uint8 *block)
{
	uint32		w[64];
	uint32		a, b, c, d, e, f, g, hh;
	int			i;

	for (i = 0; i < 16; i++)
		w[i] = ((uint32) block[i * 4] << 24) | ((uint32) block[i * 4 + 1] << 16) |
			((uint32) block[i * 4 + 2] << 8) | (uint32) block[i * 4 + 3];
	for (i = 16; i < 64; i++)
	{
		uint32		s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32		s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}

	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (i = 0; i < 64; i++)
	{
		uint32		S1 = ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25);
		uint32		ch = (e & f) ^ (~e & g);
		uint32		t1 = hh + S1 + ch + K[i] + w[i];
		uint32		S0 = ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22);
		uint32		maj = (a & b) ^ (a & c) ^ (b & c);
		uint32		t2 = S0 + maj;

		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

/*
 * SHA-256 of len bytes at data into digest (32 bytes).  len is at most
 * AUTHSESSIONS_SHA256_MAX_INPUT: the message and its padding fit in two
 * blocks on the stack.
 */
void
as_sha256(const uint8 *data, size_t len, uint8 *digest)
{
	uint32		h[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};
	uint8		buf[128];
	size_t		total;
	uint64		bits = (uint64) len * 8;
	size_t		i;

	if (len > AUTHSESSIONS_SHA256_MAX_INPUT)
		elog(ERROR, "authsessions: SHA-256 input of %zu bytes is too long", len);

	/* message, 0x80, zeros, then the 64-bit big-endian bit length */
	total = (len + 9 <= 64) ? 64 : 128;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, data, len);
	buf[len] = 0x80;
	for (i = 0; i < 8; i++)
		buf[total - 1 - i] = (uint8) (bits >> (8 * i));

	sha256_block(h, buf);
	if (total == 128)
		sha256_block(h, buf + 64);

	for (i = 0; i < 8; i++)
	{
		digest[i * 4] = (uint8) (h[i] >> 24);
		digest[i * 4 + 1] = (uint8) (h[i] >> 16);
		digest[i * 4 + 2] = (uint8) (h[i] >> 8);
		digest[i * 4 + 3] = (uint8) h[i];
	}
	explicit_bzero(buf, sizeof(buf));
}
