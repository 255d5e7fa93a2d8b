/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  The reads, by index scans through the table and index access methods:
 *	  the session of a token (validate, which first reads the row where the
 *	  token's locator says), the session of an ID (check_request), the sessions of a user (user_sessions, through
 *	  sessions_user_id_idx) and the users with an active session (list, from
 *	  the users' summary, summary.c).
 *
 * These run on every request (and list walks many users), so they skip SPI
 * and the planner: they open
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
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "compat.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "scan.h"
#include "storage/bufmgr.h"
#include "summary.h"
#include "token.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

/* What the index scans need to know about the tables */
typedef struct ScanCatalog
{
	bool		valid;
	Oid			users;
	Oid			users_pkey;
	Oid			users_guid_key;
	Oid			sessions;
	Oid			sessions_pkey;
	Oid			sessions_token_hash_key;
	Oid			sessions_user_id_idx;
	Oid			users_listed_name_guid_idx;
	/* users columns */
	AttrNumber	u_id;
	AttrNumber	u_guid;
	AttrNumber	u_name;
	AttrNumber	u_is_operator;
	AttrNumber	u_session_expiries;
	/* sessions columns */
	AttrNumber	s_id;
	AttrNumber	s_user_id;
	AttrNumber	s_last_updated;
	AttrNumber	s_expires_at;
	AttrNumber	s_idle_timeout;
	AttrNumber	s_revoked_at;
	AttrNumber	s_revoked_by;
	AttrNumber	s_token_hash;
	AttrNumber	s_user_guid;
	AttrNumber	s_user_name;
	AttrNumber	s_user_is_operator;
	AttrNumber	s_smartphone;
	AttrNumber	s_operating_system;
	AttrNumber	s_application;
	AttrNumber	s_created_at;
	AttrNumber	s_max_expires_at;
	AttrNumber	s_end_reason;
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
				 errhint("The tables of the extension authsessions are missing or renamed: restore them (pg_dump keeps their data) or rename them back.")));
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

/*
 * Is the schema the one this library's statements need?  After a package
 * upgrade the 1.1 library runs against 1.0's tables until ALTER EXTENSION
 * UPDATE: every function then refuses with 55000 (its statements would
 * fail, or worse, answer from 1.0's summary) instead of guessing.
 */
static void
check_schema_version(Oid sessions)
{
	if (get_attnum(sessions, "revoked_by_role") == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the authsessions library is newer than its objects in this database"),
				 errdetail("The installed library needs version 1.1 of the extension's tables and functions."),
				 errhint("Run ALTER EXTENSION authsessions UPDATE in this database.")));
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
	catalog.sessions_pkey = data_relid(nsp, "sessions_pkey");
	catalog.sessions_token_hash_key = data_relid(nsp, "sessions_token_hash_key");
	catalog.sessions_user_id_idx = data_relid(nsp, "sessions_user_id_idx");
	check_schema_version(catalog.sessions);
	catalog.users_listed_name_guid_idx = data_relid(nsp, "users_listed_name_guid_idx");

	catalog.u_id = data_attnum(catalog.users, "id");
	catalog.u_guid = data_attnum(catalog.users, "guid");
	catalog.u_name = data_attnum(catalog.users, "name");
	catalog.u_is_operator = data_attnum(catalog.users, "is_operator");
	catalog.u_session_expiries = data_attnum(catalog.users, "session_expiries");

	catalog.s_id = data_attnum(catalog.sessions, "id");
	catalog.s_user_id = data_attnum(catalog.sessions, "user_id");
	catalog.s_last_updated = data_attnum(catalog.sessions, "last_updated");
	catalog.s_expires_at = data_attnum(catalog.sessions, "expires_at");
	catalog.s_idle_timeout = data_attnum(catalog.sessions, "idle_timeout");
	catalog.s_revoked_at = data_attnum(catalog.sessions, "revoked_at");
	catalog.s_revoked_by = data_attnum(catalog.sessions, "revoked_by");
	catalog.s_token_hash = data_attnum(catalog.sessions, "token_hash");
	catalog.s_user_guid = data_attnum(catalog.sessions, "user_guid");
	catalog.s_user_name = data_attnum(catalog.sessions, "user_name");
	catalog.s_user_is_operator = data_attnum(catalog.sessions, "user_is_operator");
	catalog.s_smartphone = data_attnum(catalog.sessions, "smartphone");
	catalog.s_operating_system = data_attnum(catalog.sessions, "operating_system");
	catalog.s_application = data_attnum(catalog.sessions, "application");
	catalog.s_created_at = data_attnum(catalog.sessions, "created_at");
	catalog.s_max_expires_at = data_attnum(catalog.sessions, "max_expires_at");
	catalog.s_end_reason = data_attnum(catalog.sessions, "end_reason");

	catalog.valid = true;
}

