/*-------------------------------------------------------------------------
 *
 * session.c
 *	  The session lifecycle, for the application backend: create_session,
 *	  validate (and check_token, its read without the touch, and issue_jwt,
 *	  a JWT bound to the session, made after the same read and touch),
 *	  end_session and purge; and the session object and the
 *	  {"Success": ...} result of the documented API (session.h).
 *
 * Writers refuse a read-only transaction with 25006 before doing anything
 * else.  validate and check_token never raise for a token: a NULL,
 * malformed or unknown token is simply not valid, so no token reaches the
 * server log through an error message.  validate's touch (the sliding
 * expiry) is skipped whenever it could wait or fail: in a read-only
 * transaction (GET through PostgREST, a hot standby), under REPEATABLE READ
 * or SERIALIZABLE, and when another transaction holds the session row;
 * check_token is the same read without the touch, ever.  create_session
 * wipes the secret and the token from memory once its result is copied out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "args.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "guc.h"
#include "jsonout.h"
#include "jwt.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "notify.h"
#include "scan.h"
#include "session.h"
#include "store.h"
#include "token.h"
#include "useragent.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(authsessions_create_session);
PG_FUNCTION_INFO_V1(authsessions_validate);
PG_FUNCTION_INFO_V1(authsessions_issue_jwt);
PG_FUNCTION_INFO_V1(authsessions_check_token);
PG_FUNCTION_INFO_V1(authsessions_end_session);
PG_FUNCTION_INFO_V1(authsessions_purge);

/* SQLSTATE PT429: PostgREST answers it with HTTP 429 */
#define ERRCODE_AUTHSESSIONS_TOO_MANY	MAKE_SQLSTATE('P','T','4','2','9')

/* length limits, in characters */
#define AUTHSESSIONS_MAX_DEVICE		256
#define AUTHSESSIONS_MAX_USER_AGENT	1024

/* seconds from the Unix epoch to PostgreSQL's (2000-01-01) */
#define UNIX_OFFSET_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

#define DEFAULT_PURGE_AGE	(7 * SECS_PER_DAY)
#define DEFAULT_PURGE_BATCH 10000
#define MAX_PURGE_BATCH		1000000

/*
 * One session object, with the keys of keys (in jsonb's order), and
 * "Current" when current is not NULL: it sorts third, after "ID" and
 * "UserID".
 */
static void
session_object(JsonOut *out, JsonKeys *keys, const SessionRow *row,
			   const bool *current)
{
	as_json_begin_object(out, keys);
	as_json_int(out, row->id);
	as_json_int(out, row->user_id);
	if (current != NULL)
		as_json_bool(out, *current);
	as_json_string(out, row->guid);
	as_json_string(out, row->name);
	as_json_bool(out, row->is_operator);
	as_json_string_or_null(out, row->smartphone);
	as_json_string_or_null(out, row->application);
	as_json_timestamp(out, row->last_updated);
	as_json_timestamp(out, row->expires_at);
	as_json_string_or_null(out, row->operating_system);
	as_json_end_object(out);
}

/*
 * One session object, with exactly the documented keys: an element of
 * user_sessions, and validate's result.
 */
void
as_session_json(JsonOut *out, const SessionRow *row)
{
	/* in jsonb's order: shorter first, then bytewise */
	static const char *const names[] = {
		"ID", "UserID", "UserGuid", "UserName", "IsOperator", "Smartphone",
		"Application", "LastUpdated", "ExpirationDate", "OperatingSystem"
	};
	static JsonKeys keys = JSON_KEYS(names);

	session_object(out, &keys, row, NULL);
}

/*
 * A session object of my_sessions: as_session_json's keys plus "Current",
 * true for the session of the caller's JWT.
 */
void
as_session_json_current(JsonOut *out, const SessionRow *row, bool current)
{
	/* in jsonb's order: shorter first, then bytewise */
	static const char *const names[] = {
		"ID", "UserID", "Current", "UserGuid", "UserName", "IsOperator",
		"Smartphone", "Application", "LastUpdated", "ExpirationDate",
		"OperatingSystem"
	};
	static JsonKeys keys = JSON_KEYS(names);

	session_object(out, &keys, row, &current);
}

