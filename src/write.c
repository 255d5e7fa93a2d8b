/*-------------------------------------------------------------------------
 *
 * write.c
 *	  The hot writer by direct row updates: ending one active session (revoke
 *	  and end_session) and taking its expiry out of its user's summary,
 *	  without SPI or the executor.
 *
 * It makes the two single-row updates the SQL statement END_ACTIVE_SESSION
 * of store.c makes, the way the executor runs an UPDATE:
 *	- find the row by its unique key with a new snapshot, taken after
 *	  CommandCounterIncrement so that the transaction's earlier changes are
 *	  seen (as SPI does for each statement), and check the condition;
 *	- lock the row (FOR NO KEY UPDATE, waiting for its other writers).  Under
 *	  READ COMMITTED, when another transaction changed it meanwhile, follow
 *	  its update chain to the latest version and check the condition again
 *	  there (what EvalPlanQual does); under REPEATABLE READ and SERIALIZABLE
 *	  a row changed since the transaction's snapshot raises 40001, as UPDATE
 *	  does;
 *	- write the new version (heap_update: HOT when no indexed column changes
 *	  and the page has room, else the indexes get their entries through
 *	  ExecInsertIndexTuples).
 * The session row is locked before its user's row, the order every writer
 * keeps (see store.c).
 *
 * What the executor would do besides: fire triggers (the tables have only
 * their foreign keys' triggers, and an update that changes no key column
 * fires none of them), apply row-level security, and check privileges (the
 * functions run as the tables' owner).  When someone has added an UPDATE
 * trigger or enabled row-level security on either table, write_end_session
 * makes the change with the SQL statement instead (store.c), which does all
 * of that.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "authsessions.h"

/*
 * Would an UPDATE of rel run anything a direct update skips: a trigger that
 * is not a foreign key's, a deferrable foreign key's (whose check at commit
 * an UPDATE of a row inserted by the same transaction must queue again), or
 * row-level security?
 */
static bool
needs_executor(Relation rel)
{
	TriggerDesc *trigdesc = rel->trigdesc;
	int			i;

	if (rel->rd_rel->relrowsecurity)
		return true;
	if (trigdesc == NULL)
		return false;
	for (i = 0; i < trigdesc->numtriggers; i++)
	{
		Trigger    *trigger = &trigdesc->triggers[i];

		if (TRIGGER_FOR_UPDATE(trigger->tgtype) &&
			(trigger->tgdeferrable ||
			 RI_FKey_trigger_type(trigger->tgfoid) == RI_TRIGGER_NONE))
			return true;
	}
	return false;
}

/*
 * Lock the row in slot for an update (FOR NO KEY UPDATE), waiting for its
 * other writers.  Under READ COMMITTED the lock goes to its latest version,
 * and *newer says whether that is a later version than the one in slot;
 * slot then holds the locked version.  Returns false when the row was
 * deleted meanwhile.  Under REPEATABLE READ and SERIALIZABLE a row changed
 * or deleted since the transaction's snapshot raises 40001.
 */
static bool
lock_row(Relation rel, TupleTableSlot *slot, Snapshot snapshot,
		 CommandId cid, bool *newer)
{
	bool		xact_snapshot = IsolationUsesXactSnapshot();
	ItemPointerData tid = slot->tts_tid;
	TM_FailureData tmfd;
	TM_Result	result;

	result = table_tuple_lock(rel, &tid, snapshot, slot, cid,
							  LockTupleNoKeyExclusive, LockWaitBlock,
							  xact_snapshot ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
							  &tmfd);
	switch (result)
	{
		case TM_Ok:
			*newer = tmfd.traversed;
			return true;
		case TM_Updated:
		case TM_Deleted:
			if (xact_snapshot)
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent %s",
								result == TM_Updated ? "update" : "delete")));
			if (result == TM_Deleted)
				return false;
			/* following the update chain never ends on an updated row */
			elog(ERROR, "authsessions: row of \"%s\" updated while locked",
				 RelationGetRelationName(rel));
			break;
		default:
			/* after CommandCounterIncrement, our own changes are all seen */
			elog(ERROR, "authsessions: unexpected result %d locking a row of \"%s\"",
				 (int) result, RelationGetRelationName(rel));
			break;
	}
	return false;				/* keep the compiler quiet */
}

/*
 * Write a new version of the locked row in oldslot, with the columns
 * attnums[0..n-1] set to values (not null), through the table AM; the
 * indexes get entries when the update is not HOT.
 */