/*
 * Load the catalog if needed: raises when the tables are missing, and with
 * 55000 when they are older than this library (check_schema_version).
 */
void
as_scan_check_catalog(void)
{
	catalog_load();
}

/*
 * The text form of a uuid (as uuid_out writes it: 36 lower-case characters
 * in 8-4-4-4-12 groups), palloc'd; list formats one per row, so without a
 * function call.
 */
static char *
uuid_text(Datum value)
{
	static const char hex[] = "0123456789abcdef";
	const pg_uuid_t *uuid = DatumGetUUIDP(value);
	char	   *buf = palloc(2 * UUID_LEN + 5);
	char	   *p = buf;
	int			i;

	for (i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid->data[i] >> 4];
		*p++ = hex[uuid->data[i] & 0x0F];
	}
	*p = '\0';
	return buf;
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
 * Look up the row of rel (open) whose key, the first column of its unique
 * index indexid, equals key (eqproc), as snapshot sees it, into slot.
 * Returns false when there is none.  The index is opened with lockmode,
 * which stays held to the end of the transaction, as the executor keeps it.
 */
static bool
scan_by_key(Relation rel, Oid indexid, LOCKMODE lockmode, RegProcedure eqproc,
			Datum key, Snapshot snapshot, TupleTableSlot *slot)
{
	Relation	idx = index_open(indexid, lockmode);
	IndexScanDesc scan;
	ScanKeyData skey;
	bool		found;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, eqproc, key);
	scan = compat_index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	index_close(idx, NoLock);
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
	row->created_at = DatumGetTimestampTz(slot_notnull(slot, catalog.s_created_at));
	if (slot->tts_isnull[catalog.s_max_expires_at - 1])
		TIMESTAMP_NOEND(row->max_expires_at);
	else
		row->max_expires_at = DatumGetTimestampTz(slot->tts_values[catalog.s_max_expires_at - 1]);
	row->smartphone = slot_text(slot, catalog.s_smartphone);
	row->operating_system = slot_text(slot, catalog.s_operating_system);
	row->application = slot_text(slot, catalog.s_application);
}

/*
 * Is the slot's session (deformed: slot_getallattrs) active at the given
 * moment?
 */
static bool
scan_session_active(TupleTableSlot *slot, TimestampTz now)
{
	return slot->tts_isnull[catalog.s_revoked_at - 1] &&
		DatumGetTimestampTz(slot_notnull(slot, catalog.s_expires_at)) > now;
}

/*
 * When the slot's session is active at now, copy it with its user's fields
 * (from the row's copies: no users lookup) into row; false otherwise.
 */
static bool
copy_active_session(TupleTableSlot *slot, TimestampTz now, SessionRow *row)
{
	slot_getallattrs(slot);
	if (!scan_session_active(slot, now))
		return false;
	copy_session(slot, row);
	row->guid = uuid_text(slot_notnull(slot, catalog.s_user_guid));
	row->name = TextDatumGetCString(slot_notnull(slot, catalog.s_user_name));
	row->is_operator = DatumGetBool(slot_notnull(slot, catalog.s_user_is_operator));
	return true;
}