/*
 * The object that out holds, ended and copied into the current memory
 * context; out's buffer is freed.  For the one-key results below.
 */
static Jsonb *
finish_object(JsonOut *out)
{
	Jsonb	   *result;

	as_json_end_object(out);
	result = as_json_finish(out);
	pfree(out->buf.data);
	return result;
}

/*
 * {"Success": true} or {"Success": false}, in the current memory context:
 * the result of end_session, delete_user and revoke.
 */
Jsonb *
as_session_success(bool success)
{
	static const char *const names[] = {"Success"};
	static JsonKeys keys = JSON_KEYS(names);
	JsonOut		out = {0};

	as_json_begin_object(&out, &keys);
	as_json_bool(&out, success);
	return finish_object(&out);
}

/*
 * Raise PT404 err_NoActiveSession, "No active session was found for the
 * provided <what>.": the answer of revoke, revoke_user and
 * revoke_my_session when they end nothing, the same for another user's
 * session as for none, so that an ID reveals nothing.
 */
pg_noreturn void
as_session_no_active(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_AUTHSESSIONS_NOT_FOUND),
			 errmsg("err_NoActiveSession"),
			 errdetail("No active session was found for the provided %s.",
					   what)));
}

/*
 * {"Revoked": n}, in the current memory context: the result of revoke_user.
 */
Jsonb *
as_session_revoked(int64 n)
{
	static const char *const names[] = {"Revoked"};
	static JsonKeys keys = JSON_KEYS(names);
	JsonOut		out = {0};

	as_json_begin_object(&out, &keys);
	as_json_int(&out, n);
	return finish_object(&out);
}

/*
 * An interval argument of create_session (not NULL) in whole seconds,
 * positive and at most limit, else 22023 naming argname, with hint (when
 * not NULL) for a value over the limit.
 */
static int32
session_seconds_arg(FunctionCallInfo fcinfo, int argno, const char *argname,
					int64 limit, const char *hint)
{
	int64		secs = as_args_interval_seconds(PG_GETARG_INTERVAL_P(argno),
												argname);

	if (secs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must be positive", argname)));
	if (secs > limit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must be at most %lld seconds",
						argname, (long long) limit),
				 hint != NULL ? errhint("%s", hint) : 0));
	return (int32) secs;
}

/*
 * The idle timeout of a new session, in seconds: the ttl argument, or
 * authsessions.idle_timeout when it is NULL; positive and at most
 * authsessions.max_ttl.
 */
static int32
session_ttl(FunctionCallInfo fcinfo, int argno)
{
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
	return session_seconds_arg(fcinfo, argno, "ttl", authsessions_max_ttl,
							   "The upper bound is the setting authsessions.max_ttl.");
}

/*
 * The max_lifetime argument of create_session, in seconds, or 0 when it is
 * NULL or absent (1.0's create_session, which then fails with 55000).
 * Positive, and at most authsessions.max_lifetime when that is set; without
 * the setting, at most the setting's own largest value (INT_MAX seconds,
 * about 68 years).
 */
static int32
session_lifetime_arg(FunctionCallInfo fcinfo, int argno)
{
	/* 1.0's create_session (before ALTER EXTENSION UPDATE) has no such one */
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return 0;
	if (authsessions_max_lifetime > 0)
		return session_seconds_arg(fcinfo, argno, "max_lifetime",
								   authsessions_max_lifetime,
								   "It may only shorten the setting authsessions.max_lifetime.");
	return session_seconds_arg(fcinfo, argno, "max_lifetime", PG_INT32_MAX,
							   NULL);
}

/*
 * The latest expiry a session may be given (DT_NOEND: none): its own bound
 * (max_expires_at, from create_session's max_lifetime argument), and
 * authsessions.max_lifetime after its creation as the setting is now (not
 * for a created_at edited to infinity by hand, which nothing can follow).
 */
