/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *	  The session lifecycle, for the application backend: upsert_user,
 *	  delete_user, create_session, validate, end_session and purge.
 *
 * Writers refuse a read-only transaction with 25006 before doing anything
 * else.  validate never raises for a token: a NULL, malformed or unknown
 * token is simply not valid, so no token reaches the server log through an
 * error message.  Its touch (the sliding expiry) is skipped whenever it could
 * wait or fail: in a read-only transaction (GET through PostgREST, a hot
 * standby), under REPEATABLE READ or SERIALIZABLE, and when another
 * transaction holds the session row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "authsessions.h"

PG_FUNCTION_INFO_V1(authsessions_upsert_user);
PG_FUNCTION_INFO_V1(authsessions_delete_user);
PG_FUNCTION_INFO_V1(authsessions_create_session);
PG_FUNCTION_INFO_V1(authsessions_validate);
PG_FUNCTION_INFO_V1(authsessions_end_session);
PG_FUNCTION_INFO_V1(authsessions_purge);

#define DEFAULT_PURGE_AGE	(7 * SECS_PER_DAY)
#define DEFAULT_PURGE_BATCH 10000
#define MAX_PURGE_BATCH		1000000

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
	check_required_arg(fcinfo, 0, "guid");
	check_required_arg(fcinfo, 1, "name");
	check_text_arg(fcinfo, 1, "name", AUTHSESSIONS_MAX_NAME);
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
	store_connect();

	/* the user row first, then its sessions: the order of store.c */
	if (store_exec(Q_UPDATE_USER, args, nulls, false, 0) == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 2, &isnull);

		changed = !isnull && DatumGetBool(d);
	}
	else if (store_exec(Q_UPSERT_USER, args, nulls, false, 0) == 1)
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
		store_exec(Q_SYNC_USER_SESSIONS, &id, NULL, false, 0);
	store_finish();

	PG_RETURN_INT32(DatumGetInt32(id));
}

/*
 * authsessions.delete_user(guid): delete a user and, by ON DELETE CASCADE,
 * all of their sessions.  A NULL guid raises 22004.
 */
Datum
authsessions_delete_user(PG_FUNCTION_ARGS)
{
	Datum		args[1];
	int			n;

	PreventCommandIfReadOnly("authsessions.delete_user()");
	check_required_arg(fcinfo, 0, "guid");

	args[0] = PG_GETARG_DATUM(0);
	store_connect();
	/* the user row, then (cascade) its sessions: the order of store.c */
	n = store_exec(Q_DELETE_USER, args, NULL, false, 0);
	store_finish();

	PG_RETURN_JSONB_P(json_success(n > 0));
}

/*
 * The idle timeout of a new session, in seconds: the ttl argument, or
 * authsessions.idle_timeout when it is NULL; positive and at most
 * authsessions.max_ttl.
 */
static int32
session_ttl(FunctionCallInfo fcinfo, int argno)
{
	int64		secs;

	if (PG_ARGISNULL(argno))
	{
		if (authsessions_idle_timeout > authsessions_max_ttl)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("authsessions.idle_timeout (%d s) exceeds authsessions.max_ttl (%d s)",
							authsessions_idle_timeout, authsessions_max_ttl),
					 errhint("Lower authsessions.idle_timeout or raise authsessions.max_ttl.")));
		return authsessions_idle_timeout;
	}

	secs = interval_to_seconds(PG_GETARG_INTERVAL_P(argno), "ttl");
	if (secs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"ttl\" must be positive")));
	if (secs > authsessions_max_ttl)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"ttl\" must be at most %d seconds",
						authsessions_max_ttl),
				 errhint("The upper bound is the setting authsessions.max_ttl.")));
	return (int32) secs;
}

/* Raise PT404 err_UserNotFound for the user_guid guid. */
static void
report_user_not_found(Datum guid)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHSESSIONS_NOT_FOUND),
			 errmsg("err_UserNotFound"),
			 errdetail("No user has the UserGuid %s.",
					   DatumGetCString(DirectFunctionCall1(uuid_out, guid)))));
}