/*
 * Fetch into slot the version of the row at locator that snapshot sees, if
 * that row is the session with this token hash.  The locator comes from the
 * client: it is checked against the relation's size (as a TID scan does),
 * and heap_hot_search_buffer (through the table AM) rejects any line pointer
 * that is out of range or does not start a HOT chain.  The hash comparison
 * takes the same time whatever the bytes.
 */
static bool
fetch_session_at(Relation rel, ItemPointer locator, const uint8 *hash,
				 Snapshot snapshot, TupleTableSlot *slot)
{
	IndexFetchTableData *fetch;
	ItemPointerData tid = *locator;
	bool		call_again = false;
	bool		all_dead = false;
	bool		found;

	if (!ItemPointerIsValid(&tid) ||
		ItemPointerGetBlockNumber(&tid) >= RelationGetNumberOfBlocks(rel))
		return false;

	fetch = table_index_fetch_begin(rel);
	found = table_index_fetch_tuple(fetch, &tid, snapshot, slot,
									&call_again, &all_dead);
	table_index_fetch_end(fetch);

	if (found)
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, catalog.s_token_hash, &isnull);
		bytea	   *stored;

		if (isnull)
			return false;
		stored = DatumGetByteaPP(d);
		found = VARSIZE_ANY_EXHDR(stored) == AUTHSESSIONS_HASH_BYTES &&
			timingsafe_bcmp(VARDATA_ANY(stored), hash,
							AUTHSESSIONS_HASH_BYTES) == 0;
	}
	return found;
}

/*
 * A read of one session row with the latest snapshot, so that under any
 * isolation level a revoke committed before the call is seen: the two
 * lookups of a single session below open it (session_read_begin), put the
 * row they find into slot, and close it (session_read_end).
 */
typedef struct SessionRead
{
	Snapshot	snapshot;		/* registered */
	Relation	rel;			/* sessions */
	TupleTableSlot *slot;
} SessionRead;

/* Open a read of one session row. */
static void
session_read_begin(SessionRead *lookup)
{
	catalog_load();
	lookup->snapshot = RegisterSnapshot(GetLatestSnapshot());
	lookup->rel = table_open(catalog.sessions, AccessShareLock);
	lookup->slot = table_slot_create(lookup->rel, NULL);
}

/*
 * Close a read: when found (a row is in the slot) and that session is
 * active, copy it with its user's fields (copy_active_session) into row and
 * return true; false otherwise.
 */
static bool
session_read_end(SessionRead *lookup, bool found, SessionRow *row)
{
	found = found &&
		copy_active_session(lookup->slot, GetCurrentTransactionStartTimestamp(),
							row);
	ExecDropSingleTupleTableSlot(lookup->slot);
	table_close(lookup->rel, NoLock);
	UnregisterSnapshot(lookup->snapshot);
	return found;
}

/*
 * The active session of a token: its hash, and the locator the token
 * carries.  The row is read where the locator says, and looked up by hash in
 * the unique index only when it is not there (the row moved, or the locator
 * is wrong), so that a moved row costs one more page and a forged locator
 * finds nothing it could not find by hash.
 *
 * The user's guid, name and is_operator come from the session row's copies,
 * which create_session and upsert_user keep equal to the user row's in the
 * same transactions (store.c), so no user row is read.
 *
 * Reads with the latest snapshot (SessionRead).  Returns false when there is
 * no such active session.
 */
bool
as_scan_session_by_token(const uint8 *hash, ItemPointer locator,
						 SessionRow *row)
{
	SessionRead lookup;
	bool		found;

	session_read_begin(&lookup);
	found = fetch_session_at(lookup.rel, locator, hash, lookup.snapshot,
							 lookup.slot) ||
		scan_by_key(lookup.rel, catalog.sessions_token_hash_key,
					AccessShareLock, F_BYTEAEQ,
					PointerGetDatum(as_token_hash_bytea(hash)),
					lookup.snapshot, lookup.slot);
	return session_read_end(&lookup, found, row);
}

