/*-------------------------------------------------------------------------
 *
 * admin.c
 *	  The admin API: list, user_sessions, ended_sessions, revoke and
 *	  revoke_user.
 *
 * The readers build their whole jsonb result inside a memory context of
 * their own and copy only the finished value out, so what one call
 * allocates is freed when it returns; user_sessions and ended_sessions page
 * through page.c, which does that for them.  list, user_sessions and
 * ended_sessions read by index scans (scan.c); revoke and revoke_user write
 * with prepared statements (store.c) and announce the sessions they end
 * (notify.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "args.h"
#include "fmgr.h"
#include "http.h"
#include "jsonout.h"
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

PG_FUNCTION_INFO_V1(authsessions_list);
PG_FUNCTION_INFO_V1(authsessions_user_sessions);
PG_FUNCTION_INFO_V1(authsessions_ended_sessions);
PG_FUNCTION_INFO_V1(authsessions_revoke);
PG_FUNCTION_INFO_V1(authsessions_revoke_user);

/* The keys of list's objects, in jsonb's order (shorter first, then bytewise) */
static const char *const list_key_names[] = {
	"UserGuid", "UserName", "IsOperator", "SessionCount"
};
static JsonKeys list_keys = JSON_KEYS(list_key_names);

/* The keys of ended_sessions' objects, in jsonb's order */
static const char *const ended_key_names[] = {
	"ID", "EndedAt", "EndedBy", "EndReason"
};
static JsonKeys ended_keys = JSON_KEYS(ended_key_names);

/*
 * authsessions.list(page, page_size, after): the users with at least one
 * active session, ordered by UserName then UserGuid.  NULL page or page_size
 * means the default; NULL after means no cursor.  after is keyset paging,
 * valid only with page 1, and must name a known user.  Reads by direct
 * index scans (scan.c): the cost is the users walked, one users row each
 * (the session count comes from users.session_expiries, no session is
 * read).  With Prefer: count=exact (http.c) it walks the whole set to count
 * it for Content-Range.
 */
Datum
authsessions_list(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext callcxt;
	int32		page = as_args_page(fcinfo, 0);
	int32		page_size = as_args_page_size(fcinfo, 1);
	bool		has_after = !PG_ARGISNULL(2);
	bool		wants_count = as_http_wants_count();
	text	   *cursor_name = NULL;
	pg_uuid_t  *cursor_guid = NULL;
	ListRow    *rows;
	int64		first;
	int64		total;
	JsonOut		out = {0};
	Jsonb	   *result;
	int			n;
	int			i;

	if (has_after && page > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"after\" cannot be combined with a page above 1"),
				 errhint("Use either keyset paging (after) or page numbers (page), not both.")));

	/* everything but the result lives in a context of this call */
	callcxt = AllocSetContextCreate(CurrentMemoryContext,
									"authsessions list",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(callcxt);

	if (has_after)
	{
		cursor_guid = PG_GETARG_UUID_P(2);
		cursor_name = as_scan_user_name(PG_GETARG_DATUM(2));
		if (cursor_name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument \"after\" does not name a known user"),
					 errdetail("No user has the UserGuid %s.",
							   DatumGetCString(DirectFunctionCall1(uuid_out,
																   PG_GETARG_DATUM(2)))),
					 errhint("Pass the UserGuid of the last user of the previous page.")));
	}

	/* direct index scans over the listed users (scan.c) */
	n = as_scan_list(cursor_name, cursor_guid,
					 as_args_page_offset(page, page_size),
					 page_size, wants_count, &rows, &first, &total);

	as_json_begin_array(&out);
	for (i = 0; i < n; i++)
	{
		as_json_begin_object(&out, &list_keys);
		as_json_string(&out, rows[i].guid);
		as_json_string(&out, rows[i].name);
		as_json_bool(&out, rows[i].is_operator);
		as_json_int(&out, rows[i].session_count);
		as_json_end_object(&out);
	}
	as_json_end_array(&out);

	if (wants_count)
		as_http_set_range(first, n, total);

	MemoryContextSwitchTo(caller);
	result = as_json_finish(&out);
	MemoryContextDelete(callcxt);
	PG_RETURN_JSONB_P(result);
}

/* user_sessions' rows: all of the user's active sessions (scan.c). */
static int
scan_user_sessions(FunctionCallInfo fcinfo, void *state, const void **rows)
{
	SessionRow *sessions;
	int			n = as_scan_user_sessions(PG_GETARG_DATUM(0), &sessions);

	*rows = sessions;
	return n;
}

/* One element of user_sessions: the session object (session.c). */
static void
user_session_element(JsonOut *out, const void *rows, int64 i, void *state)
{
	as_session_json(out, &((const SessionRow *) rows)[i]);
}