/*
 * authsessions.max_sessions_per_user for a login of the user with that
 * guid, before its session is created (inside store_connect): lock the user
 * row (waiting for the user's other writers, so concurrent logins of one
 * user count one after another), count its active sessions with a snapshot
 * taken under the lock, and when n >= cap either end the n - cap + 1 least
 * recently used (evict_oldest) or refuse with PT429 (refuse).  Returns
 * false for an unknown user.
 */
static bool
enforce_session_cap(Datum guid)
{
	Datum		args[3];
	bool		isnull;
	int32		user_id;
	int64		active;

	if (store_exec(Q_LOCK_USER, &guid, NULL, false, 0) != 1)
		return false;
	user_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	args[0] = Int32GetDatum(user_id);
	if (store_exec(Q_COUNT_ACTIVE, args, NULL, false, 0) != 1)
		elog(ERROR, "authsessions: count of active sessions returned no row");
	active = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										 SPI_tuptable->tupdesc, 1, &isnull));
	if (active < authsessions_max_sessions_per_user)
		return true;

	if (authsessions_session_limit_action == SESSION_LIMIT_REFUSE)
		ereport(ERROR,
				(errcode(ERRCODE_AUTHSESSIONS_TOO_MANY),
				 errmsg("err_TooManySessions"),
				 errdetail("The user has %lld active sessions; authsessions.max_sessions_per_user is %d.",
						   (long long) active,
						   authsessions_max_sessions_per_user),
				 errhint("End a session of the user first (revoke or end_session).")));

	args[1] = Int64GetDatum(active - authsessions_max_sessions_per_user + 1);
	args[2] = CStringGetTextDatum(current_role_name());
	store_exec(Q_EVICT, args, NULL, false, 0);
	store_exec(Q_RECOMPUTE_SUMMARY, args, NULL, false, 0);
	return true;
}

/*
 * authsessions.create_session(user_guid, smartphone, operating_system,
 * application, ttl, user_agent, ip): open a session and return
 * {"ID", "Token", "ExpirationDate"}.  The token is returned here only; its
 * hash is stored.  user_guid is required (22004); the other arguments may be
 * NULL (ttl then means authsessions.idle_timeout).  An unknown user, also one
 * deleted concurrently, raises PT404 err_UserNotFound.
 */