/*
 * The active session with this ID (check_request's one primary-key lookup),
 * read like as_scan_session_by_token: latest snapshot, the user's fields
 * from the session row's copies.  False when there is no such active
 * session.
 */
bool
as_scan_session_by_id(int64 id, SessionRow *row)
{
	SessionRead lookup;
	bool		found;

	session_read_begin(&lookup);
	found = scan_by_key(lookup.rel, catalog.sessions_pkey, AccessShareLock,
						F_INT8EQ, Int64GetDatum(id), lookup.snapshot,
						lookup.slot);
	return session_read_end(&lookup, found, row);
}

/*
 * The order of the paged lists, latest first: x before y (-1) when its
 * moment is later, or at the same moment when its ID is higher.
 */
static int
latest_first(TimestampTz x_at, int64 x_id, TimestampTz y_at, int64 y_id)
{
	if (x_at != y_at)
		return x_at > y_at ? -1 : 1;
	if (x_id != y_id)
		return x_id > y_id ? -1 : 1;
	return 0;
}

/* qsort order of user_sessions: LastUpdated descending, then ID descending. */
static int
session_order(const void *a, const void *b)
{
	const SessionRow *x = (const SessionRow *) a;
	const SessionRow *y = (const SessionRow *) b;

	return latest_first(x->last_updated, x->id, y->last_updated, y->id);
}

/* qsort order of row pointers: descending (the newest rows first). */
static int
tid_descending(const void *a, const void *b)
{
	return -ItemPointerCompare((ItemPointer) a, (ItemPointer) b);
}

/* qsort comparator of timestamps, ascending. */
static int
timestamp_ascending(const void *a, const void *b)
{
	TimestampTz x = *(const TimestampTz *) a;
	TimestampTz y = *(const TimestampTz *) b;

	return (x > y) - (x < y);
}

/*
 * The index of an element of expiries (sorted ascending, n of them) equal
 * to expiry and not matched yet, or -1 when there is none.
 */
static int64
match_expiry(const TimestampTz *expiries, const bool *matched, int64 n,
			 TimestampTz expiry)
{
	int64		lo = 0;
	int64		hi = n;

	/* the first element not below expiry */
	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (expiries[mid] < expiry)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && expiries[lo] == expiry; lo++)
		if (!matched[lo])
			return lo;
	return -1;
}

/*
 * A look-up of the users row with a guid: user_lookup_begin opens users and
 * reads the row that snapshot sees into slot, user_lookup_end closes it.
 */
typedef struct UserLookup
{
	Relation	rel;			/* users */
	TupleTableSlot *slot;		/* the row, when found */
} UserLookup;

/* Open a look-up of the user with that guid: false when there is none. */
static bool
user_lookup_begin(UserLookup *lookup, Datum guid, Snapshot snapshot)
{
	lookup->rel = table_open(catalog.users, AccessShareLock);
	lookup->slot = table_slot_create(lookup->rel, NULL);
	return scan_by_key(lookup->rel, catalog.users_guid_key, AccessShareLock,
					   F_UUID_EQ, guid, snapshot, lookup->slot);
}

/* Close a look-up; its lock stays held to the end of the transaction. */
static void
user_lookup_end(UserLookup *lookup)
{
	ExecDropSingleTupleTableSlot(lookup->slot);
	table_close(lookup->rel, NoLock);
}

/*
 * A walk over every session row of one user that a snapshot sees: the
 * user's entries of sessions_user_id_idx first, then the rows in
 * descending row order (newest first, mostly), so that each heap page is
 * read once.  user_rows_begin opens it, user_rows_next puts the next row
 * into slot (deformed), user_rows_end closes it.
 */
