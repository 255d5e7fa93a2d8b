/*-------------------------------------------------------------------------
 *
 * useragent.c
 *	  The device fields of a session derived from its User-Agent with the
 *	  ua-parser project's rules (uap-core's regexes.yaml, compiled into
 *	  uap_rules.c at build time), matched with PCRE2: create_session's
 *	  defaults and authsessions.parse_user_agent().
 *
 *	  The rules follow uap-core's docs/specification.md: in each section
 *	  (browser, OS, device) the first matching rule wins; a replacement
 *	  string stands for its field, with $1..$9 replaced by the groups (an
 *	  unset group by nothing) and the result trimmed, empty meaning none;
 *	  without one a field is its group (browser family 1, major 2, minor 3,
 *	  patch 4; OS the same and patch_minor 5; device family and model 1, no
 *	  brand); regex_flag 'i' is PCRE2_CASELESS; no match, or no family, is
 *	  "Other".
 *
 *	  Memory and state: the rules are compiled (and JIT-compiled where PCRE2
 *	  can) at the first parse of a backend, into uap_cxt, a child of
 *	  TopMemoryContext that PCRE2 allocates from; they stay until the backend
 *	  exits.  A compile interrupted by an error is thrown away and redone by
 *	  the next parse.  Every match is bounded (match, depth and heap limits;
 *	  a fixed JIT stack), and a rule that hits a bound counts as not
 *	  matching.  Subjects are UTF-8 checked once here (PostgreSQL's check is
 *	  stricter than PCRE2's), so PCRE2 is told not to check again; in another
 *	  database encoding the agent is converted to UTF-8 first, and an agent
 *	  that is not valid UTF-8 or cannot be converted is an unknown one.  The
 *	  last UAP_CACHE_SIZE agents' fields are kept in a per-backend LRU cache
 *	  (uap_cache_cxt) keyed by the agent's exact bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "args.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "compat.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "jsonout.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "useragent.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(authsessions_parse_user_agent);
PG_FUNCTION_INFO_V1(authsessions_parse_user_agent_raw);

/* bounds of one match: far above what any rule needs on a 1 kB agent */
#define UAP_MATCH_LIMIT		1000000
#define UAP_DEPTH_LIMIT		10000
#define UAP_HEAP_LIMIT_KB	8192
#define UAP_JIT_STACK_START (32 * 1024)
#define UAP_JIT_STACK_MAX	(512 * 1024)
/* groups kept per match: $1..$9 and some room */
#define UAP_OVECTOR_PAIRS	16

#define UAP_CACHE_SIZE		256
#define UAP_CACHE_BUCKETS	512 /* a power of two */

enum
{
	UAP_UA,
	UAP_OS,
	UAP_DEVICE,
	UAP_NSECTIONS
};

/* the fields of each section, in AsUapRule.repl's order */
static const int uap_nfields[UAP_NSECTIONS] = {4, 5, 3};

/* What the rules say of an agent (UTF-8); NULL for an absent field. */
typedef struct UapResult
{
	char	   *fields[UAP_NSECTIONS][5];
} UapResult;

/* compiled rules and match state, see the banner */
static MemoryContext uap_cxt = NULL;
static pcre2_general_context *uap_gctx = NULL;
static pcre2_compile_context *uap_ccontext = NULL;
static pcre2_match_context *uap_mctx = NULL;
static pcre2_jit_stack *uap_jit_stack = NULL;
static pcre2_match_data *uap_mdata = NULL;
static pcre2_code **uap_codes[UAP_NSECTIONS];
static bool uap_ready = false;

/* One cached agent: its bytes, then its three fields, in one chunk. */
typedef struct UapCacheEntry
{
	char	   *agent;			/* NULL when the slot is free */
	int			len;
	uint32		hash;
	char	   *fields[3];		/* smartphone, operating system, application */
	int			bucket_next;	/* next slot of the hash bucket, or -1 */
	int			lru_prev;		/* more recently used, or -1 */
	int			lru_next;		/* less recently used, or -1 */
} UapCacheEntry;

static MemoryContext uap_cache_cxt = NULL;
static UapCacheEntry uap_cache[UAP_CACHE_SIZE];
static int	uap_buckets[UAP_CACHE_BUCKETS];
static int	uap_lru_head = -1;
static int	uap_lru_tail = -1;
static int	uap_cache_used = 0;

