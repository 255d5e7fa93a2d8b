/*-------------------------------------------------------------------------
 *
 * jwt.c
 *	  HS256 JSON Web Tokens signed with the key held in the file named by
 *	  authsessions.jwt_secret_file: issue_jwt signs them, check_request and
 *	  the self-service functions verify the bearer JWT of a PostgREST request.
 *
 * The key.  Read from the file when first needed, and again after the
 * setting is assigned (every configuration reload assigns it), into memory
 * of this backend that is wiped before it is freed.  The file must be a
 * regular file owned by the server's OS user with no group or other access
 * (0600), or owned by root with at most group read (0640), as PostgreSQL
 * asks of ssl_key_file; it holds the key's bytes, 32 to 4096 of them,
 * without a trailing newline.  No message ever shows a byte of it: the
 * errors name the file and the rule it breaks, never its content or size.
 *
 * Verifying.  The signature (HMAC-SHA256 from common/hmac.h, compared in
 * constant time) is checked before anything else of the JWT is parsed, so
 * only content made with the key ever reaches the JSON parser; then the
 * header must say alg HS256, and exp, nbf and (when authsessions.jwt_audience
 * is set) aud must hold.  exp and nbf are read as PostgREST 12 reads them:
 * whole seconds of the clock, with 30 seconds allowed for clock skew, so
 * that check_request never refuses for its times a JWT that PostgREST has
 * just accepted (an admin or backend JWT minted on another host).  A
 * session-bound JWT gains nothing by it: its session must still be active.
 * Failures are returned as a reason, never raised:
 * the caller decides the error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64url.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "compat.h"
#include "guc.h"
#include "jwt.h"
#include "mb/pg_wchar.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#define JWT_MIN_KEY_BYTES	32
#define JWT_MAX_KEY_BYTES	4096
#define JWT_MAC_BYTES		PG_SHA256_DIGEST_LENGTH
/* PostgREST 12's allowance for clock skew on exp, nbf and iat, in seconds */
#define JWT_CLOCK_SKEW_SECS 30

/* the key, in TopMemoryContext; stale: (re)read it before the next use */
static uint8 *jwt_key = NULL;
static int	jwt_key_len = 0;
static bool jwt_key_stale = true;

/*
 * Assign hook of authsessions.jwt_secret_file: the key is read again before
 * its next use.  Runs at every configuration reload that sets the parameter,
 * so a changed file is picked up by a reload even when its path stays.
 */
void
as_jwt_key_assign(const char *newval, void *extra)
{
	jwt_key_stale = true;
}

/* Wipe and free the key held in memory. */
static void
forget_key(void)
{
	if (jwt_key != NULL)
	{
		explicit_bzero(jwt_key, jwt_key_len);
		pfree(jwt_key);
	}
	jwt_key = NULL;
	jwt_key_len = 0;
}

/* Raise 55000 about the key file: what is wrong (never its content). */
static pg_noreturn void
key_error(const char *path, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the JWT signing key is not available"),
			 errdetail("authsessions.jwt_secret_file \"%s\": %s", path, detail),
			 errhint("Put the key (at least 32 bytes, no trailing newline) in a file owned by the server's user with mode 0600, or owned by root with mode 0640, name it in authsessions.jwt_secret_file in postgresql.conf, and reload.")));
}

/*
 * Read the key from authsessions.jwt_secret_file unless it is already held
 * and no reload happened since; raises 55000 when it cannot be used.
 */
