/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  The hot reads, by direct index scans: the session of a token (validate)
 *	  and the sessions of a user (user_sessions).
 *
 * These run on every request, so they skip SPI and the executor: they open
 * the tables and indexes of authsessions_data by OID, look rows up with the
 * B-tree indexes and read them with the caller's snapshot.  No name is
 * resolved through anybody's search_path.  The OIDs and column numbers are
 * looked up by name once per backend and forgotten at any relcache
 * invalidation (DROP and CREATE EXTENSION, ALTER TABLE ...).
 *
 * Locking: AccessShareLock on each relation, held to the end of the
 * transaction as any query would; rows are never locked.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "authsessions.h"

/* What the scans need to know about the tables, looked up by name. */
typedef struct ScanCatalog
{
	bool		valid;
	Oid			users;
	Oid			users_pkey;
	Oid			users_guid_key;
	Oid			sessions;
	Oid			sessions_token_hash_key;
	Oid			sessions_user_id_idx;
	/* users columns */
	AttrNumber	u_id;
	AttrNumber	u_guid;
	AttrNumber	u_name;
	AttrNumber	u_is_operator;
	/* sessions columns */
	AttrNumber	s_id;
	AttrNumber	s_user_id;
	AttrNumber	s_last_updated;
	AttrNumber	s_expires_at;
	AttrNumber	s_idle_timeout;
	AttrNumber	s_revoked_at;
	AttrNumber	s_smartphone;
	AttrNumber	s_operating_system;
	AttrNumber	s_application;
} ScanCatalog;

static ScanCatalog catalog;
static bool callback_registered = false;

/* Forget the catalog at any relcache invalidation; it is cheap to redo. */
static void
catalog_invalidate(Datum arg, Oid relid)
{
	catalog.valid = false;
}

/* OID of a relation of authsessions_data; raises if it is missing. */
static Oid
data_relid(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"authsessions_data.%s\" does not exist", name),
				 errhint("Reinstall the extension: DROP EXTENSION authsessions; CREATE EXTENSION authsessions.")));
	return relid;
}

/* Column number of a column; raises if it is missing. */
static AttrNumber
data_attnum(Oid relid, const char *name)
{
	AttrNumber	attnum = get_attnum(relid, name);

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "authsessions: column \"%s\" is missing", name);
	return attnum;
}

/* Fill the catalog if an invalidation emptied it. */
static void
catalog_load(void)
{
	Oid			nsp;

	if (catalog.valid)
		return;
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(catalog_invalidate, (Datum) 0);
		callback_registered = true;
	}

	nsp = get_namespace_oid("authsessions_data", false);
	catalog.users = data_relid(nsp, "users");
	catalog.users_pkey = data_relid(nsp, "users_pkey");
	catalog.users_guid_key = data_relid(nsp, "users_guid_key");
	catalog.sessions = data_relid(nsp, "sessions");
	catalog.sessions_token_hash_key = data_relid(nsp, "sessions_token_hash_key");
	catalog.sessions_user_id_idx = data_relid(nsp, "sessions_user_id_idx");

	catalog.u_id = data_attnum(catalog.users, "id");
	catalog.u_guid = data_attnum(catalog.users, "guid");
	catalog.u_name = data_attnum(catalog.users, "name");
	catalog.u_is_operator = data_attnum(catalog.users, "is_operator");

	catalog.s_id = data_attnum(catalog.sessions, "id");
	catalog.s_user_id = data_attnum(catalog.sessions, "user_id");
	catalog.s_last_updated = data_attnum(catalog.sessions, "last_updated");
	catalog.s_expires_at = data_attnum(catalog.sessions, "expires_at");
	catalog.s_idle_timeout = data_attnum(catalog.sessions, "idle_timeout");
	catalog.s_revoked_at = data_attnum(catalog.sessions, "revoked_at");
	catalog.s_smartphone = data_attnum(catalog.sessions, "smartphone");
	catalog.s_operating_system = data_attnum(catalog.sessions, "operating_system");
	catalog.s_application = data_attnum(catalog.sessions, "application");

	catalog.valid = true;
}

/* A column of a slot that must not be null. */
static Datum
slot_notnull(TupleTableSlot *slot, AttrNumber attnum)
{
	if (slot->tts_isnull[attnum - 1])
		elog(ERROR, "authsessions: unexpected null in column %d", attnum);
	return slot->tts_values[attnum - 1];
}

/* A nullable text column of a slot as a palloc'd C string, or NULL. */
static char *
slot_text(TupleTableSlot *slot, AttrNumber attnum)
{
	if (slot->tts_isnull[attnum - 1])
		return NULL;
	return TextDatumGetCString(slot->tts_values[attnum - 1]);
}

/*
 * Copy the user columns of the user row with the given key (equality on
 * the first column of index indexid) into row.  Returns false when there is
 * no such user.
 */