static void
update_row(Relation rel, TupleTableSlot *oldslot, int n,
		   const AttrNumber *attnums, const Datum *values, Snapshot snapshot)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TupleTableSlot *newslot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	bool		update_indexes;
	int			i;

	/*
	 * The unchanged values point into the old version's buffer page, which
	 * oldslot keeps pinned until the new version has been formed.
	 */
	slot_getallattrs(oldslot);
	ExecClearTuple(newslot);
	memcpy(newslot->tts_values, oldslot->tts_values, desc->natts * sizeof(Datum));
	memcpy(newslot->tts_isnull, oldslot->tts_isnull, desc->natts * sizeof(bool));
	for (i = 0; i < n; i++)
	{
		newslot->tts_values[attnums[i] - 1] = values[i];
		newslot->tts_isnull[attnums[i] - 1] = false;
	}
	ExecStoreVirtualTuple(newslot);

	simple_table_tuple_update(rel, &oldslot->tts_tid, newslot, snapshot,
							  &update_indexes);

	if (update_indexes)
	{
		EState	   *estate = CreateExecutorState();
		ResultRelInfo *rri = makeNode(ResultRelInfo);

		/*
		 * No range table: ExecInsertIndexTuples then takes no column as
		 * updated, and tells each index its key is unchanged (true: no
		 * indexed column changes), which lets a B-tree delete the older
		 * versions' entries bottom-up, as it would after an UPDATE.
		 */
		InitResultRelInfo(rri, rel, 0, NULL, 0);
		ExecOpenIndices(rri, false);
		list_free(ExecInsertIndexTuples(rri, newslot, estate, true, false,
										NULL, NIL));
		ExecCloseIndices(rri);
		FreeExecutorState(estate);
	}
	ExecDropSingleTupleTableSlot(newslot);
}

/*
 * The user's session_expiries (the user row in slot) without one occurrence
 * of expiry, or unchanged when it has none (purge may have removed a
 * leftover already).  A malformed array raises XX001, as list does.
 */
static Datum
expiries_without(const ScanCatalog *cat, TupleTableSlot *slot,
				 TimestampTz expiry)
{
	ArrayType  *arr;
	Datum	   *elems;
	int			nelems;
	int			i;

	slot_getallattrs(slot);
	if (slot->tts_isnull[cat->u_id - 1] ||
		slot->tts_isnull[cat->u_session_expiries - 1])
		elog(ERROR, "authsessions: unexpected null in a users row");
	arr = scan_expiries(slot->tts_values[cat->u_session_expiries - 1],
							DatumGetInt32(slot->tts_values[cat->u_id - 1]),
							&elems, &nelems);
	for (i = 0; i < nelems; i++)
	{
		if (DatumGetTimestampTz(elems[i]) == expiry)
		{
			memmove(&elems[i], &elems[i + 1], (nelems - i - 1) * sizeof(Datum));
			return PointerGetDatum(construct_array(elems, nelems - 1,
												   TIMESTAMPTZOID,
												   sizeof(TimestampTz), true,
												   TYPALIGN_DOUBLE));
		}
	}
	return PointerGetDatum(arr);
}

/*
 * The id of a session_entry, its first attribute: a bigint (scan.c checks
 * the type) and so at the start of the entry's data, where any attribute
 * aligned as a double starts.  False for a NULL id (a summary edited by
 * hand).
 */
static bool
entry_id(HeapTupleHeader entry, int64 *id)
{
	if (HeapTupleHeaderGetNatts(entry) < 1 ||
		((entry->t_infomask & HEAP_HASNULL) && att_isnull(0, entry->t_bits)))
		return false;
	if (HeapTupleHeaderGetDatumLength(entry) < entry->t_hoff + sizeof(int64))
		elog(ERROR, "authsessions: session entry too short");
	memcpy(id, (char *) entry + entry->t_hoff, sizeof(int64));
	return true;
}

/*
 * The user's session_entries (the user row in slot, deformed by
 * expiries_without) without the entry of session id, or unchanged when it
 * has none; an entry without an id matches no session.  A malformed array
 * raises XX001, as user_sessions does.
 */
static Datum
entries_without(const ScanCatalog *cat, TupleTableSlot *slot, int64 id)
{
	ArrayType  *arr;
	Datum	   *elems;
	int			nelems;
	int			kept = 0;
	int			i;

	if (slot->tts_isnull[cat->u_session_entries - 1])
		elog(ERROR, "authsessions: unexpected null in a users row");
	arr = scan_entries(slot->tts_values[cat->u_session_entries - 1],
					   DatumGetInt32(slot->tts_values[cat->u_id - 1]),
					   &elems, &nelems);

	for (i = 0; i < nelems; i++)
	{
		int64		this_id;

		if (!entry_id(DatumGetHeapTupleHeader(elems[i]), &this_id) ||
			this_id != id)
			elems[kept++] = elems[i];
	}
	if (kept == nelems)
		return PointerGetDatum(arr);
	return PointerGetDatum(construct_array(elems, kept, cat->entry_type, -1,
										   false, TYPALIGN_DOUBLE));
}

/* Is the session in slot active at now?  (Deforms it first.) */
static bool
session_active(TupleTableSlot *slot, TimestampTz now)
{
	slot_getallattrs(slot);
	return scan_session_active(slot, now);
}

