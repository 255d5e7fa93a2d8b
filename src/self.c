/*-------------------------------------------------------------------------
 *
 * self.c
 *	  Requests that carry a session-bound JWT (issue_jwt's): check_request,
 *	  PostgREST's db-pre-request hook, which cuts such a JWT off as soon as
 *	  its session has ended, and the self-service functions of the JWT's
 *	  user: my_sessions, revoke_my_session, revoke_my_other_sessions, logout.
 *
 * Who calls is taken only from the bearer JWT that PostgREST copies into
 * request.headers, verified here with the key (jwt.c), never from
 * request.jwt.claims, which any SQL caller can set to anything.  A JWT with a
 * sid claim is good while that session is active and belongs to its sub:
 * one look-up by primary key (scan.c), with the latest snapshot, so a revoke
 * committed before the request is seen.  Failures raise PT401 (PostgREST
 * answers HTTP 401): err_SessionEnded for a JWT that fails verification or
 * whose session ended, err_NoSession when a self-service function gets no
 * session-bound JWT.
 *
 * The self-service writers end sessions through one function,
 * end_own_sessions, as the user: revoked_by is the JWT's sub (the UserGuid);
 * it announces each ended session (notify.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "args.h"
#include "compat.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "jsonout.h"
#include "jwt.h"
#include "miscadmin.h"
#include "notify.h"
#include "page.h"
#include "scan.h"
#include "session.h"
#include "store.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(authsessions_check_request);
PG_FUNCTION_INFO_V1(authsessions_my_sessions);
PG_FUNCTION_INFO_V1(authsessions_revoke_my_session);
PG_FUNCTION_INFO_V1(authsessions_revoke_my_other_sessions);
PG_FUNCTION_INFO_V1(authsessions_logout);

/* What the request's bearer JWT is bound to. */
typedef enum RequestSession
{
	REQUEST_NO_JWT,				/* no bearer JWT */
	REQUEST_NO_SID,				/* a verified JWT without sid */
	REQUEST_SESSION				/* a verified JWT of an active session */
} RequestSession;

/* Raise PT401 err_SessionEnded, saying why. */
static pg_noreturn void
session_ended(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHSESSIONS_UNAUTHORIZED),
			 errmsg("err_SessionEnded"),
			 errdetail_internal("%s", detail),
			 errhint("Sign in again for a new session and JWT.")));
}

/*
 * The session of the request's bearer JWT into *row: REQUEST_SESSION when
 * the JWT verifies and its sid is an active session of its sub,
 * REQUEST_NO_JWT or REQUEST_NO_SID when there is no JWT or it has no sid
 * (PostgREST has verified those itself); PT401 err_SessionEnded otherwise.
 */
static RequestSession
request_session(SessionRow *row)
{
	char	   *jwt = as_jwt_bearer();
	JwtClaims	claims;
	const char *why;

	if (jwt == NULL)
		return REQUEST_NO_JWT;
	why = as_jwt_verify(jwt, &claims);
	if (why != NULL)
		session_ended(why);
	if (!claims.has_sid)
		return REQUEST_NO_SID;
	if (!as_scan_session_by_id(claims.sid, row))
		session_ended("The session of this JWT was revoked, was ended or has expired.");
	if (claims.sub == NULL || pg_strcasecmp(claims.sub, row->guid) != 0)
		session_ended("The JWT's sub is not the user of its session.");
	return REQUEST_SESSION;
}

/*
 * The caller's session, for the self-service functions: as
 * request_session, and PT401 err_NoSession without a session-bound JWT.
 */
static void
self_session(SessionRow *me)
{
	if (request_session(me) != REQUEST_SESSION)
		ereport(ERROR,
				(errcode(ERRCODE_AUTHSESSIONS_UNAUTHORIZED),
				 errmsg("err_NoSession"),
				 errdetail("The request carries no JWT bound to a session."),
				 errhint("Send the JWT that authsessions.issue_jwt made as \"Authorization: Bearer ...\".")));
}

/*
 * End sessions of the caller's user me, as the user (revoked_by: the
 * UserGuid, revoked_by_role: the role in effect): the session id alone when
 * it is the user's (others false), or every active session of the user but
 * id (others true).  The one path by which the self-service functions end
 * sessions; each ended session is announced with reason (notify.c).
 * Returns how many it ended.  Locks the user row first, then the sessions
 * (store.c's order).
 */
