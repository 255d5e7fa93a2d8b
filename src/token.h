/*-------------------------------------------------------------------------
 *
 * token.h
 *	  Session tokens (token.c): a new secret and its hash, a token's text,
 *	  and the hash and row locator a token carries.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_TOKEN_H
#define AUTHSESSIONS_TOKEN_H

#include "storage/itemptr.h"

/*
 * A token: a version prefix, then 32 random bytes and a 6-byte row locator in
 * base64url without padding (the body); 1.0's tokens are the body alone.
 */
#define AUTHSESSIONS_SECRET_BYTES	32
#define AUTHSESSIONS_TOKEN_BYTES	38
#define AUTHSESSIONS_TOKEN_BODY_CHARS	51
#define AUTHSESSIONS_TOKEN_PREFIX	"as1_"
#define AUTHSESSIONS_TOKEN_PREFIX_CHARS	4
#define AUTHSESSIONS_TOKEN_CHARS \
	(AUTHSESSIONS_TOKEN_PREFIX_CHARS + AUTHSESSIONS_TOKEN_BODY_CHARS)
/* a token's hash, as stored (SHA-256 of the secret) */
#define AUTHSESSIONS_HASH_BYTES		32

extern void as_token_new_secret(uint8 *secret, uint8 *hash_out);
extern char *as_token_encode(const uint8 *secret, ItemPointer locator);
extern bool as_token_parse(text *token, uint8 *hash_out, ItemPointer locator);
extern bytea *as_token_hash_bytea(const uint8 *hash);

#endif							/* AUTHSESSIONS_TOKEN_H */
