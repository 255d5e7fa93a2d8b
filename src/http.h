/*-------------------------------------------------------------------------
 *
 * http.h
 *	  What the paged functions read from and tell PostgREST about the HTTP
 *	  request and response (http.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_HTTP_H
#define AUTHSESSIONS_HTTP_H

extern bool as_http_wants_count(void);
extern void as_http_set_range(int64 first, int64 rows, int64 total);

#endif							/* AUTHSESSIONS_HTTP_H */