static int64
end_own_sessions(const SessionRow *me, int64 id, bool others,
				 NotifyReason reason)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		guid = DirectFunctionCall1(uuid_in, CStringGetDatum(me->guid));
	Datum		args[5];
	int64	   *ended_ids;
	int64		ended;
	int64		i;

	as_store_connect();
	if (!others)
	{
		args[0] = Int64GetDatum(id);
		args[1] = CStringGetTextDatum(me->guid);
		args[2] = CStringGetTextDatum(as_args_role_name());
		args[3] = Int32GetDatum(me->user_id);
		args[4] = CStringGetTextDatum(as_notify_reason_name(reason));
		/* one row (the session's id and its user's guid) when it ended it */
		ended = as_store_exec(Q_REVOKE_OWN, args, NULL, false, 0);
		ended_ids = MemoryContextAlloc(caller, sizeof(int64));
		ended_ids[0] = id;
	}
	else
	{
		args[0] = Int32GetDatum(me->user_id);
		args[1] = Int64GetDatum(id);
		args[2] = CStringGetTextDatum(me->guid);
		args[3] = CStringGetTextDatum(as_args_role_name());
		/* the user row first (a user deleted meanwhile has no session left) */
		(void) as_store_exec(Q_LOCK_REPAIR_USER, args, NULL, false, 0);
		ended = as_store_exec(Q_REVOKE_OTHERS, args, NULL, false, 0);
		ended_ids = MemoryContextAlloc(caller, sizeof(int64) * Max(ended, 1));
		for (i = 0; i < ended; i++)
		{
			bool		isnull;

			ended_ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
													   SPI_tuptable->tupdesc,
													   1, &isnull));
			if (isnull)
				elog(ERROR, "authsessions: session without an id");
		}
		if (ended > 0)
			(void) as_store_exec(Q_RECOMPUTE_SUMMARY, args, NULL, false, 0);
	}

	/* the statements succeeded: announce each session, before finishing */
	for (i = 0; i < ended; i++)
		as_notify_session_ended(ended_ids[i], guid, reason);
	as_store_finish();
	return ended;
}

/*
 * authsessions.check_request(): PostgREST's db-pre-request hook.  Returns
 * nothing when the request has no bearer JWT, a JWT without sid (service and
 * admin tokens; PostgREST verified them), or a JWT whose sid is an active
 * session of its sub.  Raises PT401 err_SessionEnded when the JWT fails
 * verification with the key (signature, alg, exp, nbf, aud) or its session
 * is revoked, ended, expired or another user's; 55000 without the key.
 */
Datum
authsessions_check_request(PG_FUNCTION_ARGS)
{
	SessionRow	row;

	(void) request_session(&row);
	PG_RETURN_VOID();
}

/*
 * my_sessions' rows: the caller's session into state (a SessionRow; PT401
 * without a session-bound JWT), then all of its user's active sessions
 * (scan.c).
 */
static int
scan_my_sessions(FunctionCallInfo fcinfo, void *state, const void **rows)
{
	SessionRow *me = state;
	SessionRow *sessions;
	int			n;

	self_session(me);
	n = as_scan_user_sessions(DirectFunctionCall1(uuid_in,
												  CStringGetDatum(me->guid)),
							  &sessions);
	*rows = sessions;
	return n;
}

/* One element of my_sessions: the session object with "Current" (session.c). */
static void
my_session_element(JsonOut *out, const void *rows, int64 i, void *state)
{
	const SessionRow *row = &((const SessionRow *) rows)[i];
	const SessionRow *me = state;

	as_session_json_current(out, row, row->id == me->id);
}

/*
 * authsessions.my_sessions(page, page_size): the active sessions of the
 * JWT's user, as user_sessions shows them plus "Current" (true for the
 * JWT's sid), newest LastUpdated first.  PT401 without a session-bound JWT.
 */
Datum
authsessions_my_sessions(PG_FUNCTION_ARGS)
{
	SessionRow	me;

	PG_RETURN_JSONB_P(as_page_json(fcinfo, 0, "my_sessions",
								   scan_my_sessions, my_session_element, &me));
}

/*
 * authsessions.revoke_my_session("Session"): revoke one active session of
 * the JWT's user.  {"Success": true}; PT404 err_NoActiveSession, as revoke
 * answers, when no active session of this user has that ID (another user's
 * included, so an ID reveals nothing).  22004 for a NULL Session.
 */
Datum
authsessions_revoke_my_session(PG_FUNCTION_ARGS)
{
	SessionRow	me;

	PreventCommandIfReadOnly("authsessions.revoke_my_session()");
	as_args_required(fcinfo, 0, "Session");
	self_session(&me);
	if (end_own_sessions(&me, PG_GETARG_INT64(0), false,
						 NOTIFY_REASON_REVOKED) == 0)
		as_session_no_active("session ID");
	PG_RETURN_JSONB_P(as_session_success(true));
}

/*
 * authsessions.revoke_my_other_sessions(): revoke every active session of
 * the JWT's user but the JWT's own.  {"Revoked": n}.
 */
Datum
authsessions_revoke_my_other_sessions(PG_FUNCTION_ARGS)
{
	SessionRow	me;
	int64		ended;

	PreventCommandIfReadOnly("authsessions.revoke_my_other_sessions()");
	self_session(&me);
	ended = end_own_sessions(&me, me.id, true, NOTIFY_REASON_REVOKED);
	PG_RETURN_JSONB_P(as_session_revoked(ended));
}

/*
 * authsessions.logout(): end the JWT's session (its JWTs are cut off from
 * the next request).  {"Success": true}, or {"Success": false} when a
 * concurrent revoke ended it first.
 */
Datum
authsessions_logout(PG_FUNCTION_ARGS)
{
	SessionRow	me;
	int64		ended;

	PreventCommandIfReadOnly("authsessions.logout()");
	self_session(&me);
	ended = end_own_sessions(&me, me.id, false, NOTIFY_REASON_LOGOUT);
	PG_RETURN_JSONB_P(as_session_success(ended == 1));
}
