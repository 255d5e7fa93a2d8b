# shellcheck shell=bash
# test/extra/lib/example_roles.sh: the roles of examples/postgrest/roles.sql
# in the shared test cluster.  Roles are cluster-wide, so a suite that loads
# roles.sql drops at its end the ones it created, and only those.
#
#   example_roles_note   before loading roles.sql: remember which roles of
#                        EXAMPLE_ROLES do not exist yet
#   example_roles_drop   drop those again (after the databases that hold
#                        grants to them); never fails: it runs in EXIT traps

EXAMPLE_ROLES="authenticator authsessions_anon authsessions_admin authsessions_app authsessions_user"
EXAMPLE_ROLES_CREATED=""

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
