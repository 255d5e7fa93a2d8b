/*-------------------------------------------------------------------------
 *
 * jwt.h
 *	  HS256 JSON Web Tokens signed with the key of
 *	  authsessions.jwt_secret_file (jwt.c): making one, verifying one, and
 *	  the bearer JWT of the current PostgREST request.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_JWT_H
#define AUTHSESSIONS_JWT_H

#include "datatype/timestamp.h"

/* SQLSTATE PT401: PostgREST answers it with HTTP 401 */
#define ERRCODE_AUTHSESSIONS_UNAUTHORIZED	MAKE_SQLSTATE('P','T','4','0','1')

/* What a verified JWT says about the session it is bound to. */
typedef struct JwtClaims
{
	char	   *sub;			/* NULL when absent or not a string */
	bool		has_sid;
	int64		sid;
} JwtClaims;

extern void as_jwt_key_assign(const char *newval, void *extra);
extern char *as_jwt_sign(const char *payload);
extern const char *as_jwt_verify(const char *jwt, JwtClaims *claims);
extern char *as_jwt_bearer(void);

#endif							/* AUTHSESSIONS_JWT_H */
