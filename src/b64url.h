/*-------------------------------------------------------------------------
 *
 * b64url.h
 *	  The base64url alphabet (RFC 4648, section 5) that session tokens
 *	  (token.c) and JWTs (jwt.c) are written in, and the value of one of its
 *	  characters.  Inline: the token parser reads one character at a time on
 *	  every validate.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_B64URL_H
#define AUTHSESSIONS_B64URL_H

/* the 64 characters, in value order */
#define AS_B64URL_ALPHABET \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* The value of one base64url character, -1 for any other. */
static inline int
as_b64url_value(unsigned char c)
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

#endif							/* AUTHSESSIONS_B64URL_H */