static void
load_key(void)
{
	const char *path = authsessions_jwt_secret_file;
	uint8		buf[JWT_MAX_KEY_BYTES + 1];
	struct stat st;
	int			fd;
	int			len = 0;
	const char *problem = NULL;

	if (!jwt_key_stale && jwt_key != NULL)
		return;
	forget_key();

	if (path == NULL || path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the JWT signing key is not available"),
				 errdetail("authsessions.jwt_secret_file is not set."),
				 errhint("Put the key (at least 32 bytes, no trailing newline) in a file owned by the server's user with mode 0600, name it in authsessions.jwt_secret_file in postgresql.conf, and reload.")));

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		key_error(path, psprintf("could not open the file: %m."));
	if (fstat(fd, &st) != 0)
		problem = psprintf("could not stat the file: %m.");
	else if (!S_ISREG(st.st_mode))
		problem = "it is not a regular file.";
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		problem = "it must be owned by the database server's user or by root.";
	else if (st.st_uid == geteuid() && (st.st_mode & (S_IRWXG | S_IRWXO)))
		problem = "it is accessible to its group or to others; owned by the server's user it must have mode 0600 or less.";
	else if (st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)))
		problem = "it is accessible to others or writable by its group; owned by root it must have mode 0640 or less.";
	else
	{
		/* up to one byte more than allowed, to tell a key that is too long */
		while (len < (int) sizeof(buf))
		{
			ssize_t		n = read(fd, buf + len, sizeof(buf) - len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
			{
				problem = psprintf("could not read the file: %m.");
				break;
			}
			if (n == 0)
				break;
			len += n;
		}
		if (problem != NULL)
			;
		else if (len > JWT_MAX_KEY_BYTES)
			problem = "the key is longer than 4096 bytes.";
		else if (len < JWT_MIN_KEY_BYTES)
			problem = "the key is shorter than 32 bytes.";
		else if (buf[len - 1] == '\n' || buf[len - 1] == '\r')
			problem = "the file ends with a newline, which would be part of the key (PostgREST reads the bytes as they are); write it without one, e.g. with printf '%s'.";
	}
	CloseTransientFile(fd);
	if (problem != NULL)
	{
		explicit_bzero(buf, sizeof(buf));
		key_error(path, problem);
	}

	jwt_key = MemoryContextAlloc(TopMemoryContext, len);
	memcpy(jwt_key, buf, len);
	jwt_key_len = len;
	explicit_bzero(buf, sizeof(buf));
	jwt_key_stale = false;
}

/* HMAC-SHA256 of data with the key into mac (JWT_MAC_BYTES). */
static void
jwt_hmac(const char *data, size_t len, uint8 *mac)
{
	pg_hmac_ctx *ctx;

	load_key();
	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_hmac_init(ctx, jwt_key, jwt_key_len) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_hmac_final(ctx, mac, JWT_MAC_BYTES) < 0)
	{
		pg_hmac_free(ctx);
		elog(ERROR, "authsessions: HMAC-SHA256 failed");
	}
	pg_hmac_free(ctx);
}

/* Append len bytes as base64url without padding. */
static void
b64url_append(StringInfo s, const uint8 *data, size_t len)
{
	static const char alphabet[] = AS_B64URL_ALPHABET;
	size_t		i;

	for (i = 0; i + 2 < len; i += 3)
	{
		uint32		v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];

		appendStringInfoChar(s, alphabet[(v >> 18) & 63]);
		appendStringInfoChar(s, alphabet[(v >> 12) & 63]);
		appendStringInfoChar(s, alphabet[(v >> 6) & 63]);
		appendStringInfoChar(s, alphabet[v & 63]);
	}
	if (len - i == 1)
	{
		uint32		v = data[i] << 16;

		appendStringInfoChar(s, alphabet[(v >> 18) & 63]);
		appendStringInfoChar(s, alphabet[(v >> 12) & 63]);
	}
	else if (len - i == 2)
	{
		uint32		v = (data[i] << 16) | (data[i + 1] << 8);

		appendStringInfoChar(s, alphabet[(v >> 18) & 63]);
		appendStringInfoChar(s, alphabet[(v >> 12) & 63]);
		appendStringInfoChar(s, alphabet[(v >> 6) & 63]);
	}
}

/*
 * Decode len characters of base64url without padding into a palloc'd
 * buffer (NUL-terminated, for the JSON parts); NULL when they are not that.
 */
