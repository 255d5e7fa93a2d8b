#!/usr/bin/env bash
# scripts/demo.sh: build authsessions, load the documented example users into
# a throwaway PostgreSQL 15 cluster and print the JSON of the documented admin
# API calls (list, user-sessions, revoke, and revoke again -> err_NoActiveSession).
#
#   bash scripts/demo.sh
#
# Run as root on a fresh Debian 12 machine it installs what it needs first.
# The cluster lives in a temporary directory and is removed on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pgenv.sh
source scripts/pgenv.sh

pgenv_install_deps

# The compiler's output only matters when the build fails.
build_log=$(mktemp)
if ! pgenv_build_install >"$build_log" 2>&1; then
	cat "$build_log" >&2
	rm -f "$build_log"
	echo "demo: build failed" >&2
	exit 1
fi
rm -f "$build_log"

pgenv_start

# A database of its own in the fresh cluster; demo.sql creates the extension.
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE authsessions_demo"
psql -X -v ON_ERROR_STOP=1 -d authsessions_demo -f scripts/demo.sql
