/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every difference between the PostgreSQL versions authsessions builds
 *	  against (15, 17 and 18; 16 is expected to build untested), behind
 *	  PG_VERSION_NUM, in this one place.
 *
 * Each guard gives the newest version's spelling and maps it onto the older
 * versions' API, so that the rest of src/ is written once, for the newest.
 * Include it after postgres.h (its guards test what c.h defines).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_COMPAT_H
#define AUTHSESSIONS_COMPAT_H

/*
 * The varlena macros (VARDATA_ANY, SET_VARSIZE, ...): PostgreSQL 16 moved
 * them from postgres.h into varatt.h.
 */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/*
 * A function that never returns.  PostgreSQL 18 removed the postfix
 * pg_attribute_noreturn() in favour of the prefix pg_noreturn (C11's
 * _Noreturn); before 18 the compiler attribute works as a prefix too.
 */
#if PG_VERSION_NUM < 180000
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif
#endif

/*
 * index_beginscan: PostgreSQL 18 added an IndexScanInstrumentation argument
 * (for EXPLAIN ANALYZE's index search counts); NULL asks for none, which is
 * what the earlier versions do.
 */
#if PG_VERSION_NUM >= 180000
#define compat_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys))
#else
#define compat_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), (nkeys), (norderbys))
#endif

/*
 * Is an interval finite?  PostgreSQL 17 added '-infinity' and 'infinity'
 * intervals (INTERVAL_NOT_FINITE); before 17 every interval is finite.
 */
#if PG_VERSION_NUM >= 170000
#define compat_interval_is_finite(span) (!INTERVAL_NOT_FINITE(span))
#else
#define compat_interval_is_finite(span) true
#endif

#endif							/* AUTHSESSIONS_COMPAT_H */
