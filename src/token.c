/*-------------------------------------------------------------------------
 *
 * token.c
 *	  Session tokens: generation, parsing and hashing.
 *
 * A token is "as1_" (the format's version, readable by secret scanners)
 * followed by 38 bytes written in URL-safe base64 without padding: 55
 * characters from [A-Za-z0-9_-].  The first 32 bytes are the secret, from
 * pg_strong_random (256 bits); only its SHA-256 is stored, so a copy of the
 * tables lets nobody in.  The last 6 are the session row's locator, where
 * create_session stored the row (block number, 4 bytes, and line pointer
 * number, 2 bytes, both big-endian): validate reads the row there without
 * searching an index, and searches the index by hash when the row has moved
 * (a non-HOT update, VACUUM FULL, a dump and restore).  The locator is a
 * hint, never trusted: the row found there is the session only if it holds
 * the secret's hash.
 *
 * Parsing is strict (exact length, alphabet, and zero padding bits), so each
 * token has exactly one spelling, and it never raises an error: a bad token
 * is simply not a token, and never reaches the server log.  1.0's tokens,
 * the 51-character body without a prefix, stay valid: they are parsed the
 * same way.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "b64url.h"
#include "compat.h"
#include "port.h"
#include "sha256.h"
#include "storage/itemptr.h"
#include "token.h"

static const char b64url[] = AS_B64URL_ALPHABET;

/* SHA-256 of the secret bytes into hash_out (32 bytes). */
static void
hash_secret(const uint8 *secret, uint8 *hash_out)
{
	as_sha256(secret, AUTHSESSIONS_SECRET_BYTES, hash_out);
}

/*
 * A new secret (AUTHSESSIONS_SECRET_BYTES into secret) and the hash to store
 * for it (into hash_out).
 */
void
as_token_new_secret(uint8 *secret, uint8 *hash_out)
{
	if (!pg_strong_random(secret, AUTHSESSIONS_SECRET_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random session token"),
				 errdetail("pg_strong_random() failed.")));
	hash_secret(secret, hash_out);
}

/*
 * The token for a secret and the row that holds its hash, as a palloc'd C
 * string of AUTHSESSIONS_TOKEN_CHARS characters.
 */
char *
as_token_encode(const uint8 *secret, ItemPointer locator)
{
	uint8		bytes[AUTHSESSIONS_TOKEN_BYTES];
	BlockNumber block = ItemPointerGetBlockNumber(locator);
	OffsetNumber offset = ItemPointerGetOffsetNumber(locator);
	char	   *token = palloc(AUTHSESSIONS_TOKEN_CHARS + 1);
	char	   *p = token;
	int			i;
	uint32		acc = 0;
	int			bits = 0;

	memcpy(p, AUTHSESSIONS_TOKEN_PREFIX, AUTHSESSIONS_TOKEN_PREFIX_CHARS);
	p += AUTHSESSIONS_TOKEN_PREFIX_CHARS;
	memcpy(bytes, secret, AUTHSESSIONS_SECRET_BYTES);
	bytes[AUTHSESSIONS_SECRET_BYTES] = (uint8) (block >> 24);
	bytes[AUTHSESSIONS_SECRET_BYTES + 1] = (uint8) (block >> 16);
	bytes[AUTHSESSIONS_SECRET_BYTES + 2] = (uint8) (block >> 8);
	bytes[AUTHSESSIONS_SECRET_BYTES + 3] = (uint8) block;
	bytes[AUTHSESSIONS_SECRET_BYTES + 4] = (uint8) (offset >> 8);
	bytes[AUTHSESSIONS_SECRET_BYTES + 5] = (uint8) offset;

	for (i = 0; i < AUTHSESSIONS_TOKEN_BYTES; i++)
	{
		acc = (acc << 8) | bytes[i];
		bits += 8;
		while (bits >= 6)
		{
			bits -= 6;
			*p++ = b64url[(acc >> bits) & 0x3F];
		}
	}
	if (bits > 0)
		*p++ = b64url[(acc << (6 - bits)) & 0x3F];
	*p = '\0';
	Assert(p - token == AUTHSESSIONS_TOKEN_CHARS);

	explicit_bzero(bytes, sizeof(bytes));
	return token;
}

/*
 * Parse a token, of this format (the prefix and the body) or of 1.0's (the
 * body alone): store the hash to look up in hash_out and the row locator it
 * carries in *locator.  Returns false, without raising anything, when the
 * text is not a well-formed token.
 */
bool
as_token_parse(text *token, uint8 *hash_out, ItemPointer locator)
{
	const unsigned char *s = (const unsigned char *) VARDATA_ANY(token);
	Size		len = VARSIZE_ANY_EXHDR(token);
	uint8		bytes[AUTHSESSIONS_TOKEN_BYTES];
	const uint8 *l = bytes + AUTHSESSIONS_SECRET_BYTES;
	int			n = 0;
	int			i;
	uint32		acc = 0;
	int			bits = 0;

	if (len == AUTHSESSIONS_TOKEN_CHARS &&
		memcmp(s, AUTHSESSIONS_TOKEN_PREFIX, AUTHSESSIONS_TOKEN_PREFIX_CHARS) == 0)
		s += AUTHSESSIONS_TOKEN_PREFIX_CHARS;
	else if (len != AUTHSESSIONS_TOKEN_BODY_CHARS)
		return false;

	for (i = 0; i < AUTHSESSIONS_TOKEN_BODY_CHARS; i++)
	{
		int			v = as_b64url_value(s[i]);

		if (v < 0)
		{
			explicit_bzero(bytes, sizeof(bytes));
			return false;
		}
		acc = (acc << 6) | (uint32) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			bytes[n++] = (uint8) ((acc >> bits) & 0xFF);
		}
	}
	/* 51 * 6 = 306 bits: the two spare bits must be zero */
	if (n != AUTHSESSIONS_TOKEN_BYTES || (acc & ((1U << bits) - 1)) != 0)
	{
		explicit_bzero(bytes, sizeof(bytes));
		return false;
	}

	hash_secret(bytes, hash_out);
	ItemPointerSet(locator,
				   ((BlockNumber) l[0] << 24) | ((BlockNumber) l[1] << 16) |
				   ((BlockNumber) l[2] << 8) | (BlockNumber) l[3],
				   (OffsetNumber) ((l[4] << 8) | l[5]));
	explicit_bzero(bytes, sizeof(bytes));
	return true;
}

/* A hash as a bytea, for a query parameter. */
bytea *
as_token_hash_bytea(const uint8 *hash)
{
	bytea	   *b = palloc(VARHDRSZ + AUTHSESSIONS_HASH_BYTES);

	SET_VARSIZE(b, VARHDRSZ + AUTHSESSIONS_HASH_BYTES);
	memcpy(VARDATA(b), hash, AUTHSESSIONS_HASH_BYTES);
	return b;
}