/* PCRE2's allocator: uap_cxt, NULL (not an error) when out of memory. */
static void *
uap_malloc(PCRE2_SIZE size, void *data)
{
	return MemoryContextAllocExtended(uap_cxt, size, MCXT_ALLOC_NO_OOM);
}

/* PCRE2's deallocator. */
static void
uap_free(void *ptr, void *data)
{
	if (ptr != NULL)
		pfree(ptr);
}

/* Free what a previous, interrupted compile left (JIT code lives outside uap_cxt). */
static void
uap_release(void)
{
	int			s,
				i;

	for (s = 0; s < UAP_NSECTIONS; s++)
	{
		if (uap_codes[s] == NULL)
			continue;
		for (i = 0; i < (s == UAP_UA ? as_uap_ua_count :
						 s == UAP_OS ? as_uap_os_count : as_uap_device_count); i++)
			if (uap_codes[s][i] != NULL)
				pcre2_code_free(uap_codes[s][i]);
		uap_codes[s] = NULL;
	}
	if (uap_jit_stack != NULL)
		pcre2_jit_stack_free(uap_jit_stack);
	uap_jit_stack = NULL;
	uap_gctx = NULL;
	uap_ccontext = NULL;
	uap_mctx = NULL;
	uap_mdata = NULL;
	MemoryContextReset(uap_cxt);
}

/* The rules of a section and their count. */
static const AsUapRule *
uap_section_rules(int section, int *count)
{
	switch (section)
	{
		case UAP_UA:
			*count = as_uap_ua_count;
			return as_uap_ua_rules;
		case UAP_OS:
			*count = as_uap_os_count;
			return as_uap_os_rules;
		default:
			*count = as_uap_device_count;
			return as_uap_device_rules;
	}
}

/* Report PCRE2 out of memory. */
pg_noreturn static void
uap_out_of_memory(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("Compiling the User-Agent rules failed.")));
}

/*
 * Compile every rule, once per backend.  A rule PCRE2 refuses is skipped
 * with a WARNING (the conformance suite fails on one); the JIT is used where
 * it compiles, the interpreter elsewhere.
 */
static void
uap_compile(void)
{
	int			s,
				i,
				count;

	if (uap_ready)
		return;
	if (uap_cxt == NULL)
		uap_cxt = AllocSetContextCreate(TopMemoryContext,
										"authsessions User-Agent rules",
										ALLOCSET_DEFAULT_SIZES);
	else
		uap_release();

	uap_gctx = pcre2_general_context_create(uap_malloc, uap_free, NULL);
	if (uap_gctx == NULL)
		uap_out_of_memory();
	uap_ccontext = pcre2_compile_context_create(uap_gctx);
	uap_mctx = pcre2_match_context_create(uap_gctx);
	uap_mdata = pcre2_match_data_create(UAP_OVECTOR_PAIRS, uap_gctx);
	uap_jit_stack = pcre2_jit_stack_create(UAP_JIT_STACK_START,
										   UAP_JIT_STACK_MAX, uap_gctx);
	if (uap_ccontext == NULL || uap_mctx == NULL || uap_mdata == NULL ||
		uap_jit_stack == NULL)
		uap_out_of_memory();
	pcre2_set_match_limit(uap_mctx, UAP_MATCH_LIMIT);
	pcre2_set_depth_limit(uap_mctx, UAP_DEPTH_LIMIT);
	pcre2_set_heap_limit(uap_mctx, UAP_HEAP_LIMIT_KB);
	/* the JIT ignores the depth limit: its stack is the bound */
	pcre2_jit_stack_assign(uap_mctx, NULL, uap_jit_stack);

	for (s = 0; s < UAP_NSECTIONS; s++)
	{
		const AsUapRule *rules = uap_section_rules(s, &count);

		uap_codes[s] = MemoryContextAllocZero(uap_cxt,
											  sizeof(pcre2_code *) * count);
		for (i = 0; i < count; i++)
		{
			int			error;
			PCRE2_SIZE	offset;
			pcre2_code *code;

			CHECK_FOR_INTERRUPTS();
			code = pcre2_compile((PCRE2_SPTR) rules[i].regex,
								 PCRE2_ZERO_TERMINATED,
								 PCRE2_UTF | (rules[i].caseless ? PCRE2_CASELESS : 0),
								 &error, &offset, uap_ccontext);
			if (code == NULL)
			{
				PCRE2_UCHAR message[256];

				if (error == PCRE2_ERROR_NOMEMORY)
					uap_out_of_memory();
				pcre2_get_error_message(error, message, sizeof(message));
				ereport(WARNING,
						(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
						 errmsg("authsessions: User-Agent rule %d of section %d does not compile, skipped",
								i + 1, s + 1),
						 errdetail("PCRE2 says \"%s\" at offset %zu of \"%s\".",
								   (const char *) message, (size_t) offset,
								   rules[i].regex)));
				continue;
			}
			/* no JIT (not built in, no executable memory): the interpreter */
			(void) pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
			uap_codes[s][i] = code;
		}
	}
	uap_ready = true;
}

