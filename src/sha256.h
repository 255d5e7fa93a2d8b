/*-------------------------------------------------------------------------
 *
 * sha256.h
 *	  SHA-256 of one short message, without allocation (sha256.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_SHA256_H
#define AUTHSESSIONS_SHA256_H

/* the longest input: the message and its padding fit in two blocks */
#define AUTHSESSIONS_SHA256_MAX_INPUT	(128 - 9)

extern void as_sha256(const uint8 *data, size_t len, uint8 *digest);

#endif							/* AUTHSESSIONS_SHA256_H */