typedef struct UserRows
{
	Relation	rel;			/* sessions */
	Relation	idx;			/* sessions_user_id_idx */
	TupleTableSlot *slot;		/* the current row */
	Snapshot	snapshot;
	IndexFetchTableData *fetch;
	ItemPointerData *tids;		/* the user's entries, sorted */
	int			ntids;
	int			next;			/* the next of tids to fetch */
} UserRows;

/* Open the walk over the rows of the user user_id that snapshot sees. */
static void
user_rows_begin(UserRows *walk, int32 user_id, Snapshot snapshot)
{
	IndexScanDesc scan;
	ScanKeyData skey;
	ItemPointer tid;
	int			allocated = 16;

	walk->rel = table_open(catalog.sessions, AccessShareLock);
	walk->idx = index_open(catalog.sessions_user_id_idx, AccessShareLock);
	walk->slot = table_slot_create(walk->rel, NULL);
	walk->snapshot = snapshot;
	walk->ntids = 0;
	walk->next = 0;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(user_id));
	scan = compat_index_beginscan(walk->rel, walk->idx, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);

	walk->tids = palloc(sizeof(ItemPointerData) * allocated);
	while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		if (walk->ntids == allocated)
		{
			allocated *= 2;
			walk->tids = repalloc(walk->tids,
								  sizeof(ItemPointerData) * allocated);
		}
		walk->tids[walk->ntids++] = *tid;
	}
	index_endscan(scan);
	qsort(walk->tids, walk->ntids, sizeof(ItemPointerData), tid_descending);

	walk->fetch = table_index_fetch_begin(walk->rel);
}

/*
 * The next row of the walk into walk->slot, deformed (slot_getallattrs):
 * of each entry, the version of its (HOT) chain that the snapshot sees;
 * entries with none are skipped.  False at the end.
 */
static bool
user_rows_next(UserRows *walk)
{
	while (walk->next < walk->ntids)
	{
		bool		call_again = false;

		CHECK_FOR_INTERRUPTS();
		if (!table_index_fetch_tuple(walk->fetch, &walk->tids[walk->next++],
									 walk->snapshot, walk->slot,
									 &call_again, NULL))
			continue;
		pgstat_count_heap_fetch(walk->idx);
		slot_getallattrs(walk->slot);
		return true;
	}
	return false;
}

/* Close the walk; its locks stay held to the end of the transaction. */
static void
user_rows_end(UserRows *walk)
{
	table_index_fetch_end(walk->fetch);
	ExecDropSingleTupleTableSlot(walk->slot);
	index_close(walk->idx, NoLock);
	table_close(walk->rel, NoLock);
	pfree(walk->tids);
}

/*
 * All active sessions of the user with that guid, in user_sessions order,
 * read with the caller's snapshot (these functions are STABLE).  Returns
 * their number and the palloc'd array in *rows; 0 for an unknown user.
 *
 * The user row by guid, then the user's sessions through
 * sessions_user_id_idx, newest row first, until as many active sessions as
 * the user's summary counts have been found: the cost is about the user's
 * active sessions when they are the newest rows, at most every session not
 * yet purged (ended ones included), one row each; nothing at all for a user
 * whose summary holds no active expiry.  A malformed summary (list raises
 * XX001 for it) makes it read every row.  The user's fields come from the
 * user row.
 */
