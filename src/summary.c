/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  The per-user session summary (summary.h): list's reader of it, the
 *	  report of a malformed one, and authsessions.repair_summary().
 *
 * The writers keep users.session_expiries with the SQL of summary.h, in the
 * statements of store.c; list reads it here, through PostgreSQL's own
 * detoasting, and counts its elements after now.  When the array is not one
 * list can read (a hand edit, a restore from elsewhere), list raises XX001
 * and points to repair_summary(), which recomputes the summary of the users
 * whose summary is wrong from their sessions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "compat.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "store.h"
#include "summary.h"
#include "utils/array.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(authsessions_repair_summary);

/*
 * Report the session_expiries of the user with that id as malformed (not a
 * one-dimensional timestamptz[] without NULLs), pointing to the repair.
 */
pg_noreturn static void
summary_report_malformed(int32 user_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("malformed session_expiries of user %d", user_id),
			 errdetail("authsessions_data.users.session_expiries must be a one-dimensional array without NULLs."),
			 errhint("As a superuser, run: SELECT authsessions.repair_summary(guid) FROM authsessions_data.users WHERE id = %d;",
					 user_id)));
}

/*
 * The active expiries of a user's summary (value, a session_expiries): its
 * elements after now.  Returns how many there are and, when out is not NULL,
 * stores them there in a palloc'd array (NULL when there are none), in the
 * array's order; returns -1 when the array is malformed (see
 * summary_report_malformed).
 *
 * Runs for every user list walks.  pg_detoast_datum_packed fetches an array
 * stored out of line or compressed (a user with many sessions) and leaves
 * an inline one in place, possibly with a 1-byte header: its bytes after
 * the header are those of an ArrayType after vl_len_ (ndim, dataoffset,
 * elemtype, then dims and lbounds for one dimension, then the elements, not
 * aligned in a short varlena, hence memcpy).  Every length is checked
 * against the varlena's.  An array with a null bitmap (SQL's slicing keeps
 * one) goes through deconstruct_array, from the same detoasted copy.
 */
static int64
read_active_expiries(Datum value, TimestampTz now, TimestampTz **out)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(value);
	struct varlena *datum = pg_detoast_datum_packed(raw);
	const char *body = VARDATA_ANY(datum);
	Size		len = VARSIZE_ANY_EXHDR(datum);
	Size		header = ARR_OVERHEAD_NONULLS(1) - VARHDRSZ;
	int32		ndim;
	int32		dataoffset;
	Oid			elemtype;
	int32		nelems = 0;
	int64		n = 0;
	int32		i;
	TimestampTz *result = NULL;

	if (out != NULL)
		*out = NULL;

	if (len < 3 * sizeof(int32))
		goto malformed;
	memcpy(&ndim, body, sizeof(int32));
	memcpy(&dataoffset, body + sizeof(int32), sizeof(int32));
	memcpy(&elemtype, body + 2 * sizeof(int32), sizeof(Oid));
	if (ndim != 0 && (ndim != 1 || elemtype != TIMESTAMPTZOID))
		goto malformed;

	if (ndim == 0)
	{
		/* an empty array: no session */
	}
	else if (dataoffset != 0)
	{
		/* a null bitmap: legal while no element is NULL */
		ArrayType  *arr = DatumGetArrayTypeP(PointerGetDatum(datum));
		Datum	   *elems;
		bool	   *nulls;

		if (array_contains_nulls(arr))
			goto malformed;
		deconstruct_array(arr, TIMESTAMPTZOID, sizeof(TimestampTz), true,
						  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
		if (out != NULL && nelems > 0)
			result = palloc(sizeof(TimestampTz) * nelems);
		for (i = 0; i < nelems; i++)
		{
			TimestampTz expiry = DatumGetTimestampTz(elems[i]);

			if (expiry > now)
			{
				if (result != NULL)
					result[n] = expiry;
				n++;
			}
		}
		pfree(elems);
		pfree(nulls);
		if ((Pointer) arr != (Pointer) datum)
			pfree(arr);
	}
	else
	{
		if (len < header)
			goto malformed;
		memcpy(&nelems, body + 3 * sizeof(int32), sizeof(int32));
		if (nelems < 0 ||
			(Size) nelems > (len - header) / sizeof(TimestampTz))
			goto malformed;
		if (out != NULL && nelems > 0)
			result = palloc(sizeof(TimestampTz) * nelems);
		for (i = 0; i < nelems; i++)
		{
			TimestampTz expiry;

			memcpy(&expiry, body + header + i * sizeof(TimestampTz),
				   sizeof(TimestampTz));
			if (expiry > now)
			{
				if (result != NULL)
					result[n] = expiry;
				n++;
			}
		}
	}

	if (datum != raw)
		pfree(datum);
	if (out != NULL)
	{
		if (n == 0 && result != NULL)
		{
			pfree(result);
			result = NULL;
		}
		*out = result;
	}
	return n;

malformed:
	if (result != NULL)
		pfree(result);
	if (datum != raw)
		pfree(datum);
	return -1;
}

/*
 * The number of active sessions in a user's summary (value, the
 * session_expiries of the user with that id), for list; a malformed summary
 * raises XX001 with the repair in its hint.
 */
int64
as_summary_active_count(Datum value, int32 user_id, TimestampTz now)
{
	int64		n = read_active_expiries(value, now, NULL);

	if (n < 0)
		summary_report_malformed(user_id);
	return n;
}

/*
 * The active expiries of a user's summary (value, a session_expiries), for
 * user_sessions: their number, and a palloc'd array of them in *out (NULL
 * when there are none); -1 when the summary is malformed, which
 * user_sessions, unlike list, can do without.
 */
int64
as_summary_active_expiries(Datum value, TimestampTz now, TimestampTz **out)
{
	return read_active_expiries(value, now, out);
}

/*
 * authsessions.repair_summary(guid): recompute the summary of the user with
 * that guid, or of every user when guid is NULL, where it is wrong
 * (SUMMARY_WRONG), and return how many users were rewritten.
 *
 * A first statement finds the wrong ones without locking; each is then
 * locked (waiting for its writers) and recomputed by a second statement,
 * whose snapshot, taken under the lock, sees every writer before it: a
 * summary right again by then is left alone.  The row locks last to the end
 * of the transaction.
 */
Datum
authsessions_repair_summary(PG_FUNCTION_ARGS)
{
	Datum		arg;
	char		null = PG_ARGISNULL(0) ? 'n' : ' ';
	int64		repaired = 0;
	int			ncandidates;
	int32	   *ids;
	int			i;

	PreventCommandIfReadOnly("authsessions.repair_summary()");
	arg = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);

	as_store_connect();
	ncandidates = as_store_exec(Q_REPAIR_CANDIDATES, &arg, &null, false, 0);
	ids = palloc(sizeof(int32) * Max(ncandidates, 1));
	for (i = 0; i < ncandidates; i++)
	{
		bool		isnull;
		Datum		id = SPI_getbinval(SPI_tuptable->vals[i],
									   SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
			elog(ERROR, "authsessions: user without an id");
		ids[i] = DatumGetInt32(id);
	}

	for (i = 0; i < ncandidates; i++)
	{
		Datum		id = Int32GetDatum(ids[i]);

		CHECK_FOR_INTERRUPTS();
		if (as_store_exec(Q_LOCK_REPAIR_USER, &id, NULL, false, 0) == 1)
			repaired += as_store_exec(Q_REPAIR_USER, &id, NULL, false, 0);
	}
	as_store_finish();

	PG_RETURN_INT64(repaired);
}
