# shellcheck shell=bash
# test/extra/lib/trust_common.sh: helpers shared by the trust suites
# (test/extra/1[0-5]_*.sh).  Source it from a script running under
# `set -euo pipefail` with PGHOST, PGPORT, PGUSER (a superuser) and
# PGDATABASE exported, as scripts/test.sh does.
#
#   tc_check, tc_pass, tc_fail, tc_summary, eq, ge: see lib/checks.sh
#   tc_createdb PREFIX         create a fresh database, set TC_DB (and drop it,
#                              and every role tc_role made, on EXIT)
#   tc_role NAME [OPTIONS]     create a role (LOGIN unless OPTIONS say
#                              otherwise), dropped on EXIT
#   tc_psql [args]             psql -X -q -At -v ON_ERROR_STOP=1 -d "$TC_DB"
#   tc_grant_readme ADMIN APP  the README's GRANTs to those roles, in TC_DB
#   tc_server_log              print the path of the server's log file, if it
#                              can be found and read (else nothing)
#   tc_log_offset FILE         the current size of FILE (0 if missing)
#
# TRUST_KEEP=1 keeps the database, the roles and the temporary files, for
# debugging.

# shellcheck source=test/extra/lib/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

TC_DB=""
TC_ROLES=()

export PATH="${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}:$PATH"
# no NOTICE chatter from IF EXISTS and friends
export PGOPTIONS="${PGOPTIONS:+$PGOPTIONS }-c client_min_messages=warning"

# tc_grant_readme ADMIN APP: in TC_DB, the GRANTs of the README, verbatim but
# for the role names (an empty name skips that role's).
tc_grant_readme() {
	if [[ -n $1 ]]; then
		tc_psql -v admin="$1" <<'SQL'
GRANT USAGE ON SCHEMA authsessions TO :"admin";
GRANT EXECUTE ON FUNCTION authsessions.list(integer, integer, uuid),
                          authsessions.user_sessions(uuid, integer, integer),
                          authsessions.ended_sessions(uuid, integer, integer),
                          authsessions.revoke(bigint),
                          authsessions.revoke_user(uuid)
      TO :"admin";
SQL
	fi
	if [[ -n $2 ]]; then
		tc_psql -v app="$2" <<'SQL'
GRANT USAGE ON SCHEMA authsessions TO :"app";
GRANT EXECUTE ON FUNCTION authsessions.upsert_user(uuid, text, boolean),
                          authsessions.delete_user(uuid),
                          authsessions.create_session(uuid, text, text, text, interval, text, inet, interval),
                          authsessions.validate(text),
                          authsessions.check_token(text),
                          authsessions.parse_user_agent(text),
                          authsessions.end_session(text),
                          authsessions.purge(interval, integer)
      TO :"app";
SQL
	fi
}

tc_psql() {
	psql -X -q -At -v ON_ERROR_STOP=1 -d "$TC_DB" "$@"
}

_tc_cleanup() {
	local r
	if [[ -n ${TRUST_KEEP:-} ]]; then
		echo "TRUST_KEEP: kept database $TC_DB, roles ${TC_ROLES[*]}, files $TC_TMP" >&2
		return 0
	fi
	if [[ -n $TC_DB ]]; then
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$TC_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
	fi
	for r in "${TC_ROLES[@]+"${TC_ROLES[@]}"}"; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 || true
	done
	if [[ -n ${TC_TMP:-} ]]; then rm -rf "$TC_TMP"; fi
}

tc_createdb() {
	TC_DB="$1_$$"
	TC_TMP=$(mktemp -d "/tmp/$1.XXXXXX")
	trap _tc_cleanup EXIT
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS \"$TC_DB\"" \
		-c "CREATE DATABASE \"$TC_DB\"" >/dev/null
}

tc_role() {
	local name=$1
	shift
	TC_ROLES+=("$name")
	psql -X -q -v ON_ERROR_STOP=1 -d postgres \
		-c "DROP ROLE IF EXISTS \"$name\"" \
		-c "CREATE ROLE \"$name\" ${*:-LOGIN}" >/dev/null
}

tc_server_log() {
	local f dir logfile
	if [[ -n ${AUTHSESSIONS_SERVER_LOG:-} && -r $AUTHSESSIONS_SERVER_LOG ]]; then
		echo "$AUTHSESSIONS_SERVER_LOG"
		return 0
	fi
	dir=$(psql -X -At -d postgres -c "SELECT current_setting('data_directory')" 2>/dev/null) || dir=""
	logfile=$(psql -X -At -d postgres -c "SELECT pg_current_logfile('stderr')" 2>/dev/null) || logfile=""
	for f in "${logfile:+$dir/$logfile}" "${logfile}" \
		"${PGHOST:+$PGHOST/server.log}" "${dir:+$(dirname "$dir")/server.log}"; do
		if [[ -n $f && -f $f && -r $f ]]; then
			echo "$f"
			return 0
		fi
	done
	return 0
}

tc_log_offset() {
	if [[ -f $1 ]]; then stat -c %s "$1"; else echo 0; fi
}

# The bytes of FILE after OFFSET.
tc_log_since() {
	tail -c "+$(($2 + 1))" "$1"
}