Datum
authsessions_create_session(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	static const struct
	{
		int			argno;
		const char *name;
		int			maxchars;
	}			fields[] = {
		{1, "smartphone", AUTHSESSIONS_MAX_DEVICE},
		{2, "operating_system", AUTHSESSIONS_MAX_DEVICE},
		{3, "application", AUTHSESSIONS_MAX_DEVICE},
		{5, "user_agent", AUTHSESSIONS_MAX_USER_AGENT},
	};
	Datum		args[9];
	char		nulls[9];
	int32		ttl;
	TimestampTz expires_at;
	uint8		secret[AUTHSESSIONS_SECRET_BYTES];
	uint8		hash[AUTHSESSIONS_HASH_BYTES];
	static const char *const login_key_names[] = {"ID", "Token", "ExpirationDate"};
	static JsonKeys login_keys = JSON_KEYS(login_key_names);
	char	   *token;
	Datum		id;
	Datum		locator;
	bool		isnull;
	bool		locator_isnull;
	JsonOut		out = {0};
	Jsonb	   *result;
	size_t		i;

	PreventCommandIfReadOnly("authsessions.create_session()");
	check_required_arg(fcinfo, 0, "user_guid");
	for (i = 0; i < lengthof(fields); i++)
		check_text_arg(fcinfo, fields[i].argno, fields[i].name,
					   fields[i].maxchars);
	ttl = session_ttl(fcinfo, 4);
	expires_at = GetCurrentTransactionStartTimestamp() +
		(TimestampTz) ttl * USECS_PER_SEC;

	token_new_secret(secret, hash);

	memset(nulls, ' ', sizeof(nulls));
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PointerGetDatum(hash_to_bytea(hash));
	args[2] = TimestampTzGetDatum(expires_at);
	args[3] = Int32GetDatum(ttl);
	for (i = 0; i < lengthof(fields); i++)
	{
		int			argno = fields[i].argno;

		args[4 + i] = PG_ARGISNULL(argno) ? (Datum) 0 : PG_GETARG_DATUM(argno);
		nulls[4 + i] = PG_ARGISNULL(argno) ? 'n' : ' ';
	}
	args[8] = PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6);
	nulls[8] = PG_ARGISNULL(6) ? 'n' : ' ';

	/*
	 * One statement (Q_CREATE_SESSION) updates the user row first (listed,
	 * and the new expiry appended to session_expiries), which locks it until
	 * commit, then inserts the session: a concurrent delete_user then waits
	 * for us and cascades to the new session, or has already removed the
	 * user (no row) and we report it; purge cannot recompute the summary or
	 * unlist the user under us.  With a cap, the user row is locked and its
	 * sessions counted first (enforce_session_cap).
	 */
	store_connect();
	if (authsessions_max_sessions_per_user > 0 &&
		!enforce_session_cap(PG_GETARG_DATUM(0)))
		report_user_not_found(PG_GETARG_DATUM(0));
	if (store_exec(Q_CREATE_SESSION, args, nulls, false, 0) != 1)
		report_user_not_found(PG_GETARG_DATUM(0));
	id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	locator = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2,
							&locator_isnull);
	if (isnull || locator_isnull)
		elog(ERROR, "authsessions: session without an id or a row pointer");

	/*
	 * The token carries where the new row is (a new row starts its HOT
	 * chain there): validate looks there first.
	 */
	token = token_encode(secret, (ItemPointer) DatumGetPointer(locator));
	explicit_bzero(secret, sizeof(secret));

	/* the token is written into out's buffer too: wiped below */
	json_begin_object(&out, &login_keys);
	json_int(&out, DatumGetInt64(id));
	json_string(&out, token);
	json_timestamp(&out, expires_at);
	json_end_object(&out);

	MemoryContextSwitchTo(caller);
	result = json_finish(&out);
	explicit_bzero(token, AUTHSESSIONS_TOKEN_CHARS);
	explicit_bzero(out.buf.data, out.buf.len);
	store_finish();

	PG_RETURN_JSONB_P(result);
}

/* May validate slide an expiry in this transaction without waiting or failing? */
static bool
touch_allowed(void)
{
	return !XactReadOnly && !IsolationUsesXactSnapshot() &&
		!RecoveryInProgress();
}

/*
 * authsessions.validate(token): the session of an active token as one
 * user_sessions element, otherwise NULL (NULL, empty and malformed tokens
 * included: never an error).  Slides the expiry once least(touch_interval,
 * idle_timeout / 2) has passed since LastUpdated, never backwards, and only
 * when touch_allowed() and neither the session nor its user row is locked
 * by another transaction: validate never waits, and a touch it cannot make
 * is made by the next call (nothing of it is written).  The function is SECURITY
 * INVOKER: it reads through scan.c, which needs no rights and resolves no
 * name, and runs the touch as its owner with store_as_owner().
 */
