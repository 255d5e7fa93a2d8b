/*-------------------------------------------------------------------------
 *
 * scan.h
 *	  The hot reads, by index scans without SPI (scan.c), and the rows they
 *	  return.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_SCAN_H
#define AUTHSESSIONS_SCAN_H

#include "datatype/timestamp.h"
#include "storage/itemptr.h"
#include "utils/uuid.h"

/* one session with its user, as the JSON of user_sessions shows it */
typedef struct SessionRow
{
	int64		id;
	int32		user_id;
	char	   *guid;			/* text form */
	TimestampTz last_updated;
	TimestampTz expires_at;
	int32		idle_timeout;
	TimestampTz created_at;
	TimestampTz max_expires_at; /* DT_NOEND when the column is NULL */
	char	   *name;
	bool		is_operator;
	char	   *smartphone;		/* NULL for SQL NULL */
	char	   *operating_system;
	char	   *application;
} SessionRow;

/* one ended session, as ended_sessions shows it */
typedef struct EndedRow
{
	int64		id;
	TimestampTz ended_at;		/* revoked_at, else (expired) expires_at */
	char	   *ended_by;		/* revoked_by; NULL when it expired */
	char	   *end_reason;		/* NULL when it expired or is unknown */
} EndedRow;

/* one user of list */
typedef struct ListRow
{
	char	   *guid;			/* text form */
	char	   *name;
	bool		is_operator;
	int64		session_count;
} ListRow;

extern void as_scan_check_catalog(void);
extern bool as_scan_session_by_token(const uint8 *hash, ItemPointer locator,
									 SessionRow *row);
extern bool as_scan_session_by_id(int64 id, SessionRow *row);
extern int	as_scan_user_sessions(Datum guid, SessionRow **rows);
extern int	as_scan_ended_sessions(Datum guid, EndedRow **rows);
extern text *as_scan_user_name(Datum guid);
extern int	as_scan_list(text *cursor_name, pg_uuid_t *cursor_guid,
						 int64 offset, int limit, bool want_total,
						 ListRow **rows, int64 *first, int64 *total);

#endif							/* AUTHSESSIONS_SCAN_H */
