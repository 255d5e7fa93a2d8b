/*-------------------------------------------------------------------------
 *
 * notify.c
 *	  The notification of an ended session: with authsessions.notify_channel
 *	  set, every session that a writer ends is announced on that channel as
 *	  {"ID": n, "UserGuid": "...", "Reason": "..."}.
 *
 * The notification is queued with Async_Notify, NOTIFY's own entry point, in
 * the transaction (or subtransaction) that ended the session: PostgreSQL
 * delivers it when that transaction commits and drops it when it (or the
 * subtransaction) aborts, and refuses to PREPARE a transaction that queued
 * one (0A000).  A writer calls as_notify_session_ended() once per session
 * its statement ended, after that statement succeeded and while its result
 * is still at hand; expiry and purge end nothing and announce nothing.
 * Nothing here allocates: the payload is formatted on the stack, and
 * Async_Notify copies it into the transaction's memory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/async.h"
#include "guc.h"
#include "notify.h"
#include "utils/uuid.h"

/* The "Reason" of each NotifyReason, in its order. */
static const char *const reason_names[] = {
	[NOTIFY_REASON_REVOKED] = "revoked",
	[NOTIFY_REASON_LOGOUT] = "logout",
	[NOTIFY_REASON_EVICTED] = "evicted",
	[NOTIFY_REASON_USER_DELETED] = "user_deleted",
};

/*
 * The name of a reason: its notification's "Reason", and the value the
 * writers store in sessions.end_reason.
 */
const char *
as_notify_reason_name(NotifyReason reason)
{
	if ((int) reason < 0 || (int) reason >= (int) lengthof(reason_names))
		elog(ERROR, "authsessions: unknown reason %d", (int) reason);
	return reason_names[reason];
}

/* Is a channel set (authsessions.notify_channel not empty)? */
bool
as_notify_enabled(void)
{
	return authsessions_notify_channel != NULL &&
		authsessions_notify_channel[0] != '\0';
}

/*
 * Queue the notification that session id of the user with that guid (a
 * uuid Datum) ended for reason, on authsessions.notify_channel; nothing when
 * no channel is set.  Delivered if and when the current transaction commits.
 */
void
as_notify_session_ended(int64 id, Datum user_guid, NotifyReason reason)
{
	static const char hex[] = "0123456789abcdef";
	const pg_uuid_t *uuid = DatumGetUUIDP(user_guid);
	char		guid[2 * UUID_LEN + 5];
	char		payload[128];
	char	   *p = guid;
	int			len;
	int			i;

	if (!as_notify_enabled())
		return;

	/* the uuid as uuid_out writes it, without allocating */
	for (i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid->data[i] >> 4];
		*p++ = hex[uuid->data[i] & 0x0F];
	}
	*p = '\0';

	len = snprintf(payload, sizeof(payload),
				   "{\"ID\": " INT64_FORMAT ", \"UserGuid\": \"%s\", \"Reason\": \"%s\"}",
				   id, guid, as_notify_reason_name(reason));
	if (len < 0 || len >= (int) sizeof(payload))
		elog(ERROR, "authsessions: notification payload too long");

	/* checked by the setting's check hook: shorter than NAMEDATALEN */
	Async_Notify(authsessions_notify_channel, payload);
}