TimestampTz
as_session_expiry_bound(TimestampTz created_at, TimestampTz max_expires_at)
{
	TimestampTz bound = max_expires_at;

	if (authsessions_max_lifetime > 0 && !TIMESTAMP_NOT_FINITE(created_at))
		bound = Min(bound, created_at +
					(TimestampTz) authsessions_max_lifetime * USECS_PER_SEC);
	return bound;
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
 * guid, before its session is created (inside as_store_connect): lock the user
 * row (waiting for the user's other writers, so concurrent logins of one
 * user count one after another), count its active sessions with a snapshot
 * taken under the lock, and when n >= cap either end the n - cap + 1 least
 * recently used (evict_oldest, each announced by notify.c) or refuse with
 * PT429 (refuse).  Returns false for an unknown user.
 */
static bool
enforce_session_cap(Datum guid)
{
	Datum		args[3];
	bool		isnull;
	int32		user_id;
	int64		active;
	int			evicted;
	int			i;

	if (as_store_exec(Q_LOCK_USER, &guid, NULL, false, 0) != 1)
		return false;
	user_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull));
	args[0] = Int32GetDatum(user_id);
	if (as_store_exec(Q_COUNT_ACTIVE, args, NULL, false, 0) != 1)
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
	args[2] = CStringGetTextDatum(as_args_role_name());
	evicted = as_store_exec(Q_EVICT, args, NULL, false, 0);
	for (i = 0; i < evicted; i++)
		as_notify_session_ended(DatumGetInt64(as_store_value(i, 1)), guid,
								NOTIFY_REASON_EVICTED);
	as_store_exec(Q_RECOMPUTE_SUMMARY, args, NULL, false, 0);
	return true;
}

/*
 * The device fields (arguments 1 to 3) given as NULL, derived from the
 * user_agent argument (5, not NULL) into args/nulls (4 to 6).
 */
static void
derive_device_fields(FunctionCallInfo fcinfo, Datum *args, char *nulls)
{
	text	   *agent = PG_GETARG_TEXT_PP(5);
	AsUserAgentFields derived;
	char	   *values[3];
	int			i;

	as_useragent_fields(VARDATA_ANY(agent), VARSIZE_ANY_EXHDR(agent), &derived);
	values[0] = derived.smartphone;
	values[1] = derived.operating_system;
	values[2] = derived.application;
	for (i = 0; i < 3; i++)
		if (PG_ARGISNULL(1 + i))
		{
			args[4 + i] = CStringGetTextDatum(values[i]);
			nulls[4 + i] = ' ';
		}
}

