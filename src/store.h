/*-------------------------------------------------------------------------
 *
 * store.h
 *	  Storage access by SPI (store.c): every SQL statement of the extension,
 *	  prepared once per backend, and running one as the function's owner.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_STORE_H
#define AUTHSESSIONS_STORE_H

/* The statements, one per query text (their SQL and locking: store.c). */
typedef enum StoreQuery
{
	Q_REVOKE,
	Q_REVOKE_USER,
	Q_UPDATE_USER,
	Q_UPSERT_USER,
	Q_SYNC_USER_SESSIONS,
	Q_DELETE_USER,
	Q_LOCK_DELETE_USER,
	Q_ACTIVE_SESSION_IDS,
	Q_CREATE_SESSION,
	Q_LOCK_USER,
	Q_COUNT_ACTIVE,
	Q_EVICT,
	Q_RECOMPUTE_SUMMARY,
	Q_TOUCH,
	Q_END_SESSION,
	Q_PURGE_SESSIONS,
	Q_UNLIST_CANDIDATES,
	Q_LOCK_PURGE_USER,
	Q_RECOMPUTE_USER,
	Q_REPAIR_CANDIDATES,
	Q_LOCK_REPAIR_USER,
	Q_REPAIR_USER,
	Q_REVOKE_OWN,
	Q_REVOKE_OTHERS,
	Q_COUNT
} StoreQuery;

/* The caller's identity, saved while a statement runs as the owner. */
typedef struct StoreOwner
{
	Oid			userid;
	int			sec_context;
	int			nestlevel;
} StoreOwner;

extern void as_store_as_owner(Oid fn_oid, StoreOwner *saved);
extern void as_store_as_caller(const StoreOwner *saved);
extern void as_store_connect(void);
extern void as_store_finish(void);
extern int	as_store_exec(StoreQuery query, Datum *values, const char *nulls,
						  bool read_only, long count);
extern Datum as_store_value(int row, int attno);

#endif							/* AUTHSESSIONS_STORE_H */
