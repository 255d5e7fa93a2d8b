#!/usr/bin/env bash
# test/extra/24_jwt_key.sh: the JWT signing key of authsessions.jwt_secret_file,
# in a private cluster (its configuration is changed and reloaded here).
#
# It checks that the functions needing the key (issue_jwt, check_request with
# a bearer JWT) fail with 55000 and a clear message without a usable key: no
# setting, a missing file, a directory, a file accessible to its group or to
# others, a key under 32 bytes, a trailing newline; that a file owned by
# root with mode 0640 (group postgres) is accepted; that the key is read once
# and cached, then read again after a reload in the same backend (its JWTs
# are signed with the new key, checked with openssl); and that the key stays
# hidden: as an unprivileged role and as a pg_monitor member, SHOW,
# current_setting, pg_settings, pg_file_settings, pg_db_role_setting and
# every error path of both (before and after the library is loaded in the
# session), and the server log, are searched for the key's bytes (and each
# half of them), which must never appear.
# Binaries: ${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}, with the extension
# installed there; needs openssl.  Runs as root (chown of the key files);
# otherwise it skips the checks that need another owner.  Prints PASS/FAIL
# per check and "N passed, N failed"; exit status 1 on failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/owncluster.sh
source test/extra/lib/owncluster.sh
# shellcheck source=test/extra/lib/checks.sh
source test/extra/lib/checks.sh

GUID=83bde819-ec08-4cee-b635-884145630d0b
oc_init "log_min_messages = warning" "log_min_error_statement = error"
oc_start
q() { oc_psql -d postgres -At "$@"; }
# as_role ROLE SQL...: run SQL as ROLE (a login-less role, through SET ROLE), all output
as_role() {
	local role=$1
	shift
	oc_psql -d postgres -At -v ON_ERROR_STOP=0 -c "SET ROLE $role" "$@" 2>&1 || true
}
# sqlstate SQL: the SQLSTATE of the error SQL raises (empty when none)
sqlstate() {
	oc_psql -d postgres -At -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -c "$1" 2>&1 |
		sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' | head -n 1
}
KEYDIR=$OC_DIR/keys
mkdir -p "$KEYDIR"
chmod 755 "$KEYDIR"
owner() { ((EUID == 0)) && chown "$@"; return 0; }

# set_key_file PATH: authsessions.jwt_secret_file = PATH, reloaded; waits
# (bounded) until a new connection sees it.
set_key_file() {
	q -c "LOAD 'authsessions'" -c "ALTER SYSTEM SET authsessions.jwt_secret_file = '$1'" -c "SELECT pg_reload_conf()" >/dev/null
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(q -c "SHOW authsessions.jwt_secret_file") == "$1" ]] && return 0
		sleep 0.05
	done
	echo "  the setting did not reach a new connection" >&2
	return 1
}

q >/dev/null <<-EOF
	CREATE EXTENSION authsessions;
	SELECT authsessions.upsert_user('$GUID', 'user', false);
	CREATE ROLE regress_plain;
	CREATE ROLE regress_monitor IN ROLE pg_monitor;
	GRANT USAGE ON SCHEMA authsessions TO regress_plain, regress_monitor;
	GRANT EXECUTE ON FUNCTION authsessions.issue_jwt(text, interval), authsessions.check_request()
		TO regress_plain, regress_monitor;
EOF
TOKEN=$(q -c "SELECT authsessions.create_session('$GUID') ->> 'Token'")
ISSUE="SELECT authsessions.issue_jwt('$TOKEN') ->> 'JWT'"
# a JWT of the right shape (its signature 32 bytes), so that checking it needs the key
BEARER="SELECT set_config('request.headers', '{\"authorization\": \"Bearer eyJhbGciOiJIUzI1NiJ9.e30.$(printf 'A%.0s' {1..43})\"}', false)"