static bool
scan_user(Oid indexid, RegProcedure eqproc, Datum key, Snapshot snapshot,
		  SessionRow *row)
{
	Relation	rel = table_open(catalog.users, AccessShareLock);
	Relation	idx = index_open(indexid, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan;
	ScanKeyData skey;
	bool		found;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, eqproc, key);
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);

	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
	{
		slot_getallattrs(slot);
		row->user_id = DatumGetInt32(slot_notnull(slot, catalog.u_id));
		row->guid = DatumGetCString(DirectFunctionCall1(uuid_out,
														slot_notnull(slot, catalog.u_guid)));
		row->name = TextDatumGetCString(slot_notnull(slot, catalog.u_name));
		row->is_operator = DatumGetBool(slot_notnull(slot, catalog.u_is_operator));
	}

	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return found;
}

/* Copy the session columns of the slot's row into row. */
static void
copy_session(TupleTableSlot *slot, SessionRow *row)
{
	row->id = DatumGetInt64(slot_notnull(slot, catalog.s_id));
	row->user_id = DatumGetInt32(slot_notnull(slot, catalog.s_user_id));
	row->last_updated = DatumGetTimestampTz(slot_notnull(slot, catalog.s_last_updated));
	row->expires_at = DatumGetTimestampTz(slot_notnull(slot, catalog.s_expires_at));
	row->idle_timeout = DatumGetInt32(slot_notnull(slot, catalog.s_idle_timeout));
	row->smartphone = slot_text(slot, catalog.s_smartphone);
	row->operating_system = slot_text(slot, catalog.s_operating_system);
	row->application = slot_text(slot, catalog.s_application);
}

/* Is the slot's session active at the given moment? */
static bool
slot_active(TupleTableSlot *slot, TimestampTz now)
{
	return slot->tts_isnull[catalog.s_revoked_at - 1] &&
		DatumGetTimestampTz(slot_notnull(slot, catalog.s_expires_at)) > now;
}

/*
 * The active session whose token hashes to hash, with its user, into row.
 * Reads with the latest snapshot, so that under any isolation level a
 * revoke committed before the call is seen.  Returns false when there is no
 * such active session.
 */
bool
scan_session_by_token(const uint8 *hash, SessionRow *row)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Snapshot	snapshot;
	Relation	rel;
	Relation	idx;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	ScanKeyData skey;
	bool		found = false;

	catalog_load();
	snapshot = RegisterSnapshot(GetLatestSnapshot());

	rel = table_open(catalog.sessions, AccessShareLock);
	idx = index_open(catalog.sessions_token_hash_key, AccessShareLock);
	slot = table_slot_create(rel, NULL);

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_BYTEAEQ,
				PointerGetDatum(hash_to_bytea(hash)));
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);

	if (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		slot_getallattrs(slot);
		if (slot_active(slot, now))
		{
			copy_session(slot, row);
			found = true;
		}
	}

	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);

	/* the user row: the foreign key guarantees it, but a race could not */
	if (found)
		found = scan_user(catalog.users_pkey, F_INT4EQ,
						  Int32GetDatum(row->user_id), snapshot, row);

	UnregisterSnapshot(snapshot);
	return found;
}

/* qsort order of user_sessions: LastUpdated descending, then ID descending. */
static int
session_order(const void *a, const void *b)
{
	const SessionRow *x = (const SessionRow *) a;
	const SessionRow *y = (const SessionRow *) b;

	if (x->last_updated != y->last_updated)
		return x->last_updated > y->last_updated ? -1 : 1;
	if (x->id != y->id)
		return x->id > y->id ? -1 : 1;
	return 0;
}

/*
 * All active sessions of the user with that guid, in user_sessions order,
 * read with the caller's snapshot (these functions are STABLE).  Returns
 * their number and the palloc'd array in *rows; 0 for an unknown user.
 */
int
scan_user_sessions(Datum guid, SessionRow **rows)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Snapshot	snapshot = GetActiveSnapshot();
	SessionRow	user;
	Relation	rel;
	Relation	idx;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	ScanKeyData skey;
	int			n = 0;
	int			allocated = 16;
	SessionRow *result;

	catalog_load();
	*rows = NULL;
	if (!scan_user(catalog.users_guid_key, F_UUID_EQ, guid, snapshot, &user))
		return 0;

	result = palloc(sizeof(SessionRow) * allocated);
	rel = table_open(catalog.sessions, AccessShareLock);
	idx = index_open(catalog.sessions_user_id_idx, AccessShareLock);
	slot = table_slot_create(rel, NULL);

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(user.user_id));
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);

	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		slot_getallattrs(slot);
		if (!slot_active(slot, now))
			continue;
		if (n == allocated)
		{
			allocated *= 2;
			result = repalloc(result, sizeof(SessionRow) * allocated);
		}
		copy_session(slot, &result[n]);
		result[n].guid = user.guid;
		result[n].name = user.name;
		result[n].is_operator = user.is_operator;
		n++;
	}

	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);

	qsort(result, n, sizeof(SessionRow), session_order);
	*rows = result;
	return n;
}