/*
 * The first rule of the section that matches the subject (valid UTF-8), or
 * -1; on a match, *ngroups is how many ovector pairs are set.
 */
static int
uap_match(int section, PCRE2_SPTR subject, PCRE2_SIZE len, int *ngroups)
{
	int			i,
				count;

	(void) uap_section_rules(section, &count);
	for (i = 0; i < count; i++)
	{
		int			rc;

		CHECK_FOR_INTERRUPTS();
		if (uap_codes[section][i] == NULL)
			continue;
		/* validated by uap_subject: PostgreSQL's UTF-8 check is stricter */
		rc = pcre2_match(uap_codes[section][i], subject, len, 0,
						 PCRE2_NO_UTF_CHECK, uap_mdata, uap_mctx);
		if (rc >= 0)
		{
			*ngroups = rc == 0 ? UAP_OVECTOR_PAIRS : rc;
			return i;
		}
		/* PCRE2_ERROR_NOMATCH, or a bound reached: not this rule */
	}
	return -1;
}

/* Group n of the last match, or NULL when unset or empty. */
static char *
uap_group(PCRE2_SPTR subject, int ngroups, int n)
{
	PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(uap_mdata);

	if (n >= ngroups || ovector[2 * n] == PCRE2_UNSET ||
		ovector[2 * n + 1] <= ovector[2 * n])
		return NULL;
	return pnstrdup((const char *) subject + ovector[2 * n],
					ovector[2 * n + 1] - ovector[2 * n]);
}

/* A replacement with $1..$9 filled in and trimmed; NULL when empty. */
static char *
uap_replace(const char *repl, PCRE2_SPTR subject, int ngroups)
{
	StringInfoData buf;
	int			start,
				end;

	initStringInfo(&buf);
	for (; *repl != '\0'; repl++)
	{
		if (repl[0] == '$' && repl[1] >= '1' && repl[1] <= '9')
		{
			char	   *group = uap_group(subject, ngroups, repl[1] - '0');

			if (group != NULL)
				appendStringInfoString(&buf, group);
			repl++;
		}
		else
			appendStringInfoChar(&buf, *repl);
	}
	for (start = 0; start < buf.len && isspace((unsigned char) buf.data[start]); start++)
		;
	for (end = buf.len; end > start && isspace((unsigned char) buf.data[end - 1]); end--)
		;
	if (end == start)
		return NULL;
	return pnstrdup(buf.data + start, end - start);
}

/*
 * Parse a valid UTF-8 subject (NULL: unknown) into *result.  Allocates in
 * the current memory context.
 */
static void
uap_parse(const char *subject, int len, UapResult *result)
{
	int			s;

	memset(result, 0, sizeof(*result));
	if (subject != NULL)
		uap_compile();
	for (s = 0; s < UAP_NSECTIONS; s++)
	{
		int			ngroups = 0;
		int			count;
		int			i = subject == NULL ? -1 :
			uap_match(s, (PCRE2_SPTR) subject, len, &ngroups);
		const AsUapRule *rules = uap_section_rules(s, &count);
		const AsUapRule *rule = i >= 0 ? &rules[i] : NULL;
		char	  **f = result->fields[s];
		int			k;

		if (i >= 0 && s == UAP_DEVICE)
		{
			f[0] = rule->repl[0] ? uap_replace(rule->repl[0], (PCRE2_SPTR) subject, ngroups) :
				uap_group((PCRE2_SPTR) subject, ngroups, 1);
			f[1] = rule->repl[1] ? uap_replace(rule->repl[1], (PCRE2_SPTR) subject, ngroups) :
				NULL;
			f[2] = rule->repl[2] ? uap_replace(rule->repl[2], (PCRE2_SPTR) subject, ngroups) :
				uap_group((PCRE2_SPTR) subject, ngroups, 1);
		}
		else if (i >= 0)
		{
			for (k = 0; k < uap_nfields[s]; k++)
				f[k] = rule->repl[k] ?
					uap_replace(rule->repl[k], (PCRE2_SPTR) subject, ngroups) :
					uap_group((PCRE2_SPTR) subject, ngroups, k + 1);
		}
		if (f[0] == NULL)
			f[0] = pstrdup("Other");
	}
}

