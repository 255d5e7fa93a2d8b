/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Settings of the authsessions extension, defined when the library loads.
 *
 * Every setting is PGC_SUSET: only a superuser (or a role granted SET on the
 * parameter) changes them, so a caller of the API cannot stretch session
 * lifetimes or page sizes.  The "authsessions" prefix is reserved, so a
 * misspelt setting is reported instead of silently ignored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "guc.h"
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

static const struct config_enum_entry session_limit_actions[] = {
	{"evict_oldest", SESSION_LIMIT_EVICT_OLDEST, false},
	{"refuse", SESSION_LIMIT_REFUSE, false},
	{NULL, 0, false}
};

void		_PG_init(void);

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

	MarkGUCPrefixReserved("authsessions");
}
