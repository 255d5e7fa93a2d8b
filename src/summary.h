/*-------------------------------------------------------------------------
 *
 * summary.h
 *	  The per-user session summary that list() reads: its rules in SQL (for
 *	  the statements of store.c) and its reader (summary.c).
 *
 * users.session_expiries holds the expires_at of the user's active sessions
 * (in no order, with duplicates); users.listed is true while the user may
 * have one.  Every statement that starts, slides or ends a session rewrites
 * the array in the same statement, under the user row's lock, and drops the
 * elements already in the past as it does, so the array's size is the
 * user's active sessions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_SUMMARY_H
#define AUTHSESSIONS_SUMMARY_H

#include "datatype/timestamp.h"

/* An active session of user u, as a condition on sessions s. */
#define SUMMARY_ACTIVE_SESSION \
	"s.revoked_at IS NULL AND s.expires_at > now()"

/*
 * The array expression arr as a summary: its elements after now(), as a
 * one-dimensional array without NULLs (whatever arr was).
 */
#define SUMMARY_PRUNED(arr) \
	"ARRAY(SELECT e FROM unnest(" arr ") AS e WHERE e > now())"

/*
 * users.session_expiries (of the user row u) without one occurrence of the
 * timestamptz e (unchanged when e is absent), pruned.
 */
#define SUMMARY_WITHOUT(e) \
	"ARRAY(SELECT x.e FROM unnest(u.session_expiries) WITH ORDINALITY AS x (e, i)" \
	" WHERE x.e > now() AND x.i IS DISTINCT FROM" \
	"   (SELECT min(y.i) FROM unnest(u.session_expiries) WITH ORDINALITY AS y (e, i)" \
	"    WHERE y.e = " e "))"

/* The summary of user u recomputed from its sessions, sorted. */
#define SUMMARY_RECOMPUTED \
	"ARRAY(SELECT s.expires_at FROM authsessions_data.sessions s" \
	" WHERE s.user_id = u.id AND " SUMMARY_ACTIVE_SESSION \
	" ORDER BY s.expires_at)"

/*
 * Is user u's summary wrong: an array list() cannot read (more than one
 * dimension, a NULL element), other active expiries than its sessions have,
 * or not listed with an active session?  Past elements, the order, and a
 * listed user without an active session are not wrong (purge unlists).
 */
#define SUMMARY_WRONG \
	"(array_ndims(u.session_expiries) > 1" \
	" OR EXISTS (SELECT FROM unnest(u.session_expiries) AS e WHERE e IS NULL)" \
	" OR ARRAY(SELECT e FROM unnest(u.session_expiries) AS e WHERE e > now()" \
	"     ORDER BY e) IS DISTINCT FROM " SUMMARY_RECOMPUTED \
	" OR (NOT u.listed AND EXISTS (SELECT FROM authsessions_data.sessions s" \
	"     WHERE s.user_id = u.id AND " SUMMARY_ACTIVE_SESSION ")))"

extern int64 as_summary_active_count(Datum value, int32 user_id,
									 TimestampTz now);
extern int64 as_summary_active_expiries(Datum value, TimestampTz now,
										TimestampTz **out);

#endif							/* AUTHSESSIONS_SUMMARY_H */