/*
 * len bytes of src converted from encoding from to encoding to, as a
 * palloc'd NUL-terminated string; NULL when there is no conversion or src
 * does not convert whole.
 */
static char *
uap_convert(const char *src, int len, int from, int to)
{
	Oid			proc = FindDefaultConversionProc(from, to);
	int			destlen;
	char	   *dest;

	if (!OidIsValid(proc))
		return NULL;
	destlen = len * MAX_CONVERSION_GROWTH + 1;
	dest = palloc(destlen);
	if (pg_do_encoding_conversion_buf(proc, from, to,
									  (unsigned char *) src, len,
									  (unsigned char *) dest, destlen,
									  true) < len)
		return NULL;
	return dest;
}

/*
 * PCRE2's JIT reads the subject with 16-byte vector loads that may run up
 * to 15 bytes past its end (never across a page, so they cannot fault, but
 * they read memory that is not the subject's: valgrind reports them).  So
 * the subject is always a copy followed by this many zero bytes, and every
 * byte the matcher reads is ours.
 */
#define UAP_SUBJECT_PADDING 32

/* len bytes of src, then UAP_SUBJECT_PADDING zero bytes, palloc'd */
static char *
uap_padded(const char *src, int len)
{
	char	   *dest = palloc0((Size) len + UAP_SUBJECT_PADDING);

	memcpy(dest, src, len);
	return dest;
}

/*
 * The agent as valid UTF-8 (*outlen bytes, padded for the matcher:
 * UAP_SUBJECT_PADDING), or NULL when it is not valid UTF-8 (SQL_ASCII,
 * UTF8) or cannot be converted (other encodings).
 */
static char *
uap_subject(const char *agent, int len, int *outlen)
{
	int			encoding = GetDatabaseEncoding();
	char	   *dest;

	*outlen = len;
	if (encoding == PG_UTF8 || encoding == PG_SQL_ASCII)
		return pg_verify_mbstr(PG_UTF8, agent, len, true) ? uap_padded(agent, len) : NULL;

	dest = uap_convert(agent, len, encoding, PG_UTF8);
	if (dest == NULL)
		return NULL;
	*outlen = strlen(dest);
	return pg_verify_mbstr(PG_UTF8, dest, *outlen, true) ? uap_padded(dest, *outlen) : NULL;
}

/*
 * A UTF-8 field in the database encoding, cut to maxchars characters
 * (0: not cut); NULL when it cannot be converted.
 */
static char *
uap_to_server(const char *field, int maxchars)
{
	int			len = strlen(field);
	int			encoding = GetDatabaseEncoding();

	if (maxchars > 0)
	{
		int			chars = 0,
					cut = 0;

		while (cut < len && chars < maxchars)
		{
			cut += pg_utf_mblen((const unsigned char *) field + cut);
			chars++;
		}
		len = Min(cut, len);
	}
	if (encoding == PG_UTF8 || encoding == PG_SQL_ASCII)
		return pnstrdup(field, len);
	return uap_convert(field, len, PG_UTF8, encoding);
}

