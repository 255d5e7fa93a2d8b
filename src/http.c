/*-------------------------------------------------------------------------
 *
 * http.c
 *	  What the paged functions tell PostgREST about the HTTP response.
 *
 * PostgREST puts the request headers in request.headers (a JSON object with
 * lower-cased names) and reads response.headers (a JSON array of one-key
 * objects) and response.status after the call.  When a request says
 * "Prefer: count=exact", list and user_sessions count the whole set and
 * answer with Content-Range: first-last/total, status 206 for a partial page
 * and "* / total" (no space) with status 200 for a page past the end.  Without that
 * preference they count nothing.  Values are set with GUC_ACTION_LOCAL, so
 * they last until the end of the transaction, as set_config(..., true) would.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "http.h"
#include "jsonout.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"

/* Does one Prefer header value hold the preference count=exact? */
static bool
prefer_has_count_exact(const char *value, int len)
{
	int			i = 0;

	while (i < len)
	{
		int			start;
		int			end;

		/* one comma-separated item, trimmed */
		while (i < len && (value[i] == ' ' || value[i] == '\t'))
			i++;
		start = i;
		while (i < len && value[i] != ',')
			i++;
		end = i;
		while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
			end--;
		/* case-sensitive, as PostgREST itself reads preferences */
		if (end - start == 11 && strncmp(value + start, "count=exact", 11) == 0)
			return true;
		i++;					/* skip the comma */
	}
	return false;
}

/*
 * True when the current request (request.headers, set by PostgREST) carries
 * Prefer: count=exact.  Missing headers mean no; headers that are not JSON
 * raise 22P02 (PostgREST always sends a JSON object).
 */
bool
as_http_wants_count(void)
{
	const char *headers = GetConfigOption("request.headers", true, false);
	Jsonb	   *jb;
	JsonbValue *prefer;

	if (headers == NULL || strstr(headers, "count=exact") == NULL)
		return false;			/* the common case costs a string search */

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(headers)));
	if (!JB_ROOT_IS_OBJECT(jb))
		return false;
	prefer = getKeyJsonValueFromContainer(&jb->root, "prefer", 6, NULL);
	return prefer != NULL && prefer->type == jbvString &&
		prefer_has_count_exact(prefer->val.string.val, prefer->val.string.len);
}

/* Set one response GUC for the rest of the transaction. */
static void
set_response_guc(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * True when a response.headers element is a Content-Range header (header
 * names compare without case).
 */
static bool
is_content_range(JsonbValue *elem)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		return false;
	it = JsonbIteratorInit(elem->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY && v.val.string.len == 13 &&
			pg_strncasecmp(v.val.string.val, "Content-Range", 13) == 0)
			return true;
	}
	return false;
}

/*
 * Tell PostgREST the range of a page: its first row's position (0-based) in
 * the whole set, its row count and the set's total.  Headers that an earlier
 * step (a pre-request hook) put in response.headers are kept, but for an
 * earlier Content-Range.
 */
void
as_http_set_range(int64 first, int64 rows, int64 total)
{
	static const char *const range_key_names[] = {"Content-Range"};
	static JsonKeys range_key = JSON_KEYS(range_key_names);
	const char *old = GetConfigOption("response.headers", true, false);
	JsonOut		out = {0};
	Jsonb	   *headers;
	char	   *range;

	if (rows > 0)
		range = psprintf("%lld-%lld/%lld", (long long) first,
						 (long long) (first + rows - 1), (long long) total);
	else
		range = psprintf("*/%lld", (long long) total);

	as_json_begin_array(&out);
	if (old != NULL && old[0] != '\0')
	{
		Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum(old)));
		int			n = JB_ROOT_IS_ARRAY(jb) && !JB_ROOT_IS_SCALAR(jb) ?
		JB_ROOT_COUNT(jb) : 0;
		int			i;

		for (i = 0; i < n; i++)
		{
			JsonbValue *elem = getIthJsonbValueFromContainer(&jb->root, i);

			if (!is_content_range(elem))
				as_json_value(&out, elem);
		}
	}
	as_json_begin_object(&out, &range_key);
	as_json_string(&out, range);
	as_json_end_object(&out);
	as_json_end_array(&out);
	headers = as_json_finish(&out);

	set_response_guc("response.headers",
					 JsonbToCString(NULL, &headers->root, VARSIZE(headers)));
	set_response_guc("response.status",
					 (rows > 0 && rows < total) ? "206" : "200");
}
