/*-------------------------------------------------------------------------
 *
 * store.c
 *	  Storage access: every SQL statement of the extension, prepared once per
 *	  backend with SPI and kept.
 *
 * Values always travel as $n parameters, never inside the query text.  Every
 * table is schema-qualified, and every statement runs with search_path pinned
 * to pg_catalog, pg_temp, so a kept plan that PostgreSQL re-analyses (after a
 * DDL change, or a DROP and CREATE EXTENSION) resolves the same objects
 * whatever the caller's search_path.  The writers get that pin, and their
 * owner's rights, from SECURITY DEFINER ... SET search_path; validate, which
 * is SECURITY INVOKER so that its calls skip that set-up, takes both around
 * its one statement with store_as_owner().
 *
 * Locking rules the statements keep.  Every statement that changes what a
 * session contributes to the user's summary, users.session_expiries and
 * users.session_entries (its creation, a touch, a revoke, a logout, purge),
 * changes both in the same statement, so
 * the row lock serialises them per user.  The waits always go session row
 * first, user row second, so that they cannot deadlock:
 *	- revoke and end_session update the session, then the user row (waiting
 *	  for it).  They do so directly (write.c); Q_REVOKE and Q_END_SESSION
 *	  make the same change when the tables have triggers or row-level
 *	  security, which only the executor runs.
 *	- delete_user locks the user's sessions (Q_LOCK_USER_SESSIONS), then
 *	  deletes the user row, whose cascade deletes the sessions it holds.
 *	- upsert_user, when it will rename the user or change is_operator, locks
 *	  the user's sessions first (Q_LOCK_RENAMED_USER_SESSIONS), then updates
 *	  the user row (Q_UPDATE_USER, which says whether either changed), then
 *	  rewrites the sessions' copies of them (Q_SYNC_USER_SESSIONS) with a
 *	  new snapshot: every session created before it holds the user row lock
 *	  is seen, and create_session, which takes the copies from the user row
 *	  it locks, waits for the new values.  A session created between the
 *	  first and the second step is not locked first, as for delete_user.
 *	- create_session updates the user row first (Q_CREATE_SESSION), but waits
 *	  for no session row: the new one is its own.  A concurrent delete_user
 *	  then waits for it and cascades to the new session, or has already
 *	  removed the user and we report it.
 *	- validate's touch (Q_TOUCH) locks the session and the user row with
 *	  SKIP LOCKED: it never waits, and touches nothing when either is held.
 *	- purge locks sessions and user rows with SKIP LOCKED and waits for
 *	  nobody; it recomputes a user's summary (Q_RECOMPUTE_USER) only after
 *	  locking the row (Q_LOCK_PURGE_USER), with a new snapshot, so it cannot
 *	  miss a writer.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "authsessions.h"

#define MAX_ARGS 10

typedef struct StoreStatement
{
	const char *sql;
	int			expected;		/* SPI return code on success */
	int			nargs;
	Oid			argtypes[MAX_ARGS];
} StoreStatement;

/* When session s ends (or ended): its revoke or logout, else its expiry. */
#define SESSION_END \
	"least(coalesce(s.revoked_at, 'infinity'), s.expires_at)"

/* An active session of user u, as a condition on sessions s. */
#define ACTIVE_SESSION \
	"s.revoked_at IS NULL AND s.expires_at > now()"

/*
 * users.session_expiries without one occurrence of the timestamptz e (as it
 * is when e is absent: purge may have removed a leftover already).
 */
#define EXPIRIES_WITHOUT(e) \
	"CASE WHEN array_position(u.session_expiries, " e ") IS NULL" \
	" THEN u.session_expiries" \
	" ELSE u.session_expiries[:array_position(u.session_expiries, " e ") - 1]" \
	"   || u.session_expiries[array_position(u.session_expiries, " e ") + 1:] END"

/*
 * users.session_entries without the entry of session id (unchanged if it has
 * none; an entry without an id, written by hand, stays, as in write.c).
 */
#define ENTRIES_WITHOUT(id) \
	"ARRAY(SELECT e FROM unnest(u.session_entries) AS e" \
	" WHERE e.id IS DISTINCT FROM " id ")"

/* A session_entry of the session s, as it is. */
#define SESSION_ENTRY \
	"ROW(s.id, s.last_updated, s.expires_at, s.smartphone," \
	"   s.operating_system, s.application)::authsessions_data.session_entry"

