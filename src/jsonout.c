/*-------------------------------------------------------------------------
 *
 * jsonout.c
 *	  A writer of jsonb's on-disk format.  It knows jsonb, not the API: the
 *	  objects of the documented API are written by their callers.
 *
 * The results are written straight into jsonb's on-disk format, in one
 * pass, the way convertToJsonb (jsonb_util.c) lays out a JsonbValue tree:
 * a container is a header word (count and kind), one JEntry per child (an
 * object's keys first, then its values in the same order), then the
 * children's data; every JB_OFFSET_STRIDE'th JEntry holds the end offset
 * of its child's data instead of its length; numbers and nested containers
 * start on a 4-byte boundary and their padding counts in their length.
 * That format is what every stored jsonb is, kept by pg_upgrade, so it does
 * not change between major versions, where the construction API
 * (pushJsonbValue) does.  Building a JsonbValue tree and converting it cost
 * a list page as much as reading its 50 users rows.
 *
 * The writer's invariants:
 *	- an object's keys are given when it starts (a JsonKeys, whose part of
 *	  the object is built once per backend), unique and in jsonb's order
 *	  (shorter first, then bytewise), and its values follow in that order;
 *	- an array's element count is not known in advance: its elements are
 *	  written right after its header word and moved up when it ends, by its
 *	  JEntries' size, a multiple of 4 that keeps every alignment;
 *	- the buffer starts with the varlena header, as convertToJsonb's does,
 *	  so a 4-byte boundary of the buffer is one of the result.
 * Builds with assertions check every result against PostgreSQL's own
 * conversion of its text (as_json_finish).
 *
 * The buffer is allocated in the memory context current at the first
 * json_begin_*; as_json_finish copies the result into the context current
 * then, so callers build in a context of the call and copy only the result.
 *
 * Timestamps are written in UTC as 2020-09-21T10:42:50Z whatever the
 * session's TimeZone, truncated to the second.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "jsonout.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

/* as_json_int's numbers made once per backend */
#define JSON_SMALL_INTS 256

/* Pad the buffer with zero bytes to a 4-byte boundary; returns how many. */
static int
pad_to_int(JsonOut *out)
{
	int			padlen = INTALIGN(out->buf.len) - out->buf.len;

	if (padlen > 0)
		appendBinaryStringInfo(&out->buf, "\0\0\0", padlen);
	return padlen;
}

/*
 * The JEntry of a container's index'th child of len bytes, whose data ends
 * total bytes into the container's: every JB_OFFSET_STRIDE'th child stores
 * that end offset instead of its length, as jsonb does.
 */
static uint32
jentry(uint32 type, int index, int len, int total)
{
	if (index % JB_OFFSET_STRIDE == 0)
		return type | (uint32) total | JENTRY_HAS_OFF;
	return type | (uint32) len;
}

/*
 * Record a child just written into the innermost open container: its type
 * bits and the length of its data, padding included.  An object's JEntries
 * are in place already; an array's are kept aside until it ends.
 */
static void
json_child(JsonOut *out, uint32 type, int len)
{
	JsonFrame  *f;
	int			index;
	uint32		entry;

	if (out->depth == 0)
		elog(ERROR, "authsessions: jsonb value outside any container");
	f = &out->frames[out->depth - 1];
	if (f->nkeys >= 0 && f->nchildren >= 2 * f->nkeys)
		elog(ERROR, "authsessions: more jsonb values than keys");

	index = f->nchildren++;
	f->total += len;
	if (f->total > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("total size of jsonb container elements exceeds the maximum of %u bytes",
						JENTRY_OFFLENMASK)));

	entry = jentry(type, index, len, f->total);

	if (f->nkeys >= 0)
		memcpy(out->buf.data + f->header + sizeof(uint32) * (1 + index),
			   &entry, sizeof(uint32));
	else
	{
		if (index == f->allocated)
		{
			f->allocated = Max(16, f->allocated * 2);
			f->entries = f->entries == NULL
				? palloc(sizeof(uint32) * f->allocated)
				: repalloc(f->entries, sizeof(uint32) * f->allocated);
		}
		f->entries[index] = entry;
	}
}

/*
 * Open a container: on a 4-byte boundary, its header word reserved.  The
 * first one allocates the buffer, after room for the varlena header.
 */
static JsonFrame *
json_open(JsonOut *out)
{
	JsonFrame  *f;

	if (out->buf.data == NULL)
	{
		initStringInfo(&out->buf);
		out->buf.len = VARHDRSZ;
	}
	else if (out->depth == 0)
		elog(ERROR, "authsessions: a second jsonb root");
	if (out->depth == JSON_MAX_DEPTH)
		elog(ERROR, "authsessions: jsonb nested too deep");

	f = &out->frames[out->depth++];
	memset(f, 0, sizeof(JsonFrame));
	f->base = out->buf.len;
	pad_to_int(out);
	f->header = out->buf.len;
	enlargeStringInfo(&out->buf, sizeof(uint32));
	out->buf.len += sizeof(uint32);
	f->data = out->buf.len;
	return f;
}

