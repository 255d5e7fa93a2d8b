/*-------------------------------------------------------------------------
 *
 * useragent.h
 *	  The device fields (Smartphone, OperatingSystem, Application) derived
 *	  from a User-Agent with the ua-parser rules (useragent.c), and the rule
 *	  table generated from uap-core's regexes.yaml (uap_rules.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTHSESSIONS_USERAGENT_H
#define AUTHSESSIONS_USERAGENT_H

/* create_session's limit on user_agent, also parse_user_agent's */
#define AS_USERAGENT_MAX_CHARS	1024
/* a derived field is cut to create_session's limit on the device fields */
#define AS_USERAGENT_FIELD_MAX_CHARS	256

/*
 * One rule of regexes.yaml: the regex, regex_flag 'i', and the section's
 * replacements in order (NULL: none): user_agent_parsers family, v1, v2,
 * v3; os_parsers os, os_v1 .. os_v4; device_parsers device, brand, model.
 */
typedef struct AsUapRule
{
	const char *regex;
	bool		caseless;
	const char *repl[5];
} AsUapRule;

/* uap_rules.c, generated at build time */
extern const char *const as_uap_version;
extern const AsUapRule as_uap_ua_rules[];
extern const int as_uap_ua_count;
extern const AsUapRule as_uap_os_rules[];
extern const int as_uap_os_count;
extern const AsUapRule as_uap_device_rules[];
extern const int as_uap_device_count;

/* The three documented fields of an agent, in the server encoding. */
typedef struct AsUserAgentFields
{
	char	   *smartphone;
	char	   *operating_system;
	char	   *application;
} AsUserAgentFields;

extern void as_useragent_fields(const char *agent, int len,
								AsUserAgentFields *fields);

#endif							/* AUTHSESSIONS_USERAGENT_H */
