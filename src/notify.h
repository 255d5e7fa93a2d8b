/*-------------------------------------------------------------------------
 *
 * notify.h
 *	  Telling the application that a session ended (notify.c): a NOTIFY on
 *	  the channel authsessions.notify_channel names, when it names one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_NOTIFY_H
#define AUTHSESSIONS_NOTIFY_H

#include "fmgr.h"

/*
 * Why a session ended: the "Reason" of its notification, and (but
 * user_deleted, whose sessions are deleted) sessions.end_reason.
 */
typedef enum NotifyReason
{
	NOTIFY_REASON_REVOKED,		/* revoke, revoke_user, self-service revokes */
	NOTIFY_REASON_LOGOUT,		/* end_session, logout */
	NOTIFY_REASON_EVICTED,		/* max_sessions_per_user's eviction */
	NOTIFY_REASON_USER_DELETED	/* delete_user, one per active session */
} NotifyReason;

extern const char *as_notify_reason_name(NotifyReason reason);
extern bool as_notify_enabled(void);
extern void as_notify_session_ended(int64 id, Datum user_guid,
									NotifyReason reason);

#endif							/* AUTHSESSIONS_NOTIFY_H */