Datum
authsessions_validate(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext callcxt;
	uint8		hash[AUTHSESSIONS_HASH_BYTES];
	SessionRow	row;
	ItemPointerData locator;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz due;
	TimestampTz new_expiry;
	JsonOut		out = {0};
	Jsonb	   *result;

	if (PG_ARGISNULL(0) || !token_parse(PG_GETARG_TEXT_PP(0), hash, &locator))
		PG_RETURN_NULL();

	/* everything but the result lives in a context of this call */
	callcxt = AllocSetContextCreate(CurrentMemoryContext,
									"authsessions validate",
									ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(callcxt);

	/* the row at the token's locator, else by hash, latest snapshot (scan.c) */
	if (!scan_session_by_token(hash, &locator, &row))
	{
		MemoryContextSwitchTo(caller);
		MemoryContextDelete(callcxt);
		PG_RETURN_NULL();
	}

	/*
	 * A touch is due once least(touch_interval, half the idle timeout) has
	 * passed: a session validated more often than that never expires, even
	 * one whose idle timeout is below touch_interval.
	 */
	due = now - Min((TimestampTz) authsessions_touch_interval * USECS_PER_SEC,
					(TimestampTz) row.idle_timeout * USECS_PER_SEC / 2);
	new_expiry = now + (TimestampTz) row.idle_timeout * USECS_PER_SEC;
	if (touch_allowed() && row.last_updated <= due && new_expiry > row.expires_at)
	{
		Datum		args[4];
		StoreOwner	caller_id;

		args[0] = Int64GetDatum(row.id);
		args[1] = TimestampTzGetDatum(new_expiry);
		args[2] = TimestampTzGetDatum(due);
		args[3] = Int32GetDatum(row.user_id);

		/* validate is SECURITY INVOKER: only the touch needs the owner */
		store_as_owner(fcinfo->flinfo->fn_oid, &caller_id);
		store_connect();

		/*
		 * The session and its user's session_expiries change together; no
		 * row: the session or the user row is locked by another
		 * transaction, or the session just ended: no touch.
		 */
		if (store_exec(Q_TOUCH, args, NULL, false, 0) == 1)
		{
			row.last_updated = now;
			row.expires_at = new_expiry;
		}
		store_finish();
		store_as_caller(&caller_id);
	}

	json_session(&out, &row);

	MemoryContextSwitchTo(caller);
	result = json_finish(&out);
	MemoryContextDelete(callcxt);
	PG_RETURN_JSONB_P(result);
}

/*
 * authsessions.end_session(token): log out.  {"Success": true} when it ended
 * an active session, {"Success": false} otherwise (malformed, unknown or
 * already ended tokens: never an error about the token).  A NULL token
 * raises 22004.
 */
Datum
authsessions_end_session(PG_FUNCTION_ARGS)
{
	uint8		hash[AUTHSESSIONS_HASH_BYTES];
	ItemPointerData locator;
	Datum		args[3];
	bool		ended;

	PreventCommandIfReadOnly("authsessions.end_session()");
	check_required_arg(fcinfo, 0, "token");

	if (!token_parse(PG_GETARG_TEXT_PP(0), hash, &locator))
		PG_RETURN_JSONB_P(json_success(false));

	/* by hash: the locator is only a hint for the reads */
	args[0] = PointerGetDatum(hash_to_bytea(hash));
	args[1] = CStringGetTextDatum(current_actor());
	args[2] = CStringGetTextDatum(current_role_name());
	store_connect();
	ended = store_exec(Q_END_SESSION, args, NULL, false, 0) == 1;
	store_finish();
	PG_RETURN_JSONB_P(json_success(ended));
}

/* The int4[] datum's elements appended to the list ids. */
static List *
append_user_ids(List *ids, Datum arr)
{
	ArrayType  *a = DatumGetArrayTypeP(arr);
	Datum	   *elems;
	bool	   *elemnulls;
	int			nelems;
	int			i;

	if (ARR_ELEMTYPE(a) != INT4OID)
		elog(ERROR, "authsessions: unexpected array of user ids");
	deconstruct_array(a, INT4OID, sizeof(int32), true, TYPALIGN_INT,
					  &elems, &elemnulls, &nelems);
	for (i = 0; i < nelems; i++)
	{
		if (elemnulls[i])
			elog(ERROR, "authsessions: user without an id");
		ids = lappend_int(ids, DatumGetInt32(elems[i]));
	}
	return ids;
}

/*
 * authsessions.purge(older_than, batch): delete up to batch sessions that
 * ended (expired, revoked or logged out) more than older_than ago, then
 * recompute the summary (session_expiries, listed) of the users whose
 * sessions it deleted and of up to batch listed users left with no active
 * session, which it unlists.  NULL arguments mean their defaults.  Returns
 * the number of sessions deleted.
 */
Datum
authsessions_purge(PG_FUNCTION_ARGS)
{
	int64		age;
	int32		batch;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz cutoff;
	Datum		args[2];
	int64		deleted;
	int			ncandidates;
	List	   *users = NIL;
	ListCell   *lc;
	int32		previous = 0;
	int			i;

	PreventCommandIfReadOnly("authsessions.purge()");

	age = PG_ARGISNULL(0) ? DEFAULT_PURGE_AGE :
		interval_to_seconds(PG_GETARG_INTERVAL_P(0), "older_than");
	if (age < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"older_than\" must not be negative")));
	batch = PG_ARGISNULL(1) ? DEFAULT_PURGE_BATCH : PG_GETARG_INT32(1);
	if (batch < 1 || batch > MAX_PURGE_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"batch\" must be between 1 and %d",
						MAX_PURGE_BATCH)));

	/* a cutoff before the first representable timestamp purges nothing */
	if (age > (now - MIN_TIMESTAMP) / USECS_PER_SEC)
		TIMESTAMP_NOBEGIN(cutoff);
	else
		cutoff = now - age * USECS_PER_SEC;

	store_connect();

	/*
	 * Each round takes up to the remaining batch of candidates (purge_hint
	 * before the cutoff, oldest first, skipping rows other transactions
	 * hold): it deletes those that ended before the cutoff and moves the
	 * purge_hint of the others to their real end, past the cutoff, so no
	 * candidate is seen twice and the loop ends.  It also returns the users
	 * whose sessions it deleted.
	 */
	deleted = 0;
	for (;;)
	{
		int64		round_deleted;
		int64		round_moved;
		Datum		deleted_users;
		bool		isnull;

		args[0] = TimestampTzGetDatum(cutoff);
		args[1] = Int64GetDatum(batch - deleted);
		if (store_exec(Q_PURGE_SESSIONS, args, NULL, false, 0) != 1)
			elog(ERROR, "authsessions: purge statement returned no row");
		round_deleted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 1,
													&isnull));
		round_moved = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 2,
												  &isnull));
		deleted_users = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 3, &isnull);
		if (isnull)
			elog(ERROR, "authsessions: purge statement returned no user ids");
		users = append_user_ids(users, deleted_users);
		deleted += round_deleted;
		if (deleted >= batch || round_deleted + round_moved == 0)
			break;
		CHECK_FOR_INTERRUPTS();
	}

	/* and the listed users that no longer have an active session */
	args[0] = Int64GetDatum(batch);
	ncandidates = store_exec(Q_UNLIST_CANDIDATES, args, NULL, false, 0);
	for (i = 0; i < ncandidates; i++)
	{
		bool		isnull;
		Datum		id = SPI_getbinval(SPI_tuptable->vals[i],
									   SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
			elog(ERROR, "authsessions: user without an id");
		users = lappend_int(users, DatumGetInt32(id));
	}

	/*
	 * Recompute each user's summary, once, in id order: lock the row,
	 * skipping a user that a writer holds (its summary stays as that writer
	 * leaves it: exact, at worst with leftovers in the past), then recompute
	 * with a new snapshot, which sees every writer that held the row before.
	 */
	list_sort(users, list_int_cmp);
	foreach(lc, users)
	{
		int32		user_id = lfirst_int(lc);

		if (foreach_current_index(lc) > 0 && user_id == previous)
			continue;
		previous = user_id;
		args[0] = Int32GetDatum(user_id);
		args[1] = TimestampTzGetDatum(cutoff);
		if (store_exec(Q_LOCK_PURGE_USER, args, NULL, false, 0) == 1)
			store_exec(Q_RECOMPUTE_USER, args, NULL, false, 0);
		CHECK_FOR_INTERRUPTS();
	}

	store_finish();
	PG_RETURN_INT64(deleted);
}