/*
 * authsessions.user_sessions(guid, page, page_size): one user's active
 * sessions, newest LastUpdated first (then highest ID).  A NULL guid raises
 * 22004; NULL page or page_size means the default; an unknown user gives [].
 * Reads the user row and the user's sessions through their index (scan.c),
 * at a cost in proportion to the user's sessions not yet purged; with
 * Prefer: count=exact (http.c) it also reports them in Content-Range.
 */
Datum
authsessions_user_sessions(PG_FUNCTION_ARGS)
{
	as_args_required(fcinfo, 0, "guid");
	PG_RETURN_JSONB_P(as_page_json(fcinfo, 1, "user_sessions",
								   scan_user_sessions, user_session_element,
								   NULL));
}

/* ended_sessions' rows: all of the user's ended sessions (scan.c). */
static int
scan_ended_sessions(FunctionCallInfo fcinfo, void *state, const void **rows)
{
	EndedRow   *ended;
	int			n = as_scan_ended_sessions(PG_GETARG_DATUM(0), &ended);

	*rows = ended;
	return n;
}

/* One element of ended_sessions: {"ID", "EndedAt", "EndedBy", "EndReason"}. */
static void
ended_session_element(JsonOut *out, const void *rows, int64 i, void *state)
{
	const EndedRow *row = &((const EndedRow *) rows)[i];

	as_json_begin_object(out, &ended_keys);
	as_json_int(out, row->id);
	as_json_timestamp(out, row->ended_at);
	as_json_string_or_null(out, row->ended_by);
	as_json_string_or_null(out, row->end_reason);
	as_json_end_object(out);
}

/*
 * authsessions.ended_sessions(guid, page, page_size): one user's ended
 * sessions not yet purged, latest EndedAt first (then highest ID), with who
 * ended each and why: revoked_at, revoked_by and end_reason, or for a
 * session that expired its expiry and two nulls.  Arguments, paging, errors
 * and Content-Range as user_sessions; an unknown user gives [].
 */
Datum
authsessions_ended_sessions(PG_FUNCTION_ARGS)
{
	as_args_required(fcinfo, 0, "guid");
	PG_RETURN_JSONB_P(as_page_json(fcinfo, 1, "ended_sessions",
								   scan_ended_sessions, ended_session_element,
								   NULL));
}

/*
 * authsessions.revoke("Session"): revoke one active session, in one guarded
 * UPDATE (of two concurrent revokes exactly one succeeds; constraints,
 * triggers and policies on the tables apply).  A NULL Session raises 22004;
 * no active session with that ID raises PT404 err_NoActiveSession.
 */
Datum
authsessions_revoke(PG_FUNCTION_ARGS)
{
	Datum		args[3];
	bool		ended;

	PreventCommandIfReadOnly("authsessions.revoke()");
	as_args_required(fcinfo, 0, "Session");

	args[0] = PG_GETARG_DATUM(0);
	args[1] = CStringGetTextDatum(as_args_actor());
	args[2] = CStringGetTextDatum(as_args_role_name());
	as_store_connect();
	ended = as_store_exec(Q_REVOKE, args, NULL, false, 0) == 1;
	if (ended)
		as_notify_session_ended(DatumGetInt64(args[0]),
								as_store_value(0, 2),
								NOTIFY_REASON_REVOKED);
	as_store_finish();
	if (!ended)
		as_session_no_active("session ID");

	PG_RETURN_JSONB_P(as_session_success(true));
}

/*
 * authsessions.revoke_user("UserGuid"): revoke every active session of one
 * user and return {"Revoked": n}.  The user row is locked first (waiting for
 * the user's logins, revokes and logouts), then its active sessions are
 * ended and its summary recomputed in statements of their own, whose
 * snapshot sees every session created before the lock: a login that
 * committed before is revoked, one that waited for the lock stays.  A NULL
 * UserGuid raises 22004; no active session (also an unknown user) raises
 * PT404 err_NoActiveSession.
 */
Datum
authsessions_revoke_user(PG_FUNCTION_ARGS)
{
	Datum		guid;
	Datum		args[3];
	int			n = 0;
	int			i;

	PreventCommandIfReadOnly("authsessions.revoke_user()");
	as_args_required(fcinfo, 0, "UserGuid");

	guid = PG_GETARG_DATUM(0);
	as_store_connect();
	if (as_store_exec(Q_LOCK_USER, &guid, NULL, false, 0) == 1)
	{
		args[0] = as_store_value(0, 1);
		args[1] = CStringGetTextDatum(as_args_actor());
		args[2] = CStringGetTextDatum(as_args_role_name());
		n = as_store_exec(Q_REVOKE_USER, args, NULL, false, 0);
		for (i = 0; i < n; i++)
			as_notify_session_ended(DatumGetInt64(as_store_value(i, 1)), guid,
									NOTIFY_REASON_REVOKED);
		if (n > 0)
			as_store_exec(Q_RECOMPUTE_SUMMARY, args, NULL, false, 0);
	}
	as_store_finish();
	if (n == 0)
		as_session_no_active("UserGuid");

	PG_RETURN_JSONB_P(as_session_revoked(n));
}