/* Close the innermost container and record it in its parent, if any. */
static void
json_close(JsonOut *out, uint32 header)
{
	JsonFrame  *f = &out->frames[out->depth - 1];

	memcpy(out->buf.data + f->header, &header, sizeof(uint32));
	out->depth--;
	if (out->depth > 0)
		json_child(out, JENTRY_ISCONTAINER, out->buf.len - f->base);
}

/* Start an array. */
void
as_json_begin_array(JsonOut *out)
{
	JsonFrame  *f = json_open(out);

	f->nkeys = -1;
}

/*
 * End the array being written: its elements move up to make room for their
 * JEntries (4 bytes each, so every alignment inside them is kept).
 */
void
as_json_end_array(JsonOut *out)
{
	JsonFrame  *f;
	int			size;

	if (out->depth == 0 || out->frames[out->depth - 1].nkeys >= 0)
		elog(ERROR, "authsessions: no jsonb array to end");
	f = &out->frames[out->depth - 1];
	size = sizeof(uint32) * f->nchildren;
	if (size > 0)
	{
		enlargeStringInfo(&out->buf, size);
		memmove(out->buf.data + f->data + size, out->buf.data + f->data,
				out->buf.len - f->data);
		memcpy(out->buf.data + f->data, f->entries, size);
		out->buf.len += size;
		pfree(f->entries);
	}
	json_close(out, (uint32) f->nchildren | JB_FARRAY);
}

/*
 * The part of an object that only depends on its keys: its JEntries (the
 * keys' filled in, the values' left zero) and the keys' bytes.  Built once
 * per backend for each JsonKeys, after checking that the keys are unique
 * and in jsonb's order (shorter first, then bytewise).
 */
static void
json_keys_prefix(JsonKeys *keys)
{
	int			nkeys = keys->n;
	int			total = 0;
	int			prevlen = 0;
	int			i;
	StringInfoData buf;
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	initStringInfo(&buf);
	enlargeStringInfo(&buf, sizeof(uint32) * 2 * nkeys);
	memset(buf.data, 0, sizeof(uint32) * 2 * nkeys);
	buf.len = sizeof(uint32) * 2 * nkeys;
	for (i = 0; i < nkeys; i++)
	{
		int			len = strlen(keys->names[i]);
		uint32		entry;

		if (i > 0 && (len < prevlen ||
					  (len == prevlen &&
					   memcmp(keys->names[i - 1], keys->names[i], len) >= 0)))
			elog(ERROR, "authsessions: jsonb keys out of order at \"%s\"",
				 keys->names[i]);
		appendBinaryStringInfo(&buf, keys->names[i], len);
		total += len;
		entry = jentry(JENTRY_ISSTRING, i, len, total);
		memcpy(buf.data + sizeof(uint32) * i, &entry, sizeof(uint32));
		prevlen = len;
	}
	MemoryContextSwitchTo(old);
	keys->keys_len = total;
	keys->prefix_len = buf.len;
	keys->prefix = buf.data;	/* last: a failed build is redone */
}

/* Start an object with these keys; its values follow in their order. */
void
as_json_begin_object(JsonOut *out, JsonKeys *keys)
{
	JsonFrame  *f = json_open(out);

	if (keys->prefix == NULL)
		json_keys_prefix(keys);
	appendBinaryStringInfo(&out->buf, keys->prefix, keys->prefix_len);
	f->nkeys = keys->n;
	f->nchildren = keys->n;
	f->total = keys->keys_len;
}

/* End the object being written, which has a value for every key. */
void
as_json_end_object(JsonOut *out)
{
	JsonFrame  *f;

	if (out->depth == 0 || out->frames[out->depth - 1].nkeys < 0)
		elog(ERROR, "authsessions: no jsonb object to end");
	f = &out->frames[out->depth - 1];
	if (f->nchildren != 2 * f->nkeys)
		elog(ERROR, "authsessions: jsonb object ended with %d values for %d keys",
			 f->nchildren - f->nkeys, f->nkeys);
	json_close(out, (uint32) f->nkeys | JB_FOBJECT);
}

/* A string value of len bytes. */
static void
json_string_len(JsonOut *out, const char *str, int len)
{
	appendBinaryStringInfo(&out->buf, str, len);
	json_child(out, JENTRY_ISSTRING, len);
}

