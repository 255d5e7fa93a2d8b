/*-------------------------------------------------------------------------
 *
 * page.h
 *	  One page of a list that is read whole and sorted, as a jsonb array
 *	  with PostgREST's Content-Range (page.c): user_sessions,
 *	  ended_sessions and my_sessions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_PAGE_H
#define AUTHSESSIONS_PAGE_H

#include "fmgr.h"
#include "jsonout.h"
#include "utils/jsonb.h"

/*
 * Reads every row of the list, sorted, into *rows (an array allocated in the
 * current memory context) and returns how many; state is as_page_json's.
 */
typedef int (*PageScan) (FunctionCallInfo fcinfo, void *state,
						 const void **rows);

/* Writes element i of the array that the PageScan returned. */
typedef void (*PageElement) (JsonOut *out, const void *rows, int64 i,
							 void *state);

extern Jsonb *as_page_json(FunctionCallInfo fcinfo, int page_argno,
						   const char *function, PageScan scan,
						   PageElement element, void *state);

#endif							/* AUTHSESSIONS_PAGE_H */
