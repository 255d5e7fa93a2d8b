/*-------------------------------------------------------------------------
 *
 * authsessions.h
 *	  Declarations shared by the C files of the authsessions extension.
 *
 * One file per concern:
 *	  guc.c        settings (authsessions.*) and _PG_init
 *	  http.c       PostgREST request and response headers (Content-Range)
 *	  args.c       argument checks shared by the SQL-callable functions
 *	  token.c      token generation, parsing and hashing
 *	  sha256.c     SHA-256 without allocation, for token hashes
 *	  jsonout.c    the jsonb builder and the session JSON objects
 *	  store.c      storage access: SPI plans prepared once per backend
 *	  scan.c       storage access: index scans for the hot reads
 *	  summary.c    the per-user session summary list reads (summary.h),
 *	               and repair_summary
 *	  admin.c      the documented admin API: list, user_sessions, revoke
 *	  lifecycle.c  upsert_user, delete_user, create_session, validate,
 *	               end_session, purge
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_H
#define AUTHSESSIONS_H

#include "fmgr.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "access/skey.h"
#include "storage/itemptr.h"
#include "storage/lockdefs.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/snapshot.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* SQLSTATE PT404: PostgREST answers it with HTTP 404 */
#define ERRCODE_AUTHSESSIONS_NOT_FOUND	MAKE_SQLSTATE('P','T','4','0','4')
/* SQLSTATE PT429: PostgREST answers it with HTTP 429 */
#define ERRCODE_AUTHSESSIONS_TOO_MANY	MAKE_SQLSTATE('P','T','4','2','9')

/* length limits, in characters */
#define AUTHSESSIONS_MAX_NAME		256
#define AUTHSESSIONS_MAX_DEVICE		256
#define AUTHSESSIONS_MAX_USER_AGENT	1024

/* page defaults */
#define AUTHSESSIONS_DEFAULT_PAGE_SIZE	50

/*
 * token: a version prefix, then 32 random bytes and a 6-byte row locator in
 * base64url without padding (the body); 1.0's tokens are the body alone
 */
#define AUTHSESSIONS_SECRET_BYTES	32
#define AUTHSESSIONS_TOKEN_BYTES	38
#define AUTHSESSIONS_TOKEN_BODY_CHARS	51
#define AUTHSESSIONS_TOKEN_PREFIX	"as1_"
#define AUTHSESSIONS_TOKEN_PREFIX_CHARS	4
#define AUTHSESSIONS_TOKEN_CHARS \
	(AUTHSESSIONS_TOKEN_PREFIX_CHARS + AUTHSESSIONS_TOKEN_BODY_CHARS)
#define AUTHSESSIONS_HASH_BYTES		32

/* guc.c */
extern int	authsessions_idle_timeout;
extern int	authsessions_touch_interval;
extern int	authsessions_max_ttl;
extern int	authsessions_max_page_size;
extern int	authsessions_max_sessions_per_user;
extern int	authsessions_session_limit_action;

/* authsessions.session_limit_action */
typedef enum SessionLimitAction
{
	SESSION_LIMIT_EVICT_OLDEST,
	SESSION_LIMIT_REFUSE
} SessionLimitAction;

/* args.c */
extern void check_required_arg(FunctionCallInfo fcinfo, int argno,
							   const char *argname);
extern int32 get_page_arg(FunctionCallInfo fcinfo, int argno);
extern int32 get_page_size_arg(FunctionCallInfo fcinfo, int argno);
extern int64 page_offset(int32 page, int32 page_size);
extern bool check_text_arg(FunctionCallInfo fcinfo, int argno,
						   const char *argname, int maxchars);
extern int64 interval_to_seconds(Interval *span, const char *argname);
extern char *current_actor(void);
extern char *current_role_name(void);

/* sha256.c */
#define AUTHSESSIONS_SHA256_MAX_INPUT	(128 - 9)
extern void authsessions_sha256(const uint8 *data, size_t len, uint8 *digest);

/* token.c */
extern void token_new_secret(uint8 *secret, uint8 *hash_out);
extern char *token_encode(const uint8 *secret, ItemPointer locator);
extern bool token_parse(text *token, uint8 *hash_out, ItemPointer locator);
extern bytea *hash_to_bytea(const uint8 *hash);

/* http.c */
extern bool http_wants_count(void);
extern void http_set_range(int64 first, int64 rows, int64 total);

/* one session with its user, as the JSON of user_sessions shows it */
typedef struct SessionRow
{
	int64		id;
	int32		user_id;
	char	   *guid;			/* text form */
	TimestampTz last_updated;
	TimestampTz expires_at;
	int32		idle_timeout;
	char	   *name;
	bool		is_operator;
	char	   *smartphone;		/* NULL for SQL NULL */
	char	   *operating_system;
	char	   *application;
} SessionRow;

