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
 * its one statement with as_store_as_owner().
 *
 * Locking rules the statements keep.  Every statement that changes what a
 * session contributes to its user's summary (users.session_expiries, see
 * summary.h) changes it in the same statement, so the user row's lock
 * serialises them per user.  Every writer that waits takes the user row
 * first and the user's session rows second, so two writers of one user
 * cannot deadlock:
 *	- revoke and end_session lock the user of the session (Q_REVOKE,
 *	  Q_END_SESSION), then update the session and the user's summary; so
 *	  do revoke_my_session and logout (Q_REVOKE_OWN).
 *	- revoke_my_other_sessions locks the user row (Q_LOCK_REPAIR_USER),
 *	  ends the sessions (Q_REVOKE_OTHERS), then recomputes the summary
 *	  (Q_RECOMPUTE_SUMMARY) with a snapshot that sees them ended.
 *	- create_session updates the user row first (Q_CREATE_SESSION), then
 *	  inserts its session; with a cap it locks the user row (Q_LOCK_USER),
 *	  counts and ends the oldest sessions (Q_EVICT) and recomputes the
 *	  summary (Q_RECOMPUTE_SUMMARY) before that.
 *	- upsert_user updates the user row (Q_UPDATE_USER, locking it first),
 *	  then the copies its active sessions keep (Q_SYNC_USER_SESSIONS), with
 *	  a new snapshot that sees every session created before the lock.
 *	- revoke_user locks the user row (Q_LOCK_USER), then, in statements
 *	  of their own (whose snapshot sees every session created before the
 *	  lock), ends its active sessions (Q_REVOKE_USER) and recomputes the
 *	  summary (Q_RECOMPUTE_SUMMARY).
 *	- delete_user deletes the user row, whose cascade then deletes and locks
 *	  the sessions.  With authsessions.notify_channel set it first locks the
 *	  row as the DELETE does (Q_LOCK_DELETE_USER) and reads the ids of the
 *	  active sessions the cascade will delete (Q_ACTIVE_SESSION_IDS).
 *	- validate's touch (Q_TOUCH) locks the session and the user row with
 *	  SKIP LOCKED: it never waits, and touches nothing when either is held.
 *	- purge locks sessions and user rows with SKIP LOCKED and waits for
 *	  nobody; it recomputes a user's summary (Q_RECOMPUTE_USER) only after
 *	  locking the row (Q_LOCK_PURGE_USER), with a new snapshot, so it cannot
 *	  miss a writer.  repair_summary locks (waiting) a user row before it
 *	  recomputes it, for the same reason.
 * Every writer goes through these statements, so constraints, triggers and
 * row-level security added to the tables apply as to any UPDATE.
 *
 * Every statement that sets revoked_at sets end_reason in the same
 * assignment (revoked, logout or evicted; notify.h's reasons).  delete_user
 * stores none: the cascade deletes the sessions.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "scan.h"
#include "store.h"
#include "summary.h"
#include "utils/guc.h"
#include "utils/syscache.h"

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

#define ACTIVE_SESSION SUMMARY_ACTIVE_SESSION

/*
 * End the active session matching the condition key (on sessions s), as a
 * revoke or a logout (end_reason = the SQL expression reason) by $2
 * (revoked_by) in role $3 (revoked_by_role), and remove its expiry from its
 * user's summary.  The user row is locked first (k), then the session is
 * updated: the order every writer waits in.  Returns the session's id and
 * its user's guid (for notify.c), one row when it ended a session, none
 * otherwise.
 */
#define END_ACTIVE_SESSION(key, reason) \
	"WITH k AS (SELECT u.id FROM authsessions_data.users u" \
	"   WHERE u.id = (SELECT s.user_id FROM authsessions_data.sessions s" \
	"                 WHERE " key ")" \
	"   FOR NO KEY UPDATE)," \
	" r AS (UPDATE authsessions_data.sessions s" \
	"   SET revoked_at = now(), revoked_by = $2, revoked_by_role = $3," \
	"     revoked_by_login = session_user, end_reason = " reason \
	"   FROM k WHERE " key " AND s.user_id = k.id AND " ACTIVE_SESSION \
	"   RETURNING s.id, s.user_id, s.expires_at)" \
	" UPDATE authsessions_data.users u" \
	" SET session_expiries = " SUMMARY_WITHOUT("(SELECT r.expires_at FROM r)") \
	" WHERE u.id = (SELECT r.user_id FROM r)" \
	" RETURNING (SELECT r.id FROM r), u.guid"

/*
 * The statements that change a session and then its user take the user's id
 * (and the session's expiry) from the data-modifying CTE through scalar
 * subqueries, never by joining it: the planner then always looks the user
 * up by primary key, where a join's generic plan may hash the whole table.
 */
static const StoreStatement statements[Q_COUNT] = {
	[Q_REVOKE] = {
		END_ACTIVE_SESSION("s.id = $1", "'revoked'"),
		SPI_OK_UPDATE_RETURNING, 3, {INT8OID, TEXTOID, TEXTOID}
	},
	/*
	 * End every active session of user $1 (its row locked by Q_LOCK_USER in
	 * an earlier statement, so this snapshot sees every session created
	 * before the lock), as revoke does; their ids, in order.  The summary is
	 * recomputed next (Q_RECOMPUTE_SUMMARY), under the same lock.
	 */
	[Q_REVOKE_USER] = {
		"WITH r AS (UPDATE authsessions_data.sessions s"
		"   SET revoked_at = now(), revoked_by = $2, revoked_by_role = $3,"
		"     revoked_by_login = session_user, end_reason = 'revoked'"
		"   WHERE s.user_id = $1 AND " ACTIVE_SESSION
		"   RETURNING s.id)"
		" SELECT r.id FROM r ORDER BY r.id",
		SPI_OK_SELECT, 3, {INT4OID, TEXTOID, TEXTOID}
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
	/* only active sessions: validate reads the copies of those alone */
	[Q_SYNC_USER_SESSIONS] = {
		"UPDATE authsessions_data.sessions s"
		" SET user_guid = u.guid, user_name = u.name,"
		"   user_is_operator = u.is_operator"
		" FROM authsessions_data.users u"
		" WHERE u.id = $1 AND s.user_id = u.id AND " ACTIVE_SESSION
		"   AND (s.user_guid, s.user_name, s.user_is_operator)"
		"     IS DISTINCT FROM (u.guid, u.name, u.is_operator)",
		SPI_OK_UPDATE, 1, {INT4OID}
	},
	[Q_DELETE_USER] = {
		"DELETE FROM authsessions_data.users u WHERE u.guid = $1",
		SPI_OK_DELETE, 1, {UUIDOID}
	},
	/* the user's id, its row locked as the DELETE locks it (notify.c) */
	[Q_LOCK_DELETE_USER] = {
		"SELECT u.id FROM authsessions_data.users u WHERE u.guid = $1"
		" FOR UPDATE",
		SPI_OK_SELECT, 1, {UUIDOID}
	},
	/* the ids of user $1's active sessions, in order, after its lock */
	[Q_ACTIVE_SESSION_IDS] = {
		"SELECT s.id FROM authsessions_data.sessions s"
		" WHERE s.user_id = $1 AND " ACTIVE_SESSION " ORDER BY s.id",
		SPI_OK_SELECT, 1, {INT4OID}
	},
	[Q_CREATE_SESSION] = {
		"WITH u AS (UPDATE authsessions_data.users u"
		"   SET listed = true,"
		"     session_expiries = " SUMMARY_PRUNED("u.session_expiries") " || $3"
		"   WHERE u.guid = $1 RETURNING u.id, u.guid, u.name, u.is_operator)"
		" INSERT INTO authsessions_data.sessions"
		" (user_id, user_guid, user_name, user_is_operator, token_hash,"
		"  created_at, last_updated, expires_at, idle_timeout, smartphone,"
		"  operating_system, application, user_agent, ip, purge_hint,"
		"  max_expires_at)"
		" SELECT u.id, u.guid, u.name, u.is_operator, $2,"
		"   now(), now(), $3, $4, $5, $6, $7, $8, $9, $3, $10 FROM u"
		" RETURNING id, ctid",
		SPI_OK_INSERT_RETURNING, 10,
		{UUIDOID, BYTEAOID, TIMESTAMPTZOID, INT4OID, TEXTOID, TEXTOID,
		TEXTOID, TEXTOID, INETOID, TIMESTAMPTZOID}
	},
	/* the user's id, its row locked (waiting for its writers) */
	[Q_LOCK_USER] = {
		"SELECT u.id FROM authsessions_data.users u WHERE u.guid = $1"
		" FOR NO KEY UPDATE",
		SPI_OK_SELECT, 1, {UUIDOID}
	},
	/*
	 * The user's active sessions, in a statement after the lock (its
	 * snapshot sees every writer that held the row before).
	 */
	[Q_COUNT_ACTIVE] = {
		"SELECT count(*) FROM authsessions_data.sessions s"
		" WHERE s.user_id = $1 AND " ACTIVE_SESSION,
		SPI_OK_SELECT, 1, {INT4OID}
	},
	/* end the $2 least recently used active sessions of user $1; their ids */
	[Q_EVICT] = {
		"WITH e AS (UPDATE authsessions_data.sessions s"
		" SET revoked_at = now(), revoked_by = 'authsessions:evicted',"
		"   revoked_by_role = $3, revoked_by_login = session_user,"
		"   end_reason = 'evicted'"
		" WHERE s.id IN (SELECT v.id FROM authsessions_data.sessions v"
		"   WHERE v.user_id = $1 AND v.revoked_at IS NULL AND v.expires_at > now()"
		"   ORDER BY v.last_updated, v.id LIMIT $2)"
		"   AND " ACTIVE_SESSION
		" RETURNING s.id)"
		" SELECT e.id FROM e ORDER BY e.id",
		SPI_OK_SELECT, 3, {INT4OID, INT8OID, TEXTOID}
	},
	[Q_RECOMPUTE_SUMMARY] = {
		"UPDATE authsessions_data.users u"
		" SET session_expiries = " SUMMARY_RECOMPUTED
		" WHERE u.id = $1",
		SPI_OK_UPDATE, 1, {INT4OID}
	},
	[Q_TOUCH] = {
		"WITH t AS (UPDATE authsessions_data.sessions s"
		"   SET last_updated = now(), expires_at = $2"
		"   FROM (SELECT k.id FROM authsessions_data.users k"
		"         WHERE k.id = $4 FOR NO KEY UPDATE SKIP LOCKED) k,"
		"        (SELECT l.id, l.expires_at FROM authsessions_data.sessions l"
		"         WHERE l.id = $1 FOR NO KEY UPDATE SKIP LOCKED) l"
		"   WHERE s.id = l.id AND s.user_id = k.id AND " ACTIVE_SESSION
		"     AND s.expires_at < $2 AND s.last_updated <= $3"
		"   RETURNING s.user_id, l.expires_at AS old_expiry)"
		" UPDATE authsessions_data.users u"
		" SET session_expiries = "
		SUMMARY_WITHOUT("(SELECT t.old_expiry FROM t)") " || $2"
		" WHERE u.id = (SELECT t.user_id FROM t)",
		SPI_OK_UPDATE, 4, {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID}
	},
	[Q_END_SESSION] = {
		END_ACTIVE_SESSION("s.token_hash = $1", "'logout'"),
		SPI_OK_UPDATE_RETURNING, 3, {BYTEAOID, TEXTOID, TEXTOID}
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
		" SET session_expiries = " SUMMARY_RECOMPUTED ","
		"   listed = u.listed AND EXISTS (SELECT FROM authsessions_data.sessions s"
		"     WHERE s.user_id = u.id AND " ACTIVE_SESSION ")"
		" WHERE u.id = $1",
		SPI_OK_UPDATE, 1, {INT4OID}
	},
	/* users (all, or the one of guid $1) whose summary is wrong, by id */
	[Q_REPAIR_CANDIDATES] = {
		"SELECT u.id FROM authsessions_data.users u"
		" WHERE ($1::uuid IS NULL OR u.guid = $1) AND " SUMMARY_WRONG
		" ORDER BY u.id",
		SPI_OK_SELECT, 1, {UUIDOID}
	},
	[Q_LOCK_REPAIR_USER] = {
		"SELECT u.id FROM authsessions_data.users u"
		" WHERE u.id = $1 FOR NO KEY UPDATE",
		SPI_OK_SELECT, 1, {INT4OID}
	},
	/* with a snapshot taken under the lock: exact */
	[Q_REPAIR_USER] = {
		"UPDATE authsessions_data.users u"
		" SET session_expiries = " SUMMARY_RECOMPUTED ","
		"   listed = u.listed OR EXISTS (SELECT FROM authsessions_data.sessions s"
		"     WHERE s.user_id = u.id AND " ACTIVE_SESSION ")"
		" WHERE u.id = $1 AND " SUMMARY_WRONG,
		SPI_OK_UPDATE, 1, {INT4OID}
	},
	/*
	 * revoke_my_session and logout: session $1 only if it is user $4's;
	 * end_reason $5 (revoked or logout)
	 */
	[Q_REVOKE_OWN] = {
		END_ACTIVE_SESSION("s.id = $1 AND s.user_id = $4", "$5"),
		SPI_OK_UPDATE_RETURNING, 5,
		{INT8OID, TEXTOID, TEXTOID, INT4OID, TEXTOID}
	},
	/*
	 * revoke_my_other_sessions: every active session of user $1 but $2,
	 * after Q_LOCK_REPAIR_USER locked the user row; Q_RECOMPUTE_SUMMARY
	 * follows.  Returns the ended sessions' IDs in order (the order of their
	 * notifications, as revoke_user's).
	 */
	[Q_REVOKE_OTHERS] = {
		"WITH r AS (UPDATE authsessions_data.sessions s"
		"   SET revoked_at = now(), revoked_by = $3, revoked_by_role = $4,"
		"     revoked_by_login = session_user, end_reason = 'revoked'"
		"   WHERE s.user_id = $1 AND s.id <> $2 AND " ACTIVE_SESSION
		"   RETURNING s.id)"
		" SELECT r.id FROM r ORDER BY r.id",
		SPI_OK_SELECT, 4, {INT4OID, INT8OID, TEXTOID, TEXTOID}
	},
};

/* Kept plans, prepared on first use in this backend. */
static SPIPlanPtr plans[Q_COUNT];

/*
 * Become the owner of the function being called (fn_oid), with search_path
 * pinned to pg_catalog, pg_temp, until as_store_as_caller(): what SECURITY
 * DEFINER with SET search_path does around a whole call (fmgr.c's
 * fmgr_security_definer, in the same order), here around the SPI statements
 * of a SECURITY INVOKER function.  An error in between needs no clean-up:
 * aborting the transaction or subtransaction restores the user and unwinds
 * the GUC nesting level, as it does for SECURITY DEFINER.
 */
void
as_store_as_owner(Oid fn_oid, StoreOwner *saved)
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

/* Undo as_store_as_owner(): back to the caller's user and search_path. */
void
as_store_as_caller(const StoreOwner *saved)
{
	AtEOXact_GUC(true, saved->nestlevel);
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/*
 * Connect to SPI; raises on failure, and with 55000 when the extension's
 * objects are older than this library (as_scan_check_catalog).
 */
void
as_store_connect(void)
{
	int			rc;

	as_scan_check_catalog();
	rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		elog(ERROR, "authsessions: SPI_connect failed: %s",
			 SPI_result_code_string(rc));
}

/* Disconnect from SPI; raises on failure. */
void
as_store_finish(void)
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
as_store_exec(StoreQuery query, Datum *values, const char *nulls,
			  bool read_only, long count)
{
	SPIPlanPtr	plan = store_plan(query);

	return store_result(query,
						SPI_execute_plan(plan, values, nulls, read_only, count));
}

/*
 * Column attno (from 1) of row row of the last statement's result, which
 * must not be NULL; valid until the next statement or as_store_finish().
 */
Datum
as_store_value(int row, int attno)
{
	bool		isnull;
	Datum		value;

	if (SPI_tuptable == NULL || row < 0 || (uint64) row >= SPI_processed)
		elog(ERROR, "authsessions: no row %d in the result", row);
	value = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
						  attno, &isnull);
	if (isnull)
		elog(ERROR, "authsessions: unexpected null in column %d", attno);
	return value;
}