/* The documented fields of a parse, in the database encoding. */
static void
uap_format(const UapResult *r, AsUserAgentFields *out)
{
	char *const *ua = r->fields[UAP_UA];
	char *const *os = r->fields[UAP_OS];
	char *const *dev = r->fields[UAP_DEVICE];
	StringInfoData buf;
	int			s,
				k;
	char	   *smartphone,
			   *fields[2];

	if (strcmp(dev[0], "Other") == 0 || strcmp(dev[0], "Spider") == 0)
		smartphone = "-";
	else if (dev[1] != NULL && dev[2] != NULL)
		smartphone = psprintf("%s %s", dev[1], dev[2]);
	else if (dev[1] != NULL)
		smartphone = pstrdup(dev[1]);
	else
		smartphone = pstrdup(dev[0]);

	/* "Family- v. major.minor.patch", stopping at the first missing part */
	for (s = 0; s < 2; s++)
	{
		char *const *f = s == 0 ? os : ua;

		initStringInfo(&buf);
		appendStringInfo(&buf, "%s- v. ", f[0]);
		for (k = 1; k < uap_nfields[s == 0 ? UAP_OS : UAP_UA] && f[k] != NULL; k++)
		{
			if (k > 1)
				appendStringInfoChar(&buf, '.');
			appendStringInfoString(&buf, f[k]);
		}
		fields[s] = buf.data;
	}

	out->smartphone = uap_to_server(smartphone, AS_USERAGENT_FIELD_MAX_CHARS);
	out->operating_system = uap_to_server(fields[0], AS_USERAGENT_FIELD_MAX_CHARS);
	out->application = uap_to_server(fields[1], AS_USERAGENT_FIELD_MAX_CHARS);
	/* the unknown agent's fields where one does not convert */
	if (out->smartphone == NULL)
		out->smartphone = pstrdup("-");
	if (out->operating_system == NULL)
		out->operating_system = pstrdup("Other- v. ");
	if (out->application == NULL)
		out->application = pstrdup("Other- v. ");
}

/* Unlink cache slot i from the LRU list. */
static void
uap_lru_unlink(int i)
{
	UapCacheEntry *e = &uap_cache[i];

	if (e->lru_prev >= 0)
		uap_cache[e->lru_prev].lru_next = e->lru_next;
	else
		uap_lru_head = e->lru_next;
	if (e->lru_next >= 0)
		uap_cache[e->lru_next].lru_prev = e->lru_prev;
	else
		uap_lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = -1;
}

/* Make cache slot i the most recently used. */
static void
uap_lru_push(int i)
{
	UapCacheEntry *e = &uap_cache[i];

	e->lru_prev = -1;
	e->lru_next = uap_lru_head;
	if (uap_lru_head >= 0)
		uap_cache[uap_lru_head].lru_prev = i;
	uap_lru_head = i;
	if (uap_lru_tail < 0)
		uap_lru_tail = i;
}

/* Drop cache slot i from its hash bucket and free it. */
static void
uap_cache_remove(int i)
{
	UapCacheEntry *e = &uap_cache[i];
	int		   *link = &uap_buckets[e->hash & (UAP_CACHE_BUCKETS - 1)];

	while (*link != i)
		link = &uap_cache[*link].bucket_next;
	*link = e->bucket_next;
	uap_lru_unlink(i);
	pfree(e->agent);
	e->agent = NULL;
}

/* The cache slot of an agent, or -1. */
static int
uap_cache_find(const char *agent, int len, uint32 hash)
{
	int			i;

	for (i = uap_buckets[hash & (UAP_CACHE_BUCKETS - 1)]; i >= 0;
		 i = uap_cache[i].bucket_next)
		if (uap_cache[i].hash == hash && uap_cache[i].len == len &&
			memcmp(uap_cache[i].agent, agent, len) == 0)
			return i;
	return -1;
}

/* Remember an agent's fields, evicting the least recently used one if full. */
static void
uap_cache_add(const char *agent, int len, uint32 hash,
			  const AsUserAgentFields *fields)
{
	const char *values[3] = {fields->smartphone, fields->operating_system,
	fields->application};
	Size		size = len + 1;
	char	   *chunk,
			   *p;
	int			i,
				k;
	UapCacheEntry *e;

	for (k = 0; k < 3; k++)
		size += strlen(values[k]) + 1;
	chunk = MemoryContextAlloc(uap_cache_cxt, size);

	if (uap_cache_used < UAP_CACHE_SIZE)
		i = uap_cache_used++;
	else
	{
		i = uap_lru_tail;
		uap_cache_remove(i);
	}
	e = &uap_cache[i];
	memcpy(chunk, agent, len);
	chunk[len] = '\0';
	p = chunk + len + 1;
	for (k = 0; k < 3; k++)
	{
		strcpy(p, values[k]);
		e->fields[k] = p;
		p += strlen(values[k]) + 1;
	}
	e->agent = chunk;
	e->len = len;
	e->hash = hash;
	e->bucket_next = uap_buckets[hash & (UAP_CACHE_BUCKETS - 1)];
	uap_buckets[hash & (UAP_CACHE_BUCKETS - 1)] = i;
	uap_lru_push(i);
}