/*
 * authsessions.create_session(user_guid, smartphone, operating_system,
 * application, ttl, user_agent, ip, max_lifetime): open a session and return
 * {"ID", "Token", "ExpirationDate"}.  The token is returned here only; its
 * hash is stored.  user_guid is required (22004); the other arguments may be
 * NULL (ttl then means authsessions.idle_timeout, max_lifetime the setting
 * authsessions.max_lifetime alone; a NULL device field is derived from
 * user_agent when that is given).  ExpirationDate is least(now + ttl, the
 * lifetime bound); the argument's bound is kept in max_expires_at.  An
 * unknown user, also one deleted concurrently, raises PT404
 * err_UserNotFound.
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
	Datum		args[10];
	char		nulls[10];
	int32		ttl;
	int32		lifetime;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz max_expires_at;
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
	as_args_required(fcinfo, 0, "user_guid");
	for (i = 0; i < lengthof(fields); i++)
		as_args_text(fcinfo, fields[i].argno, fields[i].name,
					 fields[i].maxchars);
	ttl = session_ttl(fcinfo, 4);
	lifetime = session_lifetime_arg(fcinfo, 7);

	/* now() of the INSERT below, which is its created_at */
	if (lifetime > 0)
		max_expires_at = now + (TimestampTz) lifetime * USECS_PER_SEC;
	else
		TIMESTAMP_NOEND(max_expires_at);
	expires_at = Min(now + (TimestampTz) ttl * USECS_PER_SEC,
					 as_session_expiry_bound(now, max_expires_at));

	as_token_new_secret(secret, hash);

	memset(nulls, ' ', sizeof(nulls));
	args[0] = PG_GETARG_DATUM(0);
	args[1] = PointerGetDatum(as_token_hash_bytea(hash));
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
	args[9] = TimestampTzGetDatum(max_expires_at);
	nulls[9] = lifetime > 0 ? ' ' : 'n';
	if (!PG_ARGISNULL(5) &&
		(PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3)))
		derive_device_fields(fcinfo, args, nulls);

	/*
	 * One statement (Q_CREATE_SESSION) updates the user row first (listed,
	 * and the new expiry appended to session_expiries), which locks it until
	 * commit, then inserts the session: a concurrent delete_user then waits
	 * for us and cascades to the new session, or has already removed the
	 * user (no row) and we report it; purge cannot recompute the summary or
	 * unlist the user under us.  With a cap, the user row is locked and its
	 * sessions counted first (enforce_session_cap).
	 */
	as_store_connect();
	if (authsessions_max_sessions_per_user > 0 &&
		!enforce_session_cap(PG_GETARG_DATUM(0)))
		report_user_not_found(PG_GETARG_DATUM(0));
	if (as_store_exec(Q_CREATE_SESSION, args, nulls, false, 0) != 1)
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
	token = as_token_encode(secret, (ItemPointer) DatumGetPointer(locator));
	explicit_bzero(secret, sizeof(secret));

	/* the token is written into out's buffer too: wiped below */
	as_json_begin_object(&out, &login_keys);
	as_json_int(&out, DatumGetInt64(id));
	as_json_string(&out, token);
	as_json_timestamp(&out, expires_at);
	as_json_end_object(&out);

	MemoryContextSwitchTo(caller);
	result = as_json_finish(&out);
	explicit_bzero(token, AUTHSESSIONS_TOKEN_CHARS);
	explicit_bzero(out.buf.data, out.buf.len);
	as_store_finish();

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
 * The read of validate and check_token: the active session of the token
 * argument into *row, read in a new memory context of this call, *callcxt,
 * which is left current.  False (and no context) for a NULL, malformed or
 * unknown token and for a session that is not active: never an error.
 */
static bool
read_session(FunctionCallInfo fcinfo, MemoryContext *callcxt, SessionRow *row)
{
	MemoryContext caller = CurrentMemoryContext;
	uint8		hash[AUTHSESSIONS_HASH_BYTES];
	ItemPointerData locator;

	if (PG_ARGISNULL(0) ||
		!as_token_parse(PG_GETARG_TEXT_PP(0), hash, &locator))
		return false;

	/* everything but the result lives in a context of this call */
	*callcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "authsessions validate",
									 ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(*callcxt);

	/* the row at the token's locator, else by hash, latest snapshot (scan.c) */
	if (!as_scan_session_by_token(hash, &locator, row))
	{
		MemoryContextSwitchTo(caller);
		MemoryContextDelete(*callcxt);
		return false;
	}
	return true;
}

/*
 * validate's read and touch, shared by validate and issue_jwt (whose first
 * argument is the token too): the active session of the token into *row,
 * its expiry slid once least(touch_interval, idle_timeout / 2) has passed
 * since LastUpdated, to least(now + idle timeout, the session's lifetime
 * bound), never backwards (so not at all once the bound is reached), and
 * only when touch_allowed() and neither the session nor its user row is
 * locked by another transaction: it never waits, and a touch it cannot make
 * is made by the next call (nothing of it is written).  The row lives in
 * *callcxt, left current, as read_session leaves it; false (and no context)
 * for no active session.  The functions are SECURITY INVOKER: the read goes
 * through scan.c, which needs no rights and resolves no name, and the touch
 * runs as the owner of the function being called with as_store_as_owner().
 */