int
as_scan_user_sessions(Datum guid, SessionRow **rows)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Snapshot	snapshot = GetActiveSnapshot();
	SessionRow	user = {0};
	UserLookup	lookup;
	UserRows	walk;
	int			n = 0;
	int			allocated = 16;
	bool		found;
	SessionRow *result;
	TimestampTz *expiries = NULL;
	bool	   *matched = NULL;
	int64		nexpiries = 0;
	int64		nmatched = 0;
	bool		mismatch = false;

	catalog_load();
	*rows = NULL;

	found = user_lookup_begin(&lookup, guid, snapshot);
	if (found)
	{
		TupleTableSlot *slot = lookup.slot;

		slot_getallattrs(slot);
		user.user_id = DatumGetInt32(slot_notnull(slot, catalog.u_id));
		user.guid = uuid_text(slot_notnull(slot, catalog.u_guid));
		user.name = TextDatumGetCString(slot_notnull(slot, catalog.u_name));
		user.is_operator = DatumGetBool(slot_notnull(slot, catalog.u_is_operator));
		nexpiries = as_summary_active_expiries(slot_notnull(slot, catalog.u_session_expiries),
											   now, &expiries);
	}
	user_lookup_end(&lookup);
	if (!found || nexpiries == 0)
		return 0;
	if (nexpiries < 0)
	{
		/* a malformed summary (list reports it): read every row */
		mismatch = true;
		nexpiries = 0;
	}
	else
	{
		qsort(expiries, nexpiries, sizeof(TimestampTz), timestamp_ascending);
		matched = palloc0(sizeof(bool) * nexpiries);
	}

	/*
	 * The rows stop being read once every active expiry of the summary (the
	 * same snapshot's: the writers rewrite it in the statement that changes
	 * a session) has been matched by an active session with that expiry:
	 * the rest can only be ended sessions.  An active session that matches
	 * none (a row written around the API, a DBA's trigger changing
	 * expires_at) means the summary is off, and then every row is read.
	 */
	result = palloc(sizeof(SessionRow) * allocated);
	user_rows_begin(&walk, user.user_id, snapshot);
	while ((mismatch || nmatched < nexpiries) && user_rows_next(&walk))
	{
		if (!scan_session_active(walk.slot, now))
			continue;
		if (n == allocated)
		{
			allocated *= 2;
			result = repalloc(result, sizeof(SessionRow) * allocated);
		}
		copy_session(walk.slot, &result[n]);
		result[n].guid = user.guid;
		result[n].name = user.name;
		result[n].is_operator = user.is_operator;
		if (!mismatch)
		{
			int64		j = match_expiry(expiries, matched, nexpiries,
										 result[n].expires_at);

			if (j < 0)
				mismatch = true;
			else
			{
				matched[j] = true;
				nmatched++;
			}
		}
		n++;
	}
	user_rows_end(&walk);

	qsort(result, n, sizeof(SessionRow), session_order);
	*rows = result;
	return n;
}

/* qsort order of ended_sessions: EndedAt descending, then ID descending. */
static int
ended_order(const void *a, const void *b)
{
	const EndedRow *x = (const EndedRow *) a;
	const EndedRow *y = (const EndedRow *) b;

	return latest_first(x->ended_at, x->id, y->ended_at, y->id);
}

/*
 * The ended sessions of the user with that guid (read with the caller's
 * snapshot, ended at its transaction's start as for user_sessions), sorted
 * by ended_order into *rows; returns how many (0 for an unknown user).
 * Every row of the user not yet purged is read, through
 * sessions_user_id_idx and in row order (each heap page once): the cost is
 * in proportion to the user's sessions, never the table.
 */