static uint8 *
b64url_decode(const char *src, size_t len, int *outlen)
{
	uint8	   *out;
	uint32		acc = 0;
	int			bits = 0;
	int			n = 0;
	size_t		i;

	if (len % 4 == 1 || len > 65536)
		return NULL;
	out = palloc(len * 3 / 4 + 1);
	for (i = 0; i < len; i++)
	{
		int			v = as_b64url_value((unsigned char) src[i]);

		if (v < 0)
		{
			pfree(out);
			return NULL;
		}
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[n++] = (acc >> bits) & 0xFF;
		}
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/*
 * An HS256 JWT of the JSON object payload (claims already written): the
 * header {"alg":"HS256","typ":"JWT"}, the payload and the signature, each
 * base64url.  palloc'd.  Raises 55000 when the key is not available.
 */
char *
as_jwt_sign(const char *payload)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	StringInfoData s;
	uint8		mac[JWT_MAC_BYTES];

	initStringInfo(&s);
	b64url_append(&s, (const uint8 *) header, strlen(header));
	appendStringInfoChar(&s, '.');
	b64url_append(&s, (const uint8 *) payload, strlen(payload));
	jwt_hmac(s.data, s.len, mac);
	appendStringInfoChar(&s, '.');
	b64url_append(&s, mac, sizeof(mac));
	explicit_bzero(mac, sizeof(mac));
	return s.data;
}

/*
 * One JSON part of a signed JWT as jsonb, NULL when it is not base64url of
 * text in the database encoding.  Only called on parts whose signature
 * matched: malformed JSON there was made with the key, and raises 22P02.
 */
static Jsonb *
decode_part(const char *src, size_t len)
{
	int			n;
	uint8	   *bytes = b64url_decode(src, len, &n);

	if (bytes == NULL || memchr(bytes, '\0', n) != NULL ||
		!pg_verifymbstr((const char *) bytes, n, true))
		return NULL;
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum((char *) bytes)));
}

/* The top-level key of a jsonb object, or NULL. */
static JsonbValue *
claim(Jsonb *jb, const char *key)
{
	return getKeyJsonValueFromContainer(&jb->root, key, strlen(key), NULL);
}

/* A numeric claim as seconds since the Unix epoch. */
static double
numeric_seconds(JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

/* Is the string JsonbValue v equal to the C string s? */
static bool
string_equals(JsonbValue *v, const char *s)
{
	return v->type == jbvString && v->val.string.len == (int) strlen(s) &&
		memcmp(v->val.string.val, s, v->val.string.len) == 0;
}

/* Does the aud claim (a string or an array of strings) name audience? */
static bool
audience_matches(JsonbValue *aud, const char *audience)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (aud->type == jbvString)
		return string_equals(aud, audience);
	if (aud->type != jbvBinary || !JsonContainerIsArray(aud->val.binary.data))
		return false;
	it = JsonbIteratorInit(aud->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_ELEM && string_equals(&v, audience))
			return true;
	}
	return false;
}

/* The sid claim: a positive integer of at most 18 digits, else false. */
static bool
sid_value(JsonbValue *v, int64 *sid)
{
	char	   *text;
	int64		value = 0;
	int			i;

	if (v->type != jbvNumeric)
		return false;
	text = DatumGetCString(DirectFunctionCall1(numeric_out,
											   NumericGetDatum(v->val.numeric)));
	if (text[0] == '\0' || strlen(text) > 18)
		return false;
	for (i = 0; text[i] != '\0'; i++)
	{
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (text[i] - '0');
	}
	*sid = value;
	return value > 0;
}

/*
 * Verify an HS256 JWT with the key: NULL when it holds (claims filled), else
 * the reason, a sentence for an errdetail.  Checks, in order: the shape, the
 * signature (constant time), alg HS256, exp and nbf against the clock (with
 * PostgREST's 30 seconds of skew), aud
 * when authsessions.jwt_audience is set, and a sid that must be a positive
 * integer when present.  Raises 55000 when the key is not available.
 */
