/*-------------------------------------------------------------------------
 *
 * args.h
 *	  Argument checks shared by the SQL-callable functions, and who is
 *	  calling them (args.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_ARGS_H
#define AUTHSESSIONS_ARGS_H

#include "datatype/timestamp.h"
#include "fmgr.h"

extern void as_args_required(FunctionCallInfo fcinfo, int argno,
							 const char *argname);
extern int32 as_args_page(FunctionCallInfo fcinfo, int argno);
extern int32 as_args_page_size(FunctionCallInfo fcinfo, int argno);
extern int64 as_args_page_offset(int32 page, int32 page_size);
extern bool as_args_text(FunctionCallInfo fcinfo, int argno,
						 const char *argname, int maxchars);
extern int64 as_args_interval_seconds(Interval *span, const char *argname);
extern char *as_args_actor(void);
extern char *as_args_role_name(void);

#endif							/* AUTHSESSIONS_ARGS_H */
