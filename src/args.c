/*-------------------------------------------------------------------------
 *
 * args.c
 *	  Argument checks shared by the SQL-callable functions, and who is
 *	  calling them (for the audit columns).
 *
 * No function is STRICT: each one decides what a NULL means.  A NULL required
 * argument raises 22004, a NULL optional argument means its default, and a
 * value out of range raises 22023 (22001 for text that is too long), always
 * naming the argument.  Nothing here can raise XX000 for any input.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "args.h"
#include "compat.h"
#include "guc.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* Raise 22004 when a required argument is NULL. */
void
as_args_required(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be null", argname)));
}

/* The page argument: 1 when NULL, at least 1 otherwise. */
int32
as_args_page(FunctionCallInfo fcinfo, int argno)
{
	int32		page;

	if (PG_ARGISNULL(argno))
		return 1;
	page = PG_GETARG_INT32(argno);
	if (page < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"page\" must be at least 1"),
				 errdetail("The value given was %d.", page)));
	return page;
}

/* The page_size argument: 50 when NULL, 1 to authsessions.max_page_size. */
int32
as_args_page_size(FunctionCallInfo fcinfo, int argno)
{
	int32		page_size;

	if (PG_ARGISNULL(argno))
		return AUTHSESSIONS_DEFAULT_PAGE_SIZE;
	page_size = PG_GETARG_INT32(argno);
	if (page_size < 1 || page_size > authsessions_max_page_size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"page_size\" must be between 1 and %d",
						authsessions_max_page_size),
				 errdetail("The value given was %d.", page_size),
				 errhint("The upper bound is the setting authsessions.max_page_size.")));
	return page_size;
}

/*
 * Rows to skip for a page.  Both factors are positive int32 values, so the
 * product fits in int64 without overflow.
 */
int64
as_args_page_offset(int32 page, int32 page_size)
{
	Assert(page >= 1 && page_size >= 1);
	return ((int64) page - 1) * (int64) page_size;
}

/*
 * Check a text argument's length: returns false when it is NULL, true
 * otherwise; raises 22001 when it is longer than maxchars characters.
 */
bool
as_args_text(FunctionCallInfo fcinfo, int argno, const char *argname,
			 int maxchars)
{
	text	   *t;
	int			bytes;

	if (PG_ARGISNULL(argno))
		return false;
	t = PG_GETARG_TEXT_PP(argno);
	bytes = VARSIZE_ANY_EXHDR(t);

	/* count characters only when the byte length does not settle it */
	if (bytes > maxchars &&
		(bytes > maxchars * pg_database_encoding_max_length() ||
		 pg_mbstrlen_with_len(VARDATA_ANY(t), bytes) > maxchars))
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("argument \"%s\" is too long", argname),
				 errdetail("At most %d characters are accepted.", maxchars)));
	return true;
}

/*
 * An interval as a whole number of seconds.  Days count as exactly 86400
 * seconds, so a session's lifetime never drifts with daylight saving time;
 * months and years, whose length varies, are refused, and so are fractions
 * of a second, and (from PostgreSQL 17) infinite intervals.
 */
int64
as_args_interval_seconds(Interval *span, const char *argname)
{
	if (!compat_interval_is_finite(span))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must be finite", argname)));
	if (span->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must not contain months or years",
						argname),
				 errhint("Give the duration in days, hours, minutes or seconds.")));
	if (span->time % USECS_PER_SEC != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must be a whole number of seconds",
						argname)));

	/* |day| < 2^31 and |time| < 2^63 us: neither term can overflow */
	return (int64) span->day * SECS_PER_DAY + span->time / USECS_PER_SEC;
}

/*
 * Who is acting, for the audit column revoked_by: the "sub" claim of the JWT
 * that PostgREST put in request.jwt.claims, otherwise the role that called
 * the function (the outer role: SECURITY DEFINER does not change it).
 */
char *
as_args_actor(void)
{
	const char *claims = GetConfigOption("request.jwt.claims", true, false);

	if (claims != NULL && claims[0] != '\0')
	{
		Jsonb	   *jb;
		JsonbValue *sub;

		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												CStringGetDatum(claims)));
		if (JB_ROOT_IS_OBJECT(jb))
		{
			sub = getKeyJsonValueFromContainer(&jb->root, "sub", 3, NULL);
			if (sub != NULL && sub->type == jbvString)
				return pnstrdup(sub->val.string.val, sub->val.string.len);
			if (sub != NULL && sub->type == jbvNumeric)
				return DatumGetCString(DirectFunctionCall1(numeric_out,
														   NumericGetDatum(sub->val.numeric)));
		}
	}
	return GetUserNameFromId(GetOuterUserId(), false);
}

/*
 * The name of the role in effect for the call: the outer user, which SET
 * ROLE (PostgREST's switch to the JWT's role) changes and SECURITY DEFINER
 * does not.  palloc'd.
 */
char *
as_args_role_name(void)
{
	return GetUserNameFromId(GetOuterUserId(), false);
}