const char *
as_jwt_verify(const char *jwt, JwtClaims *claims)
{
	const char *dot1;
	const char *dot2;
	uint8		mac[JWT_MAC_BYTES];
	uint8	   *sig;
	int			siglen;
	bool		match;
	Jsonb	   *header;
	Jsonb	   *payload;
	JsonbValue *v;
	double		now;

	memset(claims, 0, sizeof(*claims));
	dot1 = strchr(jwt, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
		return "The bearer token is not a JWT of three parts.";
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
	if (sig == NULL || siglen != JWT_MAC_BYTES)
		return "The JWT's signature is not an HMAC-SHA256.";
	jwt_hmac(jwt, dot2 - jwt, mac);
	match = timingsafe_bcmp(mac, sig, JWT_MAC_BYTES) == 0;
	explicit_bzero(mac, sizeof(mac));
	if (!match)
		return "The JWT's signature does not match the key of authsessions.jwt_secret_file.";

	header = decode_part(jwt, dot1 - jwt);
	if (header == NULL || !JB_ROOT_IS_OBJECT(header) || JB_ROOT_IS_SCALAR(header) ||
		(v = claim(header, "alg")) == NULL || !string_equals(v, "HS256"))
		return "The JWT's header does not say alg HS256.";
	payload = decode_part(dot1 + 1, dot2 - dot1 - 1);
	if (payload == NULL || !JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_SCALAR(payload))
		return "The JWT's payload is not a JSON object.";

	/* whole seconds, as PostgREST compares them; see the file's header */
	now = (double) (GetCurrentTimestamp() / USECS_PER_SEC) +
		(double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	if ((v = claim(payload, "exp")) != NULL &&
		(v->type != jbvNumeric || now - JWT_CLOCK_SKEW_SECS > numeric_seconds(v)))
		return "The JWT has expired.";
	if ((v = claim(payload, "nbf")) != NULL &&
		(v->type != jbvNumeric || now + JWT_CLOCK_SKEW_SECS < numeric_seconds(v)))
		return "The JWT is not valid yet (nbf).";
	if (authsessions_jwt_audience != NULL && authsessions_jwt_audience[0] != '\0' &&
		((v = claim(payload, "aud")) == NULL ||
		 !audience_matches(v, authsessions_jwt_audience)))
		return "The JWT's aud does not name authsessions.jwt_audience.";

	if ((v = claim(payload, "sub")) != NULL && v->type == jbvString)
		claims->sub = pnstrdup(v->val.string.val, v->val.string.len);
	if ((v = claim(payload, "sid")) != NULL)
	{
		if (!sid_value(v, &claims->sid))
			return "The JWT's sid is not a session ID.";
		claims->has_sid = true;
	}
	return NULL;
}

/*
 * The bearer JWT of the current PostgREST request: the Authorization header
 * that PostgREST copies into request.headers (a JSON object, header names in
 * lower case), without its "Bearer" scheme (any case).  NULL when there is
 * none or it is not a bearer credential.  palloc'd.
 */
char *
as_jwt_bearer(void)
{
	const char *headers = GetConfigOption("request.headers", true, false);
	Jsonb	   *jb;
	JsonbValue *auth;
	const char *p;
	const char *end;

	if (headers == NULL || strstr(headers, "authorization") == NULL)
		return NULL;			/* the common case costs a string search */
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(headers)));
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		return NULL;
	auth = claim(jb, "authorization");
	if (auth == NULL || auth->type != jbvString || auth->val.string.len < 7 ||
		pg_strncasecmp(auth->val.string.val, "bearer ", 7) != 0)
		return NULL;
	p = auth->val.string.val + 7;
	end = auth->val.string.val + auth->val.string.len;
	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	if (p == end)
		return NULL;
	return pnstrdup(p, end - p);
}