static bool
validate_session(FunctionCallInfo fcinfo, MemoryContext *callcxt,
				 SessionRow *row)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz due;
	TimestampTz new_expiry;

	if (!read_session(fcinfo, callcxt, row))
		return false;

	/*
	 * A touch is due once least(touch_interval, half the idle timeout) has
	 * passed: a session validated more often than that never expires, even
	 * one whose idle timeout is below touch_interval.
	 */
	due = now - Min((TimestampTz) authsessions_touch_interval * USECS_PER_SEC,
					(TimestampTz) row->idle_timeout * USECS_PER_SEC / 2);
	/* never past the session's lifetime: no touch once it is reached */
	new_expiry = Min(now + (TimestampTz) row->idle_timeout * USECS_PER_SEC,
					 as_session_expiry_bound(row->created_at,
											 row->max_expires_at));
	if (touch_allowed() && row->last_updated <= due && new_expiry > row->expires_at)
	{
		Datum		args[4];
		StoreOwner	caller_id;

		args[0] = Int64GetDatum(row->id);
		args[1] = TimestampTzGetDatum(new_expiry);
		args[2] = TimestampTzGetDatum(due);
		args[3] = Int32GetDatum(row->user_id);

		/* SECURITY INVOKER: only the touch needs the owner */
		as_store_as_owner(fcinfo->flinfo->fn_oid, &caller_id);
		as_store_connect();

		/*
		 * The session and its user's session_expiries change together; no
		 * row: the session or the user row is locked by another
		 * transaction, or the session just ended: no touch.
		 */
		if (as_store_exec(Q_TOUCH, args, NULL, false, 0) == 1)
		{
			row->last_updated = now;
			row->expires_at = new_expiry;
		}
		as_store_finish();
		as_store_as_caller(&caller_id);
	}
	return true;
}

/*
 * The result of validate (touch: validate_session) and check_token (no
 * touch: read_session): the session object of the token's active session,
 * built in the call's context and copied into the caller's, or NULL.
 */
static Datum
session_result(FunctionCallInfo fcinfo, bool touch)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext callcxt;
	SessionRow	row;
	JsonOut		out = {0};
	Jsonb	   *result;

	if (!(touch ? validate_session(fcinfo, &callcxt, &row) :
		  read_session(fcinfo, &callcxt, &row)))
		PG_RETURN_NULL();

	MemoryContextSwitchTo(callcxt);
	as_session_json(&out, &row);
	MemoryContextSwitchTo(caller);
	result = as_json_finish(&out);
	MemoryContextDelete(callcxt);
	PG_RETURN_JSONB_P(result);
}

/*
 * authsessions.validate(token): the session of an active token as one
 * user_sessions element, otherwise NULL (NULL, empty and malformed tokens
 * included: never an error), its expiry slid as validate_session says.
 */
Datum
authsessions_validate(PG_FUNCTION_ARGS)
{
	return session_result(fcinfo, true);
}

/*
 * authsessions.issue_jwt(token, ttl): for an active token, validated and
 * slid exactly as validate does, {"JWT", "ExpirationDate"}: an HS256 JWT
 * with the claims role (authsessions.jwt_role, or jwt_operator_role for an
 * operator when set), sub (UserGuid), sid (the session ID), iat, exp
 * (min(now + ttl, the session's expiry), whole seconds) and aud (when
 * authsessions.jwt_audience is set); ExpirationDate is exp.  NULL for a
 * token that is not an active session (never an error about the token).
 * ttl: NULL means authsessions.jwt_ttl (capped at jwt_max_ttl); at least 1
 * second and at most authsessions.jwt_max_ttl, else 22023.  Raises 55000
 * when the signing key is not available (jwt.c).
 */