/*
 * End the active session matching the condition key (on sessions s), as a
 * revoke or a logout by $2, and remove its expiry and its entry from its
 * user's summary.
 */
#define END_ACTIVE_SESSION(key) \
	"WITH r AS (UPDATE authsessions_data.sessions s" \
	"   SET revoked_at = now(), revoked_by = $2" \
	"   WHERE " key " AND " ACTIVE_SESSION \
	"   RETURNING s.id, s.user_id, s.expires_at)" \
	" UPDATE authsessions_data.users u" \
	" SET session_expiries = " EXPIRIES_WITHOUT("(SELECT r.expires_at FROM r)") "," \
	"   session_entries = " ENTRIES_WITHOUT("(SELECT r.id FROM r)") \
	" WHERE u.id = (SELECT r.user_id FROM r)"

/*
 * The statements that change a session and then its user take the user's id
 * (and the session's expiry) from the data-modifying CTE through scalar
 * subqueries, never by joining it: the planner then always looks the user
 * up by primary key, where a join's generic plan may hash the whole table.
 */
static const StoreStatement statements[Q_COUNT] = {
	[Q_REVOKE] = {
		END_ACTIVE_SESSION("s.id = $1"),
		SPI_OK_UPDATE, 2, {INT8OID, TEXTOID}
	},
	[Q_LOCK_RENAMED_USER_SESSIONS] = {
		"SELECT s.id FROM authsessions_data.sessions s"
		" WHERE s.user_id = (SELECT u.id FROM authsessions_data.users u"
		"   WHERE u.guid = $1 AND (u.name <> ($2 COLLATE \"C\")"
		"     OR u.is_operator <> coalesce($3, u.is_operator)))"
		" ORDER BY s.id FOR NO KEY UPDATE",
		SPI_OK_SELECT, 3, {UUIDOID, TEXTOID, BOOLOID}
	},
	/* the user's id, and whether its name or is_operator changed */
	[Q_UPDATE_USER] = {
		"WITH o AS (SELECT k.id, k.name, k.is_operator"
		"   FROM authsessions_data.users k WHERE k.guid = $1"
		"   FOR NO KEY UPDATE)"
		" UPDATE authsessions_data.users u"
		" SET name = $2, is_operator = coalesce($3, u.is_operator)"
		" FROM o WHERE u.id = o.id"
		" RETURNING u.id,"
		"   (u.name, u.is_operator) IS DISTINCT FROM (o.name, o.is_operator)",
		SPI_OK_UPDATE_RETURNING, 3, {UUIDOID, TEXTOID, BOOLOID}
	},
	[Q_UPSERT_USER] = {
		"INSERT INTO authsessions_data.users AS u (guid, name, is_operator)"
		" VALUES ($1, $2, coalesce($3, false))"
		" ON CONFLICT (guid) DO UPDATE"
		" SET name = excluded.name, is_operator = coalesce($3, u.is_operator)"
		" RETURNING u.id",
		SPI_OK_INSERT_RETURNING, 3, {UUIDOID, TEXTOID, BOOLOID}
	},
	[Q_SYNC_USER_SESSIONS] = {
		"UPDATE authsessions_data.sessions s"
		" SET user_guid = u.guid, user_name = u.name,"
		"   user_is_operator = u.is_operator"
		" FROM authsessions_data.users u"
		" WHERE u.id = $1 AND s.user_id = u.id"
		"   AND (s.user_guid, s.user_name, s.user_is_operator)"
		"     IS DISTINCT FROM (u.guid, u.name, u.is_operator)",
		SPI_OK_UPDATE, 1, {INT4OID}
	},
	[Q_LOCK_USER_SESSIONS] = {
		"SELECT s.id FROM authsessions_data.sessions s"
		" WHERE s.user_id = (SELECT u.id FROM authsessions_data.users u"
		"                    WHERE u.guid = $1)"
		" ORDER BY s.id FOR UPDATE",
		SPI_OK_SELECT, 1, {UUIDOID}
	},
	[Q_DELETE_USER] = {
		"DELETE FROM authsessions_data.users u WHERE u.guid = $1",
		SPI_OK_DELETE, 1, {UUIDOID}
	},
	/*
	 * The new session's id is drawn first, for its entry in the user row
	 * written before the session (a scalar subquery of a CTE: drawn once).
	 */
	[Q_CREATE_SESSION] = {
		"WITH i AS (SELECT nextval('authsessions_data.sessions_id_seq'::regclass) AS id),"
		" u AS (UPDATE authsessions_data.users u"
		"   SET listed = true, session_expiries = u.session_expiries || $3,"
		"     session_entries = u.session_entries"
		"       || ROW((SELECT i.id FROM i), now(), $3, $5, $6, $7)"
		"            ::authsessions_data.session_entry"
		"   WHERE u.guid = $1 RETURNING u.id, u.guid, u.name, u.is_operator)"
		" INSERT INTO authsessions_data.sessions"
		" (id, user_id, user_guid, user_name, user_is_operator, token_hash,"
		"  created_at, last_updated, expires_at, idle_timeout, smartphone,"
		"  operating_system, application, user_agent, ip, purge_hint)"
		" SELECT (SELECT i.id FROM i), u.id, u.guid, u.name, u.is_operator, $2,"
		"   now(), now(), $3, $4, $5, $6, $7, $8, $9, $3 FROM u"
		" RETURNING id, ctid",
		SPI_OK_INSERT_RETURNING, 9,
		{UUIDOID, BYTEAOID, TIMESTAMPTZOID, INT4OID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, INETOID}
	},
	[Q_TOUCH] = {
		"WITH t AS (UPDATE authsessions_data.sessions s"
		"   SET last_updated = now(), expires_at = $2"
		"   FROM (SELECT l.id, l.expires_at FROM authsessions_data.sessions l"
		"         WHERE l.id = $1 FOR NO KEY UPDATE SKIP LOCKED) l,"
		"        (SELECT k.id FROM authsessions_data.users k"
		"         WHERE k.id = $4 FOR NO KEY UPDATE SKIP LOCKED) k"
		"   WHERE s.id = l.id AND s.user_id = k.id AND " ACTIVE_SESSION
		"     AND s.expires_at < $2 AND s.last_updated <= $3"
		"   RETURNING s.id, s.user_id, s.last_updated, s.expires_at,"
		"     s.smartphone, s.operating_system, s.application,"
		"     l.expires_at AS old_expiry)"
		" UPDATE authsessions_data.users u"
		" SET session_expiries = ("
		EXPIRIES_WITHOUT("(SELECT t.old_expiry FROM t)") ") || $2,"
		"   session_entries = " ENTRIES_WITHOUT("$1")
		"     || (SELECT " SESSION_ENTRY " FROM t s)"
		" WHERE u.id = (SELECT t.user_id FROM t)",
		SPI_OK_UPDATE, 4, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID}
	},
	[Q_END_SESSION] = {
		END_ACTIVE_SESSION("s.token_hash = $1"),
		SPI_OK_UPDATE, 2, {BYTEAOID, TEXTOID}
	},
	[Q_PURGE_SESSIONS] = {
		"WITH c AS (SELECT p.id FROM authsessions_data.sessions p"
		"   WHERE p.purge_hint < $1 ORDER BY p.purge_hint LIMIT $2"
		"   FOR UPDATE SKIP LOCKED),"
		" d AS (DELETE FROM authsessions_data.sessions s USING c"
		"   WHERE s.id = c.id AND " SESSION_END " < $1"
		"   RETURNING s.id, s.user_id),"
		" b AS (UPDATE authsessions_data.sessions s SET purge_hint = " SESSION_END
		"   FROM c WHERE s.id = c.id AND " SESSION_END " >= $1 RETURNING s.id)"
		" SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM b),"
		"   (SELECT coalesce(array_agg(DISTINCT d.user_id), '{}') FROM d)",
		SPI_OK_SELECT, 2, {TIMESTAMPTZOID, INT8OID}
	},
	[Q_UNLIST_CANDIDATES] = {
		"SELECT u.id FROM authsessions_data.users u"
		" WHERE u.listed AND NOT EXISTS"
		"   (SELECT FROM unnest(u.session_expiries) e WHERE e > now())"
		" LIMIT $1",
		SPI_OK_SELECT, 1, {INT8OID}
	},
	[Q_LOCK_PURGE_USER] = {
		"SELECT u.id FROM authsessions_data.users u"
		" WHERE u.id = $1 FOR NO KEY UPDATE SKIP LOCKED",
		SPI_OK_SELECT, 1, {INT4OID}
	},
	[Q_RECOMPUTE_USER] = {
		"UPDATE authsessions_data.users u"
		" SET session_expiries = ARRAY(SELECT s.expires_at"
		"     FROM authsessions_data.sessions s"
		"     WHERE s.user_id = u.id AND s.revoked_at IS NULL"
		"       AND s.expires_at >= $2 ORDER BY s.expires_at),"
		"   session_entries = ARRAY(SELECT " SESSION_ENTRY
		"     FROM authsessions_data.sessions s"
		"     WHERE s.user_id = u.id AND s.revoked_at IS NULL"
		"       AND s.expires_at >= $2 ORDER BY s.expires_at, s.id),"
		"   listed = u.listed AND EXISTS (SELECT FROM authsessions_data.sessions s"
		"     WHERE s.user_id = u.id AND " ACTIVE_SESSION ")"
		" WHERE u.id = $1",
		SPI_OK_UPDATE, 2, {INT4OID, TIMESTAMPTZOID}
	},
};

