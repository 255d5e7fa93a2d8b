/*-------------------------------------------------------------------------
 *
 * token.c
 *	  Session tokens: generation, parsing and hashing.
 *
 * A token is 32 bytes from pg_strong_random (256 bits), written in URL-safe
 * base64 without padding: 43 characters from [A-Za-z0-9_-].  Only the
 * SHA-256 of the 32 bytes is stored, so a copy of the tables lets nobody in.
 * Parsing is strict (exact length, alphabet, and zero padding bits), so each
 * secret has exactly one spelling, and it never raises an error: a bad token
 * is simply not a token, and never reaches the server log.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port.h"

#include "authsessions.h"

static const char b64url[] =
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of one base64url character, or -1. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* SHA-256 of the secret bytes into hash_out (32 bytes). */
static void
hash_secret(const uint8 *secret, uint8 *hash_out)
{
	authsessions_sha256(secret, AUTHSESSIONS_TOKEN_BYTES, hash_out);
}

/*
 * Make a new token: returns it as a palloc'd C string and stores the hash
 * to keep in hash_out.
 */
char *
token_generate(uint8 *hash_out)
{
	uint8		secret[AUTHSESSIONS_TOKEN_BYTES];
	char	   *token = palloc(AUTHSESSIONS_TOKEN_CHARS + 1);
	char	   *p = token;
	int			i;
	uint32		acc = 0;
	int			bits = 0;

	if (!pg_strong_random(secret, sizeof(secret)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random session token"),
				 errdetail("pg_strong_random() failed.")));

	for (i = 0; i < AUTHSESSIONS_TOKEN_BYTES; i++)
	{
		acc = (acc << 8) | secret[i];
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

	hash_secret(secret, hash_out);
	explicit_bzero(secret, sizeof(secret));
	return token;
}

/*
 * Parse a token and store the hash to look up in hash_out.  Returns false,
 * without raising anything, when the text is not a well-formed token.
 */
bool
token_parse_hash(text *token, uint8 *hash_out)
{
	const unsigned char *s = (const unsigned char *) VARDATA_ANY(token);
	uint8		secret[AUTHSESSIONS_TOKEN_BYTES];
	int			n = 0;
	int			i;
	uint32		acc = 0;
	int			bits = 0;

	if (VARSIZE_ANY_EXHDR(token) != AUTHSESSIONS_TOKEN_CHARS)
		return false;

	for (i = 0; i < AUTHSESSIONS_TOKEN_CHARS; i++)
	{
		int			v = b64url_value(s[i]);

		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			secret[n++] = (uint8) ((acc >> bits) & 0xFF);
		}
	}
	/* 43 * 6 = 258 bits: the two spare bits must be zero */
	if (n != AUTHSESSIONS_TOKEN_BYTES || (acc & ((1U << bits) - 1)) != 0)
		return false;

	hash_secret(secret, hash_out);
	explicit_bzero(secret, sizeof(secret));
	return true;
}

/* A hash as a bytea, for a query parameter. */
bytea *
hash_to_bytea(const uint8 *hash)
{
	bytea	   *b = palloc(VARHDRSZ + AUTHSESSIONS_HASH_BYTES);

	SET_VARSIZE(b, VARHDRSZ + AUTHSESSIONS_HASH_BYTES);
	memcpy(VARDATA(b), hash, AUTHSESSIONS_HASH_BYTES);
	return b;
}
