/*-------------------------------------------------------------------------
 *
 * jsonout.c
 *	  The jsonb builder, and the session objects of the documented API.
 *
 * jsonb is built directly with pushJsonbValue, never through text.  This is
 * the only file that calls the jsonb construction API (PostgreSQL 19 changes
 * it).  Values are allocated in the caller's current memory context; the
 * callers build inside their SPI context and only json_finish's result is
 * copied out.
 *
 * Timestamps are written in UTC as 2020-09-21T10:42:50Z whatever the
 * session's TimeZone, truncated to the second.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

#include "authsessions.h"

/* Push a scalar: an object value after a key, or an array element. */
static void
push_scalar(JsonOut *out, JsonbValue *v)
{
	JsonbIteratorToken tok;

	tok = (out->state != NULL && out->state->contVal.type == jbvArray)
		? WJB_ELEM : WJB_VALUE;
	out->result = pushJsonbValue(&out->state, tok, v);
}

/* Start an array. */
void
json_begin_array(JsonOut *out)
{
	out->result = pushJsonbValue(&out->state, WJB_BEGIN_ARRAY, NULL);
}

/* End the array being built. */
void
json_end_array(JsonOut *out)
{
	out->result = pushJsonbValue(&out->state, WJB_END_ARRAY, NULL);
}

/* Start an object. */
void
json_begin_object(JsonOut *out)
{
	out->result = pushJsonbValue(&out->state, WJB_BEGIN_OBJECT, NULL);
}

/* End the object being built. */
void
json_end_object(JsonOut *out)
{
	out->result = pushJsonbValue(&out->state, WJB_END_OBJECT, NULL);
}

/* A key of the object being built. */
void
json_key(JsonOut *out, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	out->result = pushJsonbValue(&out->state, WJB_KEY, &v);
}

/* A string value; str must live until json_finish (it is not copied). */
void
json_string(JsonOut *out, const char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) str;
	v.val.string.len = strlen(str);
	push_scalar(out, &v);
}

/* A number value. */
void
json_int(JsonOut *out, int64 value)
{
	JsonbValue	v;

	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	push_scalar(out, &v);
}

/* A boolean value. */
void
json_bool(JsonOut *out, bool value)
{
	JsonbValue	v;

	v.type = jbvBool;
	v.val.boolean = value;
	push_scalar(out, &v);
}

/* A null value. */
void
json_null(JsonOut *out)
{
	JsonbValue	v;

	v.type = jbvNull;
	push_scalar(out, &v);
}

/* Write value as exactly width decimal digits at p (value fits). */
static void
put_digits(char *p, int value, int width)
{
	while (width-- > 0)
	{
		p[width] = '0' + value % 10;
		value /= 10;
	}
}

/*
 * A timestamp as a UTC string like 2020-09-21T10:42:50Z.  Every session
 * object has two, so the usual four-digit years are formatted by hand.
 */
void
json_timestamp(JsonOut *out, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *buf;

	/* tzp = NULL: break the timestamp down in UTC */
	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "authsessions: timestamp out of range in stored session");

	/* palloc'd: pushJsonbValue keeps a pointer to the string, not a copy */
	if (tm.tm_year < 1 || tm.tm_year > 9999)
		buf = psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ",
					   tm.tm_year, tm.tm_mon, tm.tm_mday,
					   tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
	{
		buf = palloc(sizeof("2020-09-21T10:42:50Z"));
		memcpy(buf, "0000-00-00T00:00:00Z", sizeof("2020-09-21T10:42:50Z"));
		put_digits(buf, tm.tm_year, 4);
		put_digits(buf + 5, tm.tm_mon, 2);
		put_digits(buf + 8, tm.tm_mday, 2);
		put_digits(buf + 11, tm.tm_hour, 2);
		put_digits(buf + 14, tm.tm_min, 2);
		put_digits(buf + 17, tm.tm_sec, 2);
	}
	json_string(out, buf);
}

/* Any value, such as an element of an existing jsonb (copied, unpacked). */
void
json_value(JsonOut *out, JsonbValue *v)
{
	push_scalar(out, v);
}

/* The finished value as a Jsonb, allocated in the current context. */
Jsonb *
json_finish(JsonOut *out)
{
	Assert(out->state == NULL && out->result != NULL);
	return JsonbValueToJsonb(out->result);
}

/* {"Success": true} or {"Success": false}. */
Jsonb *
json_success(bool success)
{
	JsonOut		out = {0};

	json_begin_object(&out);
	json_key(&out, "Success");
	json_bool(&out, success);
	json_end_object(&out);
	return json_finish(&out);
}

/* A nullable string value. */
static void
json_string_or_null(JsonOut *out, const char *str)
{
	if (str == NULL)
		json_null(out);
	else
		json_string(out, str);
}

/*
 * One session object, with exactly the documented keys.  They are pushed in
 * the order jsonb stores keys (shorter first, then bytewise), so that
 * ending the object has nothing to sort.
 */
void
json_session(JsonOut *out, const SessionRow *row)
{
	json_begin_object(out);
	json_key(out, "ID");
	json_int(out, row->id);
	json_key(out, "UserID");
	json_int(out, row->user_id);
	json_key(out, "UserGuid");
	json_string(out, row->guid);
	json_key(out, "UserName");
	json_string(out, row->name);
	json_key(out, "IsOperator");
	json_bool(out, row->is_operator);
	json_key(out, "Smartphone");
	json_string_or_null(out, row->smartphone);
	json_key(out, "Application");
	json_string_or_null(out, row->application);
	json_key(out, "LastUpdated");
	json_timestamp(out, row->last_updated);
	json_key(out, "ExpirationDate");
	json_timestamp(out, row->expires_at);
	json_key(out, "OperatingSystem");
	json_string_or_null(out, row->operating_system);
	json_end_object(out);
}
