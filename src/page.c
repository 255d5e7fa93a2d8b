/*-------------------------------------------------------------------------
 *
 * page.c
 *	  The paging that user_sessions, ended_sessions and my_sessions share:
 *	  read the whole list sorted, answer one page of it as a jsonb array,
 *	  and report the page in Content-Range when PostgREST asks (http.c).
 *
 * Everything but the result is allocated in a memory context of the call,
 * a child of the caller's, deleted once the result is copied out (and with
 * the caller's on an error).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "args.h"
#include "http.h"
#include "page.h"
#include "utils/memutils.h"

/*
 * The page of the list that scan reads, its elements written by element, as
 * a jsonb array in the caller's memory context.  page and page_size are
 * arguments page_argno and page_argno + 1 (checked first, as_args_page and
 * as_args_page_size); function names the SQL function, for the memory
 * context.  scan and element run in the call's context and get state.
 */
Jsonb *
as_page_json(FunctionCallInfo fcinfo, int page_argno, const char *function,
			 PageScan scan, PageElement element, void *state)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext callcxt;
	int32		page = as_args_page(fcinfo, page_argno);
	int32		page_size = as_args_page_size(fcinfo, page_argno + 1);
	int64		offset = as_args_page_offset(page, page_size);
	const void *rows;
	JsonOut		out = {0};
	Jsonb	   *result;
	int			total;
	int64		i;

	/* everything but the result lives in a context of this call */
	callcxt = AllocSetContextCreate(CurrentMemoryContext,
									"authsessions page",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSetIdentifier(callcxt, function);
	MemoryContextSwitchTo(callcxt);

	/* the whole list, sorted: the page is a slice */
	total = scan(fcinfo, state, &rows);

	as_json_begin_array(&out);
	for (i = offset; i < total && i < offset + page_size; i++)
		element(&out, rows, i, state);
	as_json_end_array(&out);

	if (as_http_wants_count())
		as_http_set_range(offset, Max(Min(total - offset, page_size), 0),
						  total);

	MemoryContextSwitchTo(caller);
	result = as_json_finish(&out);
	MemoryContextDelete(callcxt);
	return result;
}
