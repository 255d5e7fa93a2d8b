# shellcheck shell=bash
# test/extra/lib/dbd_pg.sh: for the suites whose checks run in Perl with
# DBD::Pg (lib/Checks.pm) in a database of their own in the shared test
# cluster (17_notify.sh, 62_cancel_timeout.sh, 63_session_in_use.sh;
# 14_no_clear_tokens.sh and 60_crash_durability.sh use dbd_need).
# Source it from a script running under `set -euo pipefail` with PGHOST,
# PGPORT and PGUSER (a superuser) exported, as scripts/test.sh does, then:
#
#   dbd_need            DBD::Pg: as root, apt-get install libdbd-pg-perl when
#                       it is missing; still missing: FAIL (lib/checks.sh),
#                       the summary, exit 1
#   dbd_createdb DB     a new database DB with the extension (one left by an
#                       earlier run dropped first), dropped again on EXIT
#   dbd_perl ARGS...    perl with this directory on @INC (`use Checks;`), for
#                       a script on stdin (a file here finds it with FindBin)

# shellcheck source=test/extra/lib/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

DBD_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DBD_DB=""

dbd_need() {
	perl -MDBD::Pg -e 1 2>/dev/null && return 0
	if ((EUID == 0)); then
		echo "installing libdbd-pg-perl"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libdbd-pg-perl </dev/null >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends libdbd-pg-perl </dev/null >/dev/null; } ||
			true
	fi
	perl -MDBD::Pg -e 1 2>/dev/null && return 0
	tc_fail "DBD::Pg is available" "install it: apt-get install libdbd-pg-perl"
	tc_summary
	exit 1
}

_dbd_dropdb() {
	[[ -n $DBD_DB ]] || return 0
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DBD_DB WITH (FORCE)" 2>/dev/null || true
}

dbd_createdb() {
	DBD_DB=$1
	trap _dbd_dropdb EXIT
	_dbd_dropdb
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DBD_DB"
	psql -X -q -v ON_ERROR_STOP=1 -d "$DBD_DB" -c "CREATE EXTENSION authsessions"
}

dbd_perl() { perl -I"$DBD_LIB" "$@"; }