/* A string value. */
void
as_json_string(JsonOut *out, const char *str)
{
	json_string_len(out, str, strlen(str));
}

/* A string value, or null when str is NULL (a nullable text column). */
void
as_json_string_or_null(JsonOut *out, const char *str)
{
	if (str == NULL)
		as_json_null(out);
	else
		as_json_string(out, str);
}

/*
 * A value whose data starts on a 4-byte boundary (a number, a container):
 * its padding counts in its length.
 */
static void
json_aligned(JsonOut *out, uint32 type, const void *data, int len)
{
	int			padlen = pad_to_int(out);

	appendBinaryStringInfo(&out->buf, data, len);
	json_child(out, type, padlen + len);
}

/* A numeric value (never NaN: jsonb has no NaN). */
static void
json_numeric(JsonOut *out, Numeric num)
{
	json_aligned(out, JENTRY_ISNUMERIC, num, VARSIZE_ANY(num));
}

/*
 * A number value.  Small ones (session counts) are made once per backend.
 */
void
as_json_int(JsonOut *out, int64 value)
{
	static Numeric small[JSON_SMALL_INTS];
	Numeric		num;

	if (value >= 0 && value < JSON_SMALL_INTS)
	{
		if (small[value] == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			small[value] = int64_to_numeric(value);
			MemoryContextSwitchTo(old);
		}
		json_numeric(out, small[value]);
		return;
	}
	num = int64_to_numeric(value);
	json_numeric(out, num);
	pfree(num);
}

/* A boolean value. */
void
as_json_bool(JsonOut *out, bool value)
{
	json_child(out, value ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE, 0);
}

/* A null value. */
void
as_json_null(JsonOut *out)
{
	json_child(out, JENTRY_ISNULL, 0);
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
as_json_timestamp(JsonOut *out, TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char		buf[MAXDATELEN + 1];

	/* tzp = NULL: break the timestamp down in UTC */
	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "authsessions: timestamp out of range in stored session");

	if (tm.tm_year < 1 || tm.tm_year > 9999)
		snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
				 tm.tm_year, tm.tm_mon, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
	{
		memcpy(buf, "0000-00-00T00:00:00Z", sizeof("2020-09-21T10:42:50Z"));
		put_digits(buf, tm.tm_year, 4);
		put_digits(buf + 5, tm.tm_mon, 2);
		put_digits(buf + 8, tm.tm_mday, 2);
		put_digits(buf + 11, tm.tm_hour, 2);
		put_digits(buf + 14, tm.tm_min, 2);
		put_digits(buf + 17, tm.tm_sec, 2);
	}
	as_json_string(out, buf);
}

/*
 * Any value read from an existing jsonb (getIthJsonbValueFromContainer): a
 * scalar, or a container whose bytes are copied as they are (its layout
 * only depends on starting on a 4-byte boundary).
 */
void
as_json_value(JsonOut *out, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			as_json_null(out);
			break;
		case jbvString:
			json_string_len(out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			json_numeric(out, v->val.numeric);
			break;
		case jbvBool:
			as_json_bool(out, v->val.boolean);
			break;
		case jbvBinary:
			json_aligned(out, JENTRY_ISCONTAINER, v->val.binary.data,
						 v->val.binary.len);
			break;
		default:
			elog(ERROR, "authsessions: unexpected jsonb value type %d", (int) v->type);
	}
}

#ifdef USE_ASSERT_CHECKING
/*
 * Builds with assertions: the result must be byte for byte what PostgreSQL
 * makes of its text, so that every operator reads it as it reads any jsonb.
 */
static void
json_check(Jsonb *result)
{
	char	   *text = JsonbToCString(NULL, &result->root, VARSIZE(result));
	Jsonb	   *again = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
														   CStringGetDatum(text)));

	if (VARSIZE(again) != VARSIZE(result) ||
		memcmp(again, result, VARSIZE(result)) != 0)
		elog(ERROR, "authsessions: jsonb written (%u bytes) differs from jsonb_in's (%u bytes)",
			 (unsigned) VARSIZE(result), (unsigned) VARSIZE(again));
	/* a create_session result holds a token */
	explicit_bzero(text, strlen(text));
	pfree(text);
	pfree(again);
}
#endif

/* The finished value, copied into the current memory context. */
Jsonb *
as_json_finish(JsonOut *out)
{
	Jsonb	   *result;

	if (out->buf.data == NULL || out->depth != 0)
		elog(ERROR, "authsessions: unfinished jsonb");
	result = palloc(out->buf.len);
	memcpy(result, out->buf.data, out->buf.len);
	SET_VARSIZE(result, out->buf.len);
#ifdef USE_ASSERT_CHECKING
	json_check(result);
#endif
	return result;
}