/* What end_session_directly did. */
typedef enum EndResult
{
	END_DONE,					/* the session was active and is ended */
	END_NONE,					/* no such active session */
	END_USE_SQL					/* a trigger or RLS: nothing written */
} EndResult;

/*
 * End the active session whose id (by_token false: key is an int8) or token
 * hash (by_token true: key is a bytea) is key, as a revoke or logout by
 * actor (text), and take its expiry out of its user's summary, directly;
 * END_USE_SQL when the tables have what only the executor runs.
 */
static EndResult
end_session_directly(bool by_token, Datum key, Datum actor)
{
	const ScanCatalog *cat = scan_catalog();
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Relation	sessions;
	Relation	users;
	TupleTableSlot *sslot;
	TupleTableSlot *uslot;
	Snapshot	snapshot;
	CommandId	cid;
	bool		newer = false;
	bool		found;
	int32		user_id;
	int64		session_id;
	TimestampTz expiry;
	AttrNumber	session_cols[2];
	Datum		session_values[2];
	AttrNumber	user_cols[2];
	Datum		user_values[2];

	sessions = table_open(cat->sessions, RowExclusiveLock);
	users = table_open(cat->users, RowExclusiveLock);
	if (needs_executor(sessions) || needs_executor(users))
	{
		table_close(users, NoLock);
		table_close(sessions, NoLock);
		return END_USE_SQL;
	}
	/* a publication of UPDATEs needs a replica identity, as for UPDATE */
	CheckCmdReplicaIdentity(sessions, CMD_UPDATE);
	CheckCmdReplicaIdentity(users, CMD_UPDATE);

	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	snapshot = GetActiveSnapshot();
	cid = GetCurrentCommandId(true);

	/* the session: found, active, locked, still active */
	sslot = table_slot_create(sessions, NULL);
	found = scan_by_key(sessions,
						by_token ? cat->sessions_token_hash_key : cat->sessions_pkey,
						RowExclusiveLock, by_token ? F_BYTEAEQ : F_INT8EQ, key,
						snapshot, sslot) &&
		session_active(sslot, now) &&
		lock_row(sessions, sslot, snapshot, cid, &newer) &&
		(!newer || session_active(sslot, now));

	if (found)
	{
		user_id = DatumGetInt32(sslot->tts_values[cat->s_user_id - 1]);
		session_id = DatumGetInt64(sslot->tts_values[cat->s_id - 1]);
		expiry = DatumGetTimestampTz(sslot->tts_values[cat->s_expires_at - 1]);
		session_cols[0] = cat->s_revoked_at;
		session_values[0] = TimestampTzGetDatum(now);
		session_cols[1] = cat->s_revoked_by;
		session_values[1] = actor;
		update_row(sessions, sslot, 2, session_cols, session_values, snapshot);

		/*
		 * Its user.  delete_user locks the sessions before the user row, so
		 * it cannot remove the row while we hold the session's lock; only a
		 * DELETE written by hand can, and its cascade then deletes the
		 * session once we commit: there is no summary left to update.
		 */
		uslot = table_slot_create(users, NULL);
		if (scan_by_key(users, cat->users_pkey, RowExclusiveLock, F_INT4EQ,
						Int32GetDatum(user_id), snapshot, uslot) &&
			lock_row(users, uslot, snapshot, cid, &newer))
		{
			user_cols[0] = cat->u_session_expiries;
			user_values[0] = expiries_without(cat, uslot, expiry);
			user_cols[1] = cat->u_session_entries;
			user_values[1] = entries_without(cat, uslot, session_id);
			update_row(users, uslot, 2, user_cols, user_values, snapshot);
		}
		ExecDropSingleTupleTableSlot(uslot);
	}

	ExecDropSingleTupleTableSlot(sslot);
	PopActiveSnapshot();
	/* the locks are kept to the end of the transaction, as UPDATE keeps them */
	table_close(users, NoLock);
	table_close(sessions, NoLock);
	return found ? END_DONE : END_NONE;
}

/*
 * End the active session whose id (by_token false: key is an int8) or token
 * hash (by_token true: key is a bytea) is key, as a revoke or logout by
 * actor (text), and take its expiry out of its user's summary: directly, or
 * by the SQL statement that does the same when a table has a trigger or
 * row-level security.  Returns false when no such session is active.
 */
bool
write_end_session(bool by_token, Datum key, Datum actor)
{
	EndResult	result = end_session_directly(by_token, key, actor);
	Datum		args[2];
	int			n;

	if (result != END_USE_SQL)
		return result == END_DONE;

	args[0] = key;
	args[1] = actor;
	store_connect();
	n = store_exec(by_token ? Q_END_SESSION : Q_REVOKE, args, NULL, false, 0);
	store_finish();
	return n > 0;
}