Datum
authsessions_issue_jwt(PG_FUNCTION_ARGS)
{
	static const char *const key_names[] = {"JWT", "ExpirationDate"};
	static JsonKeys keys = JSON_KEYS(key_names);
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext callcxt;
	SessionRow	row;
	int64		ttl;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz exp;
	const char *role;
	StringInfoData payload;
	char	   *jwt;
	JsonOut		out = {0};
	Jsonb	   *result;

	/* the arguments first: a bad ttl is an error even for a dead token */
	if (PG_ARGISNULL(1))
		ttl = Min(authsessions_jwt_ttl, authsessions_jwt_max_ttl);
	else
	{
		ttl = as_args_interval_seconds(PG_GETARG_INTERVAL_P(1), "ttl");
		if (ttl < 1 || ttl > authsessions_jwt_max_ttl)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument \"ttl\" must be between 1 second and authsessions.jwt_max_ttl (%d seconds)",
							authsessions_jwt_max_ttl)));
	}

	if (!validate_session(fcinfo, &callcxt, &row))
		PG_RETURN_NULL();

	/* whole seconds, never past the session's expiry */
	exp = Min(now + (TimestampTz) ttl * USECS_PER_SEC, row.expires_at);
	exp -= ((exp % USECS_PER_SEC) + USECS_PER_SEC) % USECS_PER_SEC;
	role = row.is_operator && authsessions_jwt_operator_role[0] != '\0' ?
		authsessions_jwt_operator_role : authsessions_jwt_role;

	/* the claims in a fixed order; every string JSON-escaped */
	initStringInfo(&payload);
	appendStringInfoChar(&payload, '{');
	if (authsessions_jwt_audience[0] != '\0')
	{
		appendStringInfoString(&payload, "\"aud\":");
		escape_json(&payload, authsessions_jwt_audience);
		appendStringInfoChar(&payload, ',');
	}
	appendStringInfo(&payload, "\"exp\":%lld,\"iat\":%lld,\"role\":",
					 (long long) (exp / USECS_PER_SEC + UNIX_OFFSET_SECS),
					 (long long) (now / USECS_PER_SEC + UNIX_OFFSET_SECS));
	escape_json(&payload, role);
	appendStringInfo(&payload, ",\"sid\":%lld,\"sub\":", (long long) row.id);
	escape_json(&payload, row.guid);
	appendStringInfoChar(&payload, '}');

	jwt = as_jwt_sign(payload.data);
	as_json_begin_object(&out, &keys);
	as_json_string(&out, jwt);
	as_json_timestamp(&out, exp);
	as_json_end_object(&out);

	MemoryContextSwitchTo(caller);
	result = as_json_finish(&out);
	MemoryContextDelete(callcxt);
	PG_RETURN_JSONB_P(result);
}

/*
 * authsessions.check_token(token): validate without the touch.  The same
 * object as validate answers for an active token, otherwise NULL (never an
 * error); it writes nothing, so it is STABLE, PostgREST runs it READ ONLY
 * even over POST, and it answers on a hot standby.  SECURITY INVOKER like
 * validate, with nothing to run as the owner.
 */
Datum
authsessions_check_token(PG_FUNCTION_ARGS)
{
	return session_result(fcinfo, false);
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
	as_args_required(fcinfo, 0, "token");

	if (!as_token_parse(PG_GETARG_TEXT_PP(0), hash, &locator))
		PG_RETURN_JSONB_P(as_session_success(false));

	/* by hash: the locator is only a hint for the reads */
	args[0] = PointerGetDatum(as_token_hash_bytea(hash));
	args[1] = CStringGetTextDatum(as_args_actor());
	args[2] = CStringGetTextDatum(as_args_role_name());
	as_store_connect();
	ended = as_store_exec(Q_END_SESSION, args, NULL, false, 0) == 1;
	if (ended)
		as_notify_session_ended(DatumGetInt64(as_store_value(0, 1)),
								as_store_value(0, 2), NOTIFY_REASON_LOGOUT);
	as_store_finish();
	PG_RETURN_JSONB_P(as_session_success(ended));
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
		as_args_interval_seconds(PG_GETARG_INTERVAL_P(0), "older_than");
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

	as_store_connect();

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
		if (as_store_exec(Q_PURGE_SESSIONS, args, NULL, false, 0) != 1)
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
	ncandidates = as_store_exec(Q_UNLIST_CANDIDATES, args, NULL, false, 0);
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
		if (as_store_exec(Q_LOCK_PURGE_USER, args, NULL, false, 0) == 1)
			as_store_exec(Q_RECOMPUTE_USER, args, NULL, false, 0);
		CHECK_FOR_INTERRUPTS();
	}

	as_store_finish();
	PG_RETURN_INT64(deleted);
}