int
as_scan_ended_sessions(Datum guid, EndedRow **rows)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Snapshot	snapshot = GetActiveSnapshot();
	UserLookup	lookup;
	UserRows	walk;
	int			n = 0;
	int			allocated = 16;
	int32		user_id = 0;
	bool		found;
	EndedRow   *result;

	catalog_load();
	*rows = NULL;

	found = user_lookup_begin(&lookup, guid, snapshot);
	if (found)
	{
		slot_getsomeattrs(lookup.slot, catalog.u_id);
		user_id = DatumGetInt32(slot_notnull(lookup.slot, catalog.u_id));
	}
	user_lookup_end(&lookup);
	if (!found)
		return 0;

	result = palloc(sizeof(EndedRow) * allocated);
	user_rows_begin(&walk, user_id, snapshot);
	while (user_rows_next(&walk))
	{
		TupleTableSlot *slot = walk.slot;
		EndedRow   *row;

		if (scan_session_active(slot, now))
			continue;
		if (n == allocated)
		{
			allocated *= 2;
			result = repalloc(result, sizeof(EndedRow) * allocated);
		}
		row = &result[n++];
		row->id = DatumGetInt64(slot_notnull(slot, catalog.s_id));
		if (slot->tts_isnull[catalog.s_revoked_at - 1])
		{
			/* it expired: no one ended it */
			row->ended_at = DatumGetTimestampTz(slot_notnull(slot, catalog.s_expires_at));
			row->ended_by = NULL;
			row->end_reason = NULL;
		}
		else
		{
			row->ended_at = DatumGetTimestampTz(slot_notnull(slot, catalog.s_revoked_at));
			row->ended_by = slot_text(slot, catalog.s_revoked_by);
			row->end_reason = slot_text(slot, catalog.s_end_reason);
		}
	}
	user_rows_end(&walk);

	qsort(result, n, sizeof(EndedRow), ended_order);
	*rows = result;
	return n;
}

/*
 * The name of the user with that guid, for a list cursor, read with the
 * caller's snapshot; NULL for an unknown user.
 */
text *
as_scan_user_name(Datum guid)
{
	UserLookup	lookup;
	text	   *name = NULL;

	catalog_load();
	if (user_lookup_begin(&lookup, guid, GetActiveSnapshot()))
	{
		slot_getsomeattrs(lookup.slot, catalog.u_name);
		name = DatumGetTextPCopy(slot_notnull(lookup.slot, catalog.u_name));
	}
	user_lookup_end(&lookup);
	return name;
}

/*
 * Does the user key (name, guid) come after the cursor?  Names compare as
 * bytes (the column is COLLATE "C"), guids as uuid does (bytes).
 */
static bool
after_cursor(text *name, pg_uuid_t *guid, text *cursor_name,
			 pg_uuid_t *cursor_guid)
{
	int			len1 = VARSIZE_ANY_EXHDR(name);
	int			len2 = VARSIZE_ANY_EXHDR(cursor_name);
	int			cmp = memcmp(VARDATA_ANY(name), VARDATA_ANY(cursor_name),
							 Min(len1, len2));

	if (cmp == 0)
		cmp = (len1 > len2) - (len1 < len2);
	if (cmp == 0)
		cmp = memcmp(guid->data, cursor_guid->data, UUID_LEN);
	return cmp > 0;
}

/*
 * Does the listed-users index hold at most limit entries?  Each visible
 * listed user has exactly one entry (that of its HOT chain), dead ones may
 * have more, so when the answer is yes no more than limit users can have an
 * active session, whatever the heap says.  Reads only the index (entries
 * already known dead to everybody are skipped), and stops at limit + 1.
 * Under SERIALIZABLE the index scan's page locks cover the entries a new
 * listed user would add, the only change that could make the bound wrong.
 */
static bool
listed_at_most(Relation rel, Relation idx, Snapshot snapshot, int64 limit)
{
	IndexScanDesc scan = compat_index_beginscan(rel, idx, snapshot, 0, 0);
	int64		entries = 0;

	index_rescan(scan, NULL, 0, NULL, 0);
	while (entries <= limit &&
		   index_getnext_tid(scan, ForwardScanDirection) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		entries++;
	}
	index_endscan(scan);
	return entries <= limit;
}

/*
 * list: walk the listed users in (name, guid) order with the caller's
 * snapshot, keep those with an active session, skip offset of them (or those
 * up to the cursor, when cursor_name is not NULL) and return up to limit,
 * with their session counts, in *rows.  With want_total it walks on to the
 * end and sets *total (all such users) and *first (those before the page).
 * Returns the number of rows.  Cost: the users walked, one heap fetch
 * each (index_getnext_slot); no session is read (the summary,
 * users.session_expiries, has the count: summary.c).  A page
 * by number starts with a look at the index alone: when it holds no more
 * entries than the page skips, the page is past the end and no row is read.
 */
