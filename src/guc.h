/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  The settings authsessions.* (guc.c), defined when the library loads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_GUC_H
#define AUTHSESSIONS_GUC_H

/* page_size when the argument is NULL, and the least max_page_size */
#define AUTHSESSIONS_DEFAULT_PAGE_SIZE	50

/* authsessions.session_limit_action */
typedef enum SessionLimitAction
{
	SESSION_LIMIT_EVICT_OLDEST,
	SESSION_LIMIT_REFUSE
} SessionLimitAction;

extern int	authsessions_idle_timeout;
extern int	authsessions_touch_interval;
extern int	authsessions_max_ttl;
extern int	authsessions_max_lifetime;
extern int	authsessions_max_page_size;
extern int	authsessions_max_sessions_per_user;
extern int	authsessions_session_limit_action;
extern char *authsessions_notify_channel;
extern char *authsessions_jwt_secret_file;
extern char *authsessions_jwt_role;
extern char *authsessions_jwt_operator_role;
extern char *authsessions_jwt_audience;
extern int	authsessions_jwt_ttl;
extern int	authsessions_jwt_max_ttl;

#endif							/* AUTHSESSIONS_GUC_H */
