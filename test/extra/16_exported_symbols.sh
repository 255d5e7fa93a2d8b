#!/usr/bin/env bash
# test/extra/16_exported_symbols.sh: the installed library exports only names
# of its own.
#
# PostgreSQL loads extension libraries with RTLD_GLOBAL, and PostgreSQL 15
# does not build them with -fvisibility=hidden, so every non-static function
# or variable of authsessions.so can clash with one of the server or of
# another extension.  Allowed (nm -D --defined-only on the installed library):
#   - as_*                   the project prefix, as_<module>_... (src/*.h);
#   - the SQL-callable functions, named like their SQL functions, and their
#     pg_finfo_* records: the names in the AS 'MODULE_PATHNAME', 'name'
#     clauses (or, without a name, the SQL function's own name) of every
#     install and upgrade script, so that a library newer than a database's
#     objects still serves them;
#   - authsessions_* data: the settings' variables (functions so named must
#     be SQL-callable);
#   - _PG_init, Pg_magic_func, and the linker's own _init, _fini, __bss_start,
#     _edata and _end.
# Also checks that every SQL-callable function of the current version's
# install script (default_version) is exported.  Needs no database; nm comes
# with binutils.  Prints PASS/FAIL per check, the offending names, and
# "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh

PG_CONFIG="${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}/pg_config"

if ! command -v nm >/dev/null; then
	tc_fail "nm is available" "install binutils"
	tc_summary
	exit 1
fi
LIB="$("$PG_CONFIG" --pkglibdir)/authsessions.so"
if [[ ! -f $LIB ]]; then
	tc_fail "the library is installed" "$LIB is missing"
	tc_summary
	exit 1
fi
VERSION=$(sed -n "s/^default_version = '\(.*\)'/\1/p" authsessions.control)
CURRENT="authsessions--$VERSION.sql"
if [[ ! -f $CURRENT ]]; then
	tc_fail "install script of $VERSION" "$CURRENT is missing"
	tc_summary
	exit 1
fi

# The C names a script binds: AS 'MODULE_PATHNAME', 'name' gives name; a
# bare AS 'MODULE_PATHNAME' the name of the function being created (its
# schema and quotes removed).
sql_callable() {
	awk '
		{ line = tolower($0) }
		match(line, /create[ \t]+(or[ \t]+replace[ \t]+)?function[ \t]+[^ \t(]+/) {
			fn = substr($0, RSTART, RLENGTH)
			sub(/^.*[ \t]/, "", fn)
			sub(/^.*\./, "", fn)
			gsub(/"/, "", fn)
		}
		/'"'"'MODULE_PATHNAME'"'"'/ {
			rest = $0
			sub(/^.*'"'"'MODULE_PATHNAME'"'"'/, "", rest)
			if (match(rest, /^[ \t]*,[ \t]*'"'"'[^'"'"']+'"'"'/)) {
				name = substr(rest, RSTART, RLENGTH)
				sub(/^[^'"'"']*'"'"'/, "", name)
				sub(/'"'"'$/, "", name)
				print name
			} else if (fn != "")
				print fn
		}' "$@" | sort -u
}

mapfile -t allowed_sql < <(sql_callable authsessions--*.sql)
mapfile -t current_sql < <(sql_callable "$CURRENT")
tc_check "SQL-callable names found in $CURRENT (${#current_sql[@]})" ge "${#current_sql[@]}" 1

declare -A sql=()
for name in "${allowed_sql[@]}"; do sql[$name]=1; done

# "address type name", versioned names without their @VERSION
mapfile -t exported < <(nm -D --defined-only "$LIB" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $2, $3 }')

offending=()
declare -A have=()
for entry in "${exported[@]}"; do
	type=${entry%% *}
	name=${entry#* }
	have[$name]=1
	case $name in
	as_* | _PG_init | Pg_magic_func | _init | _fini | __bss_start | _edata | _end) continue ;;
	pg_finfo_*) [[ -n ${sql[${name#pg_finfo_}]:-} ]] && continue ;;
	authsessions_*)
		[[ -n ${sql[$name]:-} ]] && continue
		[[ $type == [BbDdGgSsRr] ]] && continue # a setting's variable
		;;
	*) [[ -n ${sql[$name]:-} ]] && continue ;;
	esac
	offending+=("$name ($type)")
done
if ((${#offending[@]} == 0)); then
	tc_pass "every one of the ${#exported[@]} exported symbols is allowed"
else
	tc_fail "every exported symbol is allowed" "${#offending[@]} are not"
	printf '  not allowed: %s\n' "${offending[@]}"
fi

missing=()
for name in "${current_sql[@]}"; do
	[[ -n ${have[$name]:-} && -n ${have[pg_finfo_$name]:-} ]] || missing+=("$name")
done
if ((${#missing[@]} == 0)); then
	tc_pass "every SQL-callable function of $CURRENT is exported"
else
	tc_fail "every SQL-callable function of $CURRENT is exported" "${#missing[@]} are not"
	printf '  missing: %s\n' "${missing[@]}"
fi

tc_summary
