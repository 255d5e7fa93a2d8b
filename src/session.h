/*-------------------------------------------------------------------------
 *
 * session.h
 *	  The objects of the documented API that the lifecycle (session.c)
 *	  shares with the user and admin functions: the session object, the
 *	  {"Success": ...} and {"Revoked": n} results, the SQLSTATE of
 *	  err_*NotFound, and err_NoActiveSession itself.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_SESSION_H
#define AUTHSESSIONS_SESSION_H

#include "compat.h"
#include "jsonout.h"
#include "scan.h"
#include "utils/jsonb.h"

/* SQLSTATE PT404: PostgREST answers it with HTTP 404 */
#define ERRCODE_AUTHSESSIONS_NOT_FOUND	MAKE_SQLSTATE('P','T','4','0','4')

extern void as_session_json(JsonOut *out, const SessionRow *row);
extern void as_session_json_current(JsonOut *out, const SessionRow *row,
									bool current);
extern Jsonb *as_session_success(bool success);
extern Jsonb *as_session_revoked(int64 n);
extern pg_noreturn void as_session_no_active(const char *what);
extern TimestampTz as_session_expiry_bound(TimestampTz created_at,
										   TimestampTz max_expires_at);

#endif							/* AUTHSESSIONS_SESSION_H */