/* one user of list */
typedef struct ListRow
{
	char	   *guid;			/* text form */
	char	   *name;
	bool		is_operator;
	int64		session_count;
} ListRow;

/* What the index scans need to know about the tables (scan.c) */
typedef struct ScanCatalog
{
	bool		valid;
	Oid			users;
	Oid			users_pkey;
	Oid			users_guid_key;
	Oid			sessions;
	Oid			sessions_pkey;
	Oid			sessions_token_hash_key;
	Oid			sessions_user_id_idx;
	Oid			users_listed_name_guid_idx;
	/* users columns */
	AttrNumber	u_id;
	AttrNumber	u_guid;
	AttrNumber	u_name;
	AttrNumber	u_is_operator;
	AttrNumber	u_session_expiries;
	/* sessions columns */
	AttrNumber	s_id;
	AttrNumber	s_user_id;
	AttrNumber	s_last_updated;
	AttrNumber	s_expires_at;
	AttrNumber	s_idle_timeout;
	AttrNumber	s_revoked_at;
	AttrNumber	s_revoked_by;
	AttrNumber	s_token_hash;
	AttrNumber	s_user_guid;
	AttrNumber	s_user_name;
	AttrNumber	s_user_is_operator;
	AttrNumber	s_smartphone;
	AttrNumber	s_operating_system;
	AttrNumber	s_application;
} ScanCatalog;

/* scan.c */
extern const ScanCatalog *scan_catalog(void);
extern bool scan_by_key(Relation rel, Oid indexid, LOCKMODE lockmode,
						RegProcedure eqproc, Datum key, Snapshot snapshot,
						TupleTableSlot *slot);
extern bool scan_session_active(TupleTableSlot *slot, TimestampTz now);
extern bool scan_session_by_token(const uint8 *hash, ItemPointer locator,
								  SessionRow *row);
extern int	scan_user_sessions(Datum guid, SessionRow **rows);
extern text *scan_user_name(Datum guid);
extern int	scan_list(text *cursor_name, pg_uuid_t *cursor_guid, int64 offset,
					  int limit, bool want_total, ListRow **rows,
					  int64 *first, int64 *total);

/* jsonout.c: a writer of jsonb's on-disk format */
#define JSON_MAX_DEPTH 4
#define JSON_SMALL_INTS 256		/* json_int's numbers made once per backend */

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

extern void json_begin_array(JsonOut *out);
extern void json_end_array(JsonOut *out);
extern void json_begin_object(JsonOut *out, JsonKeys *keys);
extern void json_end_object(JsonOut *out);
extern void json_string(JsonOut *out, const char *str);
extern void json_int(JsonOut *out, int64 value);
extern void json_bool(JsonOut *out, bool value);
extern void json_null(JsonOut *out);
extern void json_timestamp(JsonOut *out, TimestampTz ts);
extern void json_value(JsonOut *out, JsonbValue *v);
extern Jsonb *json_finish(JsonOut *out);
extern Jsonb *json_success(bool success);
extern void json_session(JsonOut *out, const SessionRow *row);

/* store.c: prepared statements, one per query text */
typedef enum StoreQuery
{
	Q_REVOKE,
	Q_UPDATE_USER,
	Q_UPSERT_USER,
	Q_SYNC_USER_SESSIONS,
	Q_DELETE_USER,
	Q_CREATE_SESSION,
	Q_LOCK_USER,
	Q_COUNT_ACTIVE,
	Q_EVICT,
	Q_RECOMPUTE_SUMMARY,
	Q_TOUCH,
	Q_END_SESSION,
	Q_PURGE_SESSIONS,
	Q_UNLIST_CANDIDATES,
	Q_LOCK_PURGE_USER,
	Q_RECOMPUTE_USER,
	Q_REPAIR_CANDIDATES,
	Q_LOCK_REPAIR_USER,
	Q_REPAIR_USER,
	Q_COUNT
} StoreQuery;

/* The caller's identity, saved while a statement runs as the owner. */
typedef struct StoreOwner
{
	Oid			userid;
	int			sec_context;
	int			nestlevel;
} StoreOwner;

extern void store_as_owner(Oid fn_oid, StoreOwner *saved);
extern void store_as_caller(const StoreOwner *saved);
extern void store_connect(void);
extern void store_finish(void);
extern int	store_exec(StoreQuery query, Datum *values, const char *nulls,
					   bool read_only, long count);

#endif							/* AUTHSESSIONS_H */
