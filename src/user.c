/*-------------------------------------------------------------------------
 *
 * user.c
 *	  The users, for the application backend: upsert_user and delete_user.
 *
 * Both refuse a read-only transaction with 25006 before doing anything else.
 * A user row is written before the user's session rows, the order of every
 * writer (store.c): upsert_user updates the row, then the copies of its name
 * and is_operator that its active sessions keep, in the same transaction;
 * delete_user deletes the row, whose cascade deletes the sessions (and,
 * with authsessions.notify_channel set, announces the active ones first).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "args.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "notify.h"
#include "session.h"
#include "store.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(authsessions_upsert_user);
PG_FUNCTION_INFO_V1(authsessions_delete_user);

/* length limit of a user's name, in characters */
#define AUTHSESSIONS_MAX_NAME		256

/*
 * authsessions.upsert_user(guid, name, is_operator): create or update a user
 * and return its UserID.  guid and name are required (22004); a NULL
 * is_operator keeps the current value (false for a new user).  Concurrent
 * calls for one new guid make one user (INSERT ... ON CONFLICT).  A rename
 * or a change of is_operator also rewrites the copies the user's active
 * sessions keep of them (sessions.user_name, user_is_operator), in this
 * transaction.
 */
Datum
authsessions_upsert_user(PG_FUNCTION_ARGS)
{
	Datum		args[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	Datum		id;
	bool		changed;

	PreventCommandIfReadOnly("authsessions.upsert_user()");
	as_args_required(fcinfo, 0, "guid");
	as_args_required(fcinfo, 1, "name");
	as_args_text(fcinfo, 1, "name", AUTHSESSIONS_MAX_NAME);
	if (VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"name\" must not be empty")));

	args[0] = PG_GETARG_DATUM(0);
	args[1] = PG_GETARG_DATUM(1);
	if (PG_ARGISNULL(2))
	{
		args[2] = (Datum) 0;
		nulls[2] = 'n';
	}
	else
		args[2] = PG_GETARG_DATUM(2);

	/*
	 * Update first: INSERT ... ON CONFLICT draws an identity value even when
	 * the user exists, and logins would exhaust the int4 ids.  The insert,
	 * for a new user, still resolves a concurrent insert of the same guid.
	 */
	as_store_connect();

	/* the user row first, then its sessions: the order of store.c */
	if (as_store_exec(Q_UPDATE_USER, args, nulls, false, 0) == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 2, &isnull);

		changed = !isnull && DatumGetBool(d);
	}
	else if (as_store_exec(Q_UPSERT_USER, args, nulls, false, 0) == 1)
	{
		/* new, or inserted concurrently and then updated here */
		changed = true;
	}
	else
		elog(ERROR, "authsessions: upsert of a user returned no row");
	id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "authsessions: user without an id");

	/* the active sessions' copies, with a snapshot taken under the row lock */
	if (changed)
		as_store_exec(Q_SYNC_USER_SESSIONS, &id, NULL, false, 0);
	as_store_finish();

	PG_RETURN_INT32(DatumGetInt32(id));
}

/*
 * authsessions.delete_user(guid): delete a user and, by ON DELETE CASCADE,
 * all of their sessions, announcing each active one (notify.c).  A NULL
 * guid raises 22004.
 */
Datum
authsessions_delete_user(PG_FUNCTION_ARGS)
{
	Datum		args[1];
	int			n;

	PreventCommandIfReadOnly("authsessions.delete_user()");
	as_args_required(fcinfo, 0, "guid");

	args[0] = PG_GETARG_DATUM(0);
	as_store_connect();

	/*
	 * With a channel, one notification per active session the cascade is
	 * about to delete: the user row is locked first, as the DELETE locks it,
	 * so the next statement's snapshot sees every session created before and
	 * none can start or end until we commit.
	 */
	if (as_notify_enabled() &&
		as_store_exec(Q_LOCK_DELETE_USER, args, NULL, false, 0) == 1)
	{
		Datum		user_id = as_store_value(0, 1);
		int			active = as_store_exec(Q_ACTIVE_SESSION_IDS, &user_id,
										   NULL, false, 0);
		int			i;

		for (i = 0; i < active; i++)
			as_notify_session_ended(DatumGetInt64(as_store_value(i, 1)),
									args[0], NOTIFY_REASON_USER_DELETED);
	}

	/* the user row, then (cascade) its sessions: the order of store.c */
	n = as_store_exec(Q_DELETE_USER, args, NULL, false, 0);
	as_store_finish();

	PG_RETURN_JSONB_P(as_session_success(n > 0));
}
