# shellcheck shell=bash
# test/extra/lib/example_roles.sh: the roles of examples/postgrest/roles.sql
# in the shared test cluster.  Roles are cluster-wide, so a suite that loads
# roles.sql drops at its end the ones it created, and only those.
#
#   example_roles_note   before loading roles.sql: remember which roles of
#                        EXAMPLE_ROLES do not exist yet
#   example_roles_drop   drop those again (after the databases that hold
#                        grants to them); never fails: it runs in EXIT traps
#   example_roles_createdb DB [COMMAND...]
#                        example_roles_note, CREATE DATABASE DB, each COMMAND
#                        (ALTER DATABASE DB SET ..., run in database
#                        postgres), then roles.sql loaded into DB as a user
#                        loads it
#   example_roles_dropdb DB...
#                        drop the databases (WITH (FORCE)), then
#                        example_roles_drop; never fails: for EXIT traps

EXAMPLE_ROLES="authenticator authsessions_anon authsessions_admin authsessions_app authsessions_user"
EXAMPLE_ROLES_CREATED=""
EXAMPLE_ROLES_SQL=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/examples/postgrest/roles.sql

example_roles_note() {
	local existing r
	existing=$(psql -X -At -d postgres -c \
		"SELECT string_agg(rolname, ' ') FROM pg_roles WHERE rolname IN ('${EXAMPLE_ROLES// /\',\'}')")
	for r in $EXAMPLE_ROLES; do
		[[ " $existing " == *" $r "* ]] || EXAMPLE_ROLES_CREATED+=" $r"
	done
}

example_roles_drop() {
	local r
	for r in $EXAMPLE_ROLES_CREATED; do
		psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
	done
	EXAMPLE_ROLES_CREATED=""
	return 0
}

example_roles_createdb() {
	local db=$1 cmd create=()
	shift
	for cmd in "CREATE DATABASE $db" "$@"; do create+=(-c "$cmd"); done
	example_roles_note
	psql -X -q -v ON_ERROR_STOP=1 -d postgres "${create[@]}" >/dev/null
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" \
		-f "$EXAMPLE_ROLES_SQL" >/dev/null
}

example_roles_dropdb() {
	local db
	for db in "$@"; do
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	done
	example_roles_drop
}
