/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Settings of the authsessions extension, defined when the library loads.
 *
 * Every setting is PGC_SUSET: only a superuser (or a role granted SET on the
 * parameter) changes them, so a caller of the API cannot stretch session
 * lifetimes or page sizes, nor pick the role its JWTs name.  The one
 * exception is authsessions.jwt_secret_file, PGC_SIGHUP (postgresql.conf
 * only) and shown only to roles that may read all settings: the path of the
 * JWT signing key, whose bytes jwt.c reads and never shows.  The "authsessions" prefix is reserved, so a
 * misspelt setting is reported instead of silently ignored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "guc.h"
#include "jwt.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* idle timeout of a new session, in seconds (48 hours) */
int			authsessions_idle_timeout = 48 * 3600;

/* a session's expiry slides at most once per this many seconds */
int			authsessions_touch_interval = 60;

/* the longest idle timeout a session may ask for, in seconds (400 days) */
int			authsessions_max_ttl = 400 * 86400;

/* a session's absolute lifetime from its creation, in seconds; 0: none */
int			authsessions_max_lifetime = 0;

/* the largest page_size accepted by list and user_sessions */
int			authsessions_max_page_size = 1000;

/* the most active sessions a user may have; 0: no cap */
int			authsessions_max_sessions_per_user = 0;

/* what create_session does at the cap */
int			authsessions_session_limit_action = SESSION_LIMIT_EVICT_OLDEST;

/* the channel that ended sessions are announced on; empty: none (notify.c) */
char	   *authsessions_notify_channel = NULL;

/* the file holding the JWT signing key (jwt.c); empty: none */
char	   *authsessions_jwt_secret_file = NULL;

/* the role claim of issue_jwt's JWTs, and of operators' JWTs (empty: jwt_role) */
char	   *authsessions_jwt_role = NULL;
char	   *authsessions_jwt_operator_role = NULL;

/* the aud claim of issue_jwt's JWTs, checked by check_request; empty: none */
char	   *authsessions_jwt_audience = NULL;

/* issue_jwt's default and largest ttl, in seconds */
int			authsessions_jwt_ttl = 300;
int			authsessions_jwt_max_ttl = 3600;

/* A role name setting: at most NAMEDATALEN - 1 bytes (empty allowed). */
static bool
check_role_name(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && strlen(*newval) >= NAMEDATALEN)
	{
		GUC_check_errdetail("A role name has at most %d bytes.", NAMEDATALEN - 1);
		return false;
	}
	return true;
}

/* authsessions.jwt_role: a role name, not empty. */
static bool
check_jwt_role(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("The role of the JWTs must not be empty.");
		return false;
	}
	return check_role_name(newval, extra, source);
}

static const struct config_enum_entry session_limit_actions[] = {
	{"evict_oldest", SESSION_LIMIT_EVICT_OLDEST, false},
	{"refuse", SESSION_LIMIT_REFUSE, false},
	{NULL, 0, false}
};

void		_PG_init(void);

/*
 * Check hook of authsessions.notify_channel: empty (off), or a name NOTIFY
 * accepts and LISTEN can name, shorter than NAMEDATALEN bytes (LISTEN
 * truncates a longer identifier, so nobody could listen to it).
 */
static bool
check_notify_channel(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && strlen(*newval) >= NAMEDATALEN)
	{
		GUC_check_errdetail("A channel name must be shorter than %d bytes.",
							NAMEDATALEN);
		return false;
	}
	return true;
}

/* Define the settings and reserve their prefix. */
void
_PG_init(void)
{
	DefineCustomIntVariable("authsessions.idle_timeout",
							"Idle timeout of a new session when create_session gets no ttl.",
							"ExpirationDate is LastUpdated plus this; it must not exceed authsessions.max_ttl.",
							&authsessions_idle_timeout,
							48 * 3600, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("authsessions.touch_interval",
							"Minimum time between two slides of a session's expiry by validate.",
							"0 slides the expiry on every validate call.",
							&authsessions_touch_interval,
							60, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("authsessions.max_ttl",
							"Longest idle timeout a session may be given.",
							NULL,
							&authsessions_max_ttl,
							400 * 86400, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("authsessions.max_lifetime",
							"Absolute lifetime of a session from its creation; 0 means none.",
							"ExpirationDate never passes CreatedAt plus this, at creation nor when validate slides it.",
							&authsessions_max_lifetime,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("authsessions.max_page_size",
							"Largest page_size accepted by list and user_sessions.",
							NULL,
							&authsessions_max_page_size,
							1000, AUTHSESSIONS_DEFAULT_PAGE_SIZE, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("authsessions.max_sessions_per_user",
							"Most active sessions a user may have; 0 means no cap.",
							"At the cap, authsessions.session_limit_action decides what create_session does.",
							&authsessions_max_sessions_per_user,
							0, 0, 1000000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("authsessions.session_limit_action",
							 "What create_session does when the user has authsessions.max_sessions_per_user active sessions.",
							 "evict_oldest ends the least recently used ones; refuse raises PT429 err_TooManySessions.",
							 &authsessions_session_limit_action,
							 SESSION_LIMIT_EVICT_OLDEST, session_limit_actions,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("authsessions.notify_channel",
							   "Channel on which every ended session is announced; empty means none.",
							   "Each revoke, logout, eviction or deleted user's active session sends {\"ID\", \"UserGuid\", \"Reason\"} there when its transaction commits.",
							   &authsessions_notify_channel,
							   "",
							   PGC_SUSET, 0,
							   check_notify_channel, NULL, NULL);

	DefineCustomStringVariable("authsessions.jwt_secret_file",
							   "File holding the HS256 key of issue_jwt and check_request.",
							   "Its bytes, at least 32, no trailing newline; readable by the server's user only (or owned by root and group-readable). Read when first needed and again after a reload.",
							   &authsessions_jwt_secret_file,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY,
							   NULL, as_jwt_key_assign, NULL);

	DefineCustomStringVariable("authsessions.jwt_role",
							   "Role claim of the JWTs that issue_jwt makes.",
							   NULL,
							   &authsessions_jwt_role,
							   "authsessions_user",
							   PGC_SUSET, 0,
							   check_jwt_role, NULL, NULL);

	DefineCustomStringVariable("authsessions.jwt_operator_role",
							   "Role claim of the JWTs that issue_jwt makes for a user with IsOperator.",
							   "Empty: authsessions.jwt_role.",
							   &authsessions_jwt_operator_role,
							   "",
							   PGC_SUSET, 0,
							   check_role_name, NULL, NULL);

	DefineCustomStringVariable("authsessions.jwt_audience",
							   "Audience (aud claim) of issue_jwt's JWTs, required by check_request when set.",
							   "Empty: no aud claim, and none is checked.",
							   &authsessions_jwt_audience,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("authsessions.jwt_ttl",
							"Lifetime of a JWT from issue_jwt when no ttl is given.",
							"Capped at authsessions.jwt_max_ttl and at the session's expiry.",
							&authsessions_jwt_ttl,
							300, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("authsessions.jwt_max_ttl",
							"Longest lifetime issue_jwt accepts for a JWT.",
							NULL,
							&authsessions_jwt_max_ttl,
							3600, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("authsessions");
}
