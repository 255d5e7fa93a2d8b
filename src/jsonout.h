/*-------------------------------------------------------------------------
 *
 * jsonout.h
 *	  A writer of jsonb's on-disk format (jsonout.c): arrays, objects with
 *	  keys known in advance, and scalars, written in one pass.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_JSONOUT_H
#define AUTHSESSIONS_JSONOUT_H

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#define JSON_MAX_DEPTH 4

/*
 * The keys of an object, unique and in jsonb's order (shorter first, then
 * bytewise); a static one per key set, made with JSON_KEYS(names).
 */
typedef struct JsonKeys
{
	const char *const *names;
	int			n;
	char	   *prefix;			/* the object's JEntries and keys, built once */
	int			prefix_len;
	int			keys_len;		/* the keys' bytes */
} JsonKeys;

#define JSON_KEYS(names) {(names), lengthof(names), NULL, 0, 0}

/* An open array or object of a JsonOut. */
typedef struct JsonFrame
{
	int			base;			/* buffer length before its padding */
	int			header;			/* offset of its header word */
	int			data;			/* offset of its children's data */
	int			nkeys;			/* an object's keys; -1 for an array */
	int			nchildren;		/* JEntries recorded (keys included) */
	int			total;			/* their data's length so far */
	uint32	   *entries;		/* an array's JEntries, placed when it ends */
	int			allocated;		/* room in entries */
} JsonFrame;

/* A jsonb being written; starts zeroed ({0}). */
typedef struct JsonOut
{
	StringInfoData buf;			/* the varlena being written */
	int			depth;			/* open containers */
	JsonFrame	frames[JSON_MAX_DEPTH];
} JsonOut;

extern void as_json_begin_array(JsonOut *out);
extern void as_json_end_array(JsonOut *out);
extern void as_json_begin_object(JsonOut *out, JsonKeys *keys);
extern void as_json_end_object(JsonOut *out);
extern void as_json_string(JsonOut *out, const char *str);
extern void as_json_string_or_null(JsonOut *out, const char *str);
extern void as_json_int(JsonOut *out, int64 value);
extern void as_json_bool(JsonOut *out, bool value);
extern void as_json_null(JsonOut *out);
extern void as_json_timestamp(JsonOut *out, TimestampTz ts);
extern void as_json_value(JsonOut *out, JsonbValue *v);
extern Jsonb *as_json_finish(JsonOut *out);

#endif							/* AUTHSESSIONS_JSONOUT_H */