/*
 * The Smartphone, OperatingSystem and Application fields of an agent (len
 * bytes in the database encoding), allocated in the current memory context.
 * Never fails on the agent's content: a malformed one is an unknown agent.
 */
void
as_useragent_fields(const char *agent, int len, AsUserAgentFields *fields)
{
	uint32		hash = hash_bytes((const unsigned char *) agent, len);
	int			i;

	if (uap_cache_cxt == NULL)
	{
		uap_cache_cxt = AllocSetContextCreate(TopMemoryContext,
											  "authsessions User-Agent cache",
											  ALLOCSET_DEFAULT_SIZES);
		memset(uap_buckets, -1, sizeof(uap_buckets));
	}

	i = uap_cache_find(agent, len, hash);
	if (i < 0)
	{
		MemoryContext parse_cxt = AllocSetContextCreate(CurrentMemoryContext,
														"authsessions User-Agent parse",
														ALLOCSET_DEFAULT_SIZES);
		MemoryContext caller = MemoryContextSwitchTo(parse_cxt);
		UapResult	result;
		AsUserAgentFields parsed;
		char	   *subject;
		int			subject_len;

		subject = uap_subject(agent, len, &subject_len);
		uap_parse(subject, subject_len, &result);
		uap_format(&result, &parsed);
		MemoryContextSwitchTo(caller);
		uap_cache_add(agent, len, hash, &parsed);
		MemoryContextDelete(parse_cxt);
		i = uap_cache_find(agent, len, hash);
		Assert(i >= 0);
	}
	else
	{
		uap_lru_unlink(i);
		uap_lru_push(i);
	}
	fields->smartphone = pstrdup(uap_cache[i].fields[0]);
	fields->operating_system = pstrdup(uap_cache[i].fields[1]);
	fields->application = pstrdup(uap_cache[i].fields[2]);
}

/*
 * authsessions.parse_user_agent(user_agent text): {"Smartphone",
 * "OperatingSystem", "Application"} as create_session derives them.
 */
Datum
authsessions_parse_user_agent(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {"Smartphone", "Application", "OperatingSystem"};
	static JsonKeys keys = JSON_KEYS(names);
	AsUserAgentFields fields;
	JsonOut		out = {0};
	text	   *agent;

	as_args_required(fcinfo, 0, "user_agent");
	as_args_text(fcinfo, 0, "user_agent", AS_USERAGENT_MAX_CHARS);
	agent = PG_GETARG_TEXT_PP(0);
	as_useragent_fields(VARDATA_ANY(agent), VARSIZE_ANY_EXHDR(agent), &fields);

	as_json_begin_object(&out, &keys);
	as_json_string(&out, fields.smartphone);
	as_json_string(&out, fields.application);
	as_json_string(&out, fields.operating_system);
	as_json_end_object(&out);
	PG_RETURN_JSONB_P(as_json_finish(&out));
}

/*
 * authsessions.parse_user_agent_raw(user_agent text), internal (the
 * conformance suite): what the rules say, uncached, as text[] {browser
 * family, major, minor, patch, OS family, major, minor, patch, patch_minor,
 * device family, brand, model}, NULL for an absent field.
 */
Datum
authsessions_parse_user_agent_raw(PG_FUNCTION_ARGS)
{
	text	   *agent;
	UapResult	result;
	char	   *subject;
	int			subject_len;
	Datum		elems[12];
	bool		nulls[12];
	int			dims[1] = {12};
	int			lbs[1] = {1};
	int			s,
				k,
				n = 0;

	as_args_required(fcinfo, 0, "user_agent");
	as_args_text(fcinfo, 0, "user_agent", AS_USERAGENT_MAX_CHARS);
	agent = PG_GETARG_TEXT_PP(0);
	subject = uap_subject(VARDATA_ANY(agent), VARSIZE_ANY_EXHDR(agent),
						  &subject_len);
	uap_parse(subject, subject_len, &result);
	for (s = 0; s < UAP_NSECTIONS; s++)
		for (k = 0; k < uap_nfields[s]; k++, n++)
		{
			char	   *value = result.fields[s][k] ?
				uap_to_server(result.fields[s][k], 0) : NULL;

			nulls[n] = value == NULL;
			elems[n] = value ? CStringGetTextDatum(value) : (Datum) 0;
		}
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs,
											 TEXTOID, -1, false, TYPALIGN_INT));
}