int
as_scan_list(text *cursor_name, pg_uuid_t *cursor_guid, int64 offset,
			 int limit, bool want_total, ListRow **rows, int64 *first,
			 int64 *total)
{
	Snapshot	snapshot = GetActiveSnapshot();
	Relation	rel;
	Relation	idx;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	ScanKeyData skey;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	ListRow    *result = palloc(sizeof(ListRow) * Max(limit, 1));
	int			n = 0;
	int64		seen = 0;		/* users with an active session walked */
	int64		skipped = 0;	/* of those, before the page */
	bool		past_end;

	catalog_load();
	rel = table_open(catalog.users, AccessShareLock);
	idx = index_open(catalog.users_listed_name_guid_idx, AccessShareLock);

	/*
	 * A page past the end (a client paging on): known without the heap.  The
	 * count costs a pass over the index entries before the page, about a
	 * tenth of the walk, so it is skipped when the index's size estimate
	 * (VACUUM's and ANALYZE's; -1 before either) says the index holds well
	 * over offset entries.  The estimate decides how fast, never what, list
	 * answers.
	 */
	past_end = cursor_name == NULL && !want_total && offset > 0 &&
		(idx->rd_rel->reltuples < 0 ||
		 idx->rd_rel->reltuples <= 2.0 * (double) offset) &&
		listed_at_most(rel, idx, snapshot, offset);

	if (!past_end)
	{
		slot = table_slot_create(rel, NULL);

		/*
		 * Without a total, a keyset walk starts at the cursor's name;
		 * otherwise from the first listed user.
		 */
		if (cursor_name != NULL && !want_total)
		{
			ScanKeyEntryInitialize(&skey, 0, 1, BTGreaterEqualStrategyNumber,
								   InvalidOid, C_COLLATION_OID, F_TEXT_GE,
								   PointerGetDatum(cursor_name));
			scan = compat_index_beginscan(rel, idx, snapshot, 1, 0);
			index_rescan(scan, &skey, 1, NULL, 0);
		}
		else
		{
			scan = compat_index_beginscan(rel, idx, snapshot, 0, 0);
			index_rescan(scan, NULL, 0, NULL, 0);
		}

		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		in_page;
			int64		count;

			CHECK_FOR_INTERRUPTS();
			slot_getallattrs(slot);
			count = as_summary_active_count(slot_notnull(slot, catalog.u_session_expiries),
											DatumGetInt32(slot_notnull(slot, catalog.u_id)),
											now);
			if (count == 0)
				continue;
			seen++;

			if (cursor_name != NULL)
				in_page = after_cursor(DatumGetTextPP(slot_notnull(slot, catalog.u_name)),
									   DatumGetUUIDP(slot_notnull(slot, catalog.u_guid)),
									   cursor_name, cursor_guid);
			else
				in_page = seen > offset;

			if (!in_page)
			{
				skipped++;
				continue;
			}
			if (n < limit)
			{
				ListRow    *row = &result[n++];

				row->guid = uuid_text(slot_notnull(slot, catalog.u_guid));
				row->name = TextDatumGetCString(slot_notnull(slot, catalog.u_name));
				row->is_operator = DatumGetBool(slot_notnull(slot, catalog.u_is_operator));
				row->session_count = count;
			}
			else if (!want_total)
				break;
		}

		index_endscan(scan);
		ExecDropSingleTupleTableSlot(slot);
	}

	index_close(idx, NoLock);
	table_close(rel, NoLock);

	*rows = result;
	if (first)
		*first = skipped;
	if (total)
		*total = seen;
	return n;
}