# --- without a usable key: 55000 ------------------------------------------------------
out=$(q -c "$ISSUE" 2>&1 || true)
tc_check "no authsessions.jwt_secret_file: issue_jwt -> 55000, 'not set'" \
	eq "$(sqlstate "$ISSUE")|$([[ $out == *"the JWT signing key is not available"* && $out == *"is not set"* ]] && echo clear)" "55000|clear"
tc_check "no key: check_request with a bearer JWT -> 55000" eq "$(sqlstate "$BEARER; SELECT authsessions.check_request()")" 55000
tc_check "no key: check_request without a bearer JWT passes" eq "$(sqlstate "SELECT authsessions.check_request()")" ""
tc_check "no key: issue_jwt for a token that is no session -> NULL (the key is not needed)" \
	eq "$(q -c "SELECT authsessions.issue_jwt('junk') IS NULL")" t

KEY=$(openssl rand -hex 24)   # 48 ASCII bytes
KEY2=$(openssl rand -hex 24)
# key_case NAME FILE EXPECTED_DETAIL: issue_jwt with FILE -> 55000 and the detail
key_case() {
	set_key_file "$2"
	local out
	out=$(q -c "$ISSUE" 2>&1 || true)
	tc_check "$1 -> 55000, '$3'" eq "$(sqlstate "$ISSUE")|$([[ $out == *"$3"* ]] && echo detail)" "55000|detail"
}
key_case "a missing file" "$KEYDIR/missing" "could not open the file"
key_case "a directory" "$KEYDIR" "not a regular file"
printf '%s' "$KEY" >"$KEYDIR/world"
chmod 644 "$KEYDIR/world"
owner postgres: "$KEYDIR/world"
key_case "mode 0644" "$KEYDIR/world" "accessible to its group or to others"
printf '%s' "$KEY" >"$KEYDIR/group"
chmod 640 "$KEYDIR/group"
owner postgres: "$KEYDIR/group"
key_case "mode 0640 owned by the server's user" "$KEYDIR/group" "accessible to its group or to others"
printf '%s' "${KEY:0:31}" >"$KEYDIR/short"
chmod 600 "$KEYDIR/short"
owner postgres: "$KEYDIR/short"
key_case "31 bytes" "$KEYDIR/short" "shorter than 32 bytes"
printf '%s\n' "$KEY" >"$KEYDIR/newline"
chmod 600 "$KEYDIR/newline"
owner postgres: "$KEYDIR/newline"
key_case "a trailing newline" "$KEYDIR/newline" "ends with a newline"
if ((EUID == 0)); then
	printf '%s' "$KEY" >"$KEYDIR/rootgroup"
	chown root:postgres "$KEYDIR/rootgroup"
	chmod 664 "$KEYDIR/rootgroup"
	key_case "owned by root, mode 0664" "$KEYDIR/rootgroup" "writable by its group"
	chmod 640 "$KEYDIR/rootgroup"
	set_key_file "$KEYDIR/rootgroup"
	tc_check "owned by root, group postgres, mode 0640: accepted" eq "$(sqlstate "$ISSUE")" ""
fi

# --- the key: read once, again after a reload -------------------------------------------------
printf '%s' "$KEY" >"$KEYDIR/key"
chmod 600 "$KEYDIR/key"
owner postgres: "$KEYDIR/key"
set_key_file "$KEYDIR/key"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
signed_with() { # signed_with JWT KEY -> t/f
	local sig
	sig=$(printf '%s' "$(cut -d. -f1-2 <<<"$1")" | openssl dgst -sha256 -hmac "$2" -binary | b64url)
	[[ $sig == "$(cut -d. -f3 <<<"$1")" ]] && echo t || echo f
}
# One backend: a JWT; the file rewritten (no reload: the cached key signs);
# a reload; JWTs until the reload reached it (bounded).
{
	echo "$ISSUE;"
	echo "\\! printf '%s' '$KEY2' >'$KEYDIR/key'"
	echo "$ISSUE;"
	echo "SELECT pg_reload_conf();"
	for ((i = 0; i < 50; i++)); do echo "SELECT pg_sleep(0.1); $ISSUE;"; done
} >"$OC_DIR/reload.sql"
mapfile -t jwts < <(q -f "$OC_DIR/reload.sql" | grep '\.')
tc_check "the first JWT is signed with the key" eq "$(signed_with "${jwts[0]}" "$KEY")" t
tc_check "the file rewritten, no reload: the same backend still signs with the key it read" eq "$(signed_with "${jwts[1]}" "$KEY")" t
tc_check "after pg_reload_conf(): the same backend signs with the new key" eq "$(signed_with "${jwts[-1]}" "$KEY2")" t
KEY1=$KEY
KEY=$KEY2