/* Kept plans, prepared on first use in this backend. */
static SPIPlanPtr plans[Q_COUNT];

/*
 * Become the owner of the function being called (fn_oid), with search_path
 * pinned to pg_catalog, pg_temp, until store_as_caller(): what SECURITY
 * DEFINER with SET search_path does around a whole call (fmgr.c's
 * fmgr_security_definer, in the same order), here around the SPI statements
 * of a SECURITY INVOKER function.  An error in between needs no clean-up:
 * aborting the transaction or subtransaction restores the user and unwinds
 * the GUC nesting level, as it does for SECURITY DEFINER.
 */
void
store_as_owner(Oid fn_oid, StoreOwner *saved)
{
	HeapTuple	tp;
	Oid			owner;

	tp = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tp))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(tp))->proowner;
	ReleaseSysCache(tp);

	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	saved->nestlevel = NewGUCNestLevel();
	SetUserIdAndSecContext(owner,
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

/* Undo store_as_owner(): back to the caller's user and search_path. */
void
store_as_caller(const StoreOwner *saved)
{
	AtEOXact_GUC(true, saved->nestlevel);
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/* Connect to SPI; raises on failure. */
void
store_connect(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		elog(ERROR, "authsessions: SPI_connect failed: %s",
			 SPI_result_code_string(rc));
}

/* Disconnect from SPI; raises on failure. */
void
store_finish(void)
{
	int			rc = SPI_finish();

	if (rc != SPI_OK_FINISH)
		elog(ERROR, "authsessions: SPI_finish failed: %s",
			 SPI_result_code_string(rc));
}

/* The kept plan of a statement, prepared on first use. */
static SPIPlanPtr
store_plan(StoreQuery query)
{
	const StoreStatement *st;

	if (query < 0 || query >= Q_COUNT)
		elog(ERROR, "authsessions: unknown statement %d", (int) query);
	st = &statements[query];

	if (plans[query] == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(st->sql, st->nargs,
									   (Oid *) st->argtypes);

		if (plan == NULL)
			elog(ERROR, "authsessions: SPI_prepare failed for statement %d: %s",
				 (int) query, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "authsessions: SPI_keepplan failed for statement %d",
				 (int) query);
		plans[query] = plan;
	}
	return plans[query];
}

/* Check a statement's SPI return code and return SPI_processed. */
static int
store_result(StoreQuery query, int rc)
{
	if (rc != statements[query].expected)
		elog(ERROR, "authsessions: statement %d returned %s",
			 (int) query, SPI_result_code_string(rc));
	if (SPI_processed > (uint64) PG_INT32_MAX)
		elog(ERROR, "authsessions: statement %d processed too many rows",
			 (int) query);
	return (int) SPI_processed;
}

/*
 * Run one statement with the given parameters (nulls as for
 * SPI_execute_plan).  read_only is true for the STABLE functions, which must
 * see their caller's snapshot.  Returns SPI_processed.
 */
int
store_exec(StoreQuery query, Datum *values, const char *nulls,
		   bool read_only, long count)
{
	SPIPlanPtr	plan = store_plan(query);

	return store_result(query,
						SPI_execute_plan(plan, values, nulls, read_only, count));
}