# --- the key stays hidden --------------------------------------------------------------------
probe="$OC_DIR/probe.out"
: >"$probe"
for role in regress_plain regress_monitor; do
	as_role $role -c "SHOW authsessions.jwt_secret_file" \
		-c "SELECT current_setting('authsessions.jwt_secret_file', true)" \
		-c "SELECT name, setting, reset_val, boot_val, sourcefile FROM pg_settings WHERE name LIKE 'authsessions.%'" \
		-c "SELECT * FROM pg_file_settings" \
		-c "SELECT * FROM pg_db_role_setting" \
		-c "SELECT pg_read_file('$KEYDIR/key')" \
		-c "SET authsessions.jwt_secret_file = '/etc/passwd'" \
		-c "$ISSUE" \
		-c "SELECT authsessions.issue_jwt('$TOKEN', '1 year')" \
		-c "$BEARER" -c "SELECT authsessions.check_request()" \
		-c "SELECT set_config('request.headers', '{\"authorization\": \"Bearer $(q -c "$ISSUE" | cut -d. -f1-2).AAAA\"}', false)" \
		-c "SELECT authsessions.check_request()" \
		-c "SHOW authsessions.jwt_secret_file" \
		-c "SELECT current_setting('authsessions.jwt_secret_file', true)" \
		-c "SELECT name, setting, reset_val, boot_val FROM pg_settings WHERE name LIKE 'authsessions.%'" >>"$probe"
done
# (Before the library is loaded in a session the setting is a placeholder,
# which any role may SHOW: the path, never the key; README says to preload.)
tc_check "an unprivileged role cannot SHOW the setting once the library is loaded (42501)" \
	eq "$(as_role regress_plain -v VERBOSITY=verbose -c "SELECT authsessions.check_request()" \
		-c "SHOW authsessions.jwt_secret_file" | sed -n 's/^ERROR:  \([0-9A-Z]*\):.*/\1/p')" 42501
tc_check "a pg_monitor member sees the path, never the key" \
	eq "$(as_role regress_monitor -c "SHOW authsessions.jwt_secret_file")" "$KEYDIR/key"
tc_check "the probes ran (issue_jwt answered the pg_monitor member)" \
	ge "$(grep -c '^eyJ' "$probe" || true)" 1
# the same errors with a key the server must refuse, as both roles
set_key_file "$KEYDIR/world"
printf '%s' "$KEY" >"$KEYDIR/world"
for role in regress_plain regress_monitor; do
	as_role $role -c "$ISSUE" -c "$BEARER" -c "SELECT authsessions.check_request()" >>"$probe"
done
set_key_file "$KEYDIR/newline"
printf '%s\n' "$KEY" >"$KEYDIR/newline"
as_role regress_plain -c "$ISSUE" >>"$probe"
cat "$OC_DIR/server.log" >>"$probe"
leaks=0
for needle in "$KEY" "${KEY:0:24}" "${KEY:24}" "$KEY1" "${KEY1:0:24}" "${KEY1:24}"; do
	grep -qF -- "$needle" "$probe" && leaks=$((leaks + 1))
done
tc_check "no probe output and no server log line holds the key or half of it ($(wc -l <"$probe") lines searched)" eq "$leaks" 0

tc_summary
