# shellcheck shell=bash
# scripts/pgenv.sh: helpers to build authsessions and run it in a throwaway
# PostgreSQL 15 cluster.  Source it (from a script running under
# `set -euo pipefail`), then call:
#
#   pgenv_install_deps   apt-install what building and testing need, if missing
#   pgenv_build_install  make + make install, warnings as errors
#   pgenv_start          initdb + start a private cluster; exports PGHOST,
#                        PGPORT, PGUSER, PGDATABASE; stops it again on EXIT.
#                        It also writes a random JWT signing key (64 bytes,
#                        mode 0600, the server's user) named by
#                        authsessions.jwt_secret_file, and exports its path
#                        as AUTHSESSIONS_JWT_KEY_FILE
#   pgenv_stop           stop the cluster and delete its directory (idempotent)
#
# Works as root (the server runs as the `postgres` OS user through runuser:
# PostgreSQL refuses to run as root) and as an ordinary user.
#
# Environment knobs:
#   AUTHSESSIONS_TEST_PORT  preferred port (default 54329; the next free one is
#                           taken when it is busy)
#   PG_CONFIG               pg_config to build against (default: PostgreSQL 15's)
#   PGENV_PG_BIN            the PostgreSQL binaries to run (default:
#                           /usr/lib/postgresql/15/bin; scripts/matrix.sh sets
#                           17's and 18's inside its chroots)

PGENV_PG_BIN=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
export PG_CONFIG=${PG_CONFIG:-$PGENV_PG_BIN/pg_config}
# initdb, pg_ctl, psql, pg_regress' psql: always the version-15 binaries.
export PATH="$PGENV_PG_BIN:$PATH"

# The repository root: this file lives in <root>/scripts/.
PGENV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/apt.sh
source "$PGENV_ROOT/scripts/lib/apt.sh"

# pgenv_packages MAJOR: the Debian packages of the environment that tests
# PostgreSQL MAJOR, one a line, from its section of scripts/packages.txt
# (which lists every environment's: this host's, Debian 12 with 15, and the
# chroots of scripts/matrix.sh).  A package keeps its trailing "?" or "+".
pgenv_packages() {
	local line words=() in_section=0
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%%#*}
		read -r -a words <<<"$line"
		if ((${#words[@]} == 0)); then
			continue
		elif [[ ${words[0]} == '['* ]]; then
			in_section=0
			if [[ ${words[1]:-} == "$1]" ]]; then in_section=1; fi
		elif ((in_section)); then
			printf '%s\n' "${words[@]}"
		fi
	done <"$PGENV_ROOT/scripts/packages.txt"
}

# pgenv_suite MAJOR: the Debian suite of that environment (its section's
# header), or nothing when scripts/packages.txt has no section for MAJOR.
pgenv_suite() {
	local line words=()
	while IFS= read -r line || [[ -n $line ]]; do
		read -r -a words <<<"${line%%#*}"
		if ((${#words[@]} == 2)) && [[ ${words[0]} == '['* && ${words[1]} == "$1]" ]]; then
			printf '%s\n' "${words[0]#[}"
			return 0
		fi
	done <"$PGENV_ROOT/scripts/packages.txt"
}

# The packages needed to build and test against PGENV_PG_BIN's version
# (/usr/lib/postgresql/MAJOR/bin): on this host, Debian 12's for 15.
PGENV_PG_MAJOR=$(basename "$(dirname "$PGENV_PG_BIN")")
mapfile -t PGENV_PACKAGES < <(pgenv_packages "$PGENV_PG_MAJOR")

# The flags every build uses (CI or not: they cost nothing).
PGENV_CFLAGS="-Wall -Wextra -Wno-unused-parameter -Werror"

# Directory of the running throwaway cluster (empty when none is running).
PGENV_DIR=""

pgenv_log() { printf '[pgenv] %s\n' "$*" >&2; }

# True when the Debian package $1 is installed (not merely known to dpkg, as a
# removed package whose config files remain would be).
# An installed package that Provides $1 counts too (NodeSource's nodejs
# provides npm, and conflicts with Debian's npm).
_pgenv_pkg_installed() {
	[[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]] && return 0
	dpkg-query -W -f='${db:Status-Status}\t${Provides}\n' 2>/dev/null | awk -F'\t' -v want="$1" '
		$1 == "installed" {
			n = split($2, p, /, */)
			for (i = 1; i <= n; i++) { split(p[i], w, /[ :]/); if (w[1] == want) found = 1 }
		}
		END { exit !found }'
}

pgenv_install_deps() {
	local pkg missing=()
	if ((${#PGENV_PACKAGES[@]} == 0)); then
		pgenv_log "scripts/packages.txt has no section for PostgreSQL $PGENV_PG_MAJOR"
		exit 1
	fi
	for pkg in "${PGENV_PACKAGES[@]}"; do
		# an optional package ("name?") is installed when apt knows it
		if [[ $pkg == *'?' ]]; then
			pkg=${pkg%'?'}
			_pgenv_pkg_installed "$pkg" || [[ -z $(apt-cache -q=2 show "$pkg" 2>/dev/null) ]] ||
				missing+=("$pkg")
			continue
		fi
		pkg=${pkg%+} # "+": installed by apt in the chroots, as here
		_pgenv_pkg_installed "$pkg" || missing+=("$pkg")
	done
	if ((${#missing[@]} == 0)); then
		pgenv_log "dependencies present"
		return 0
	fi
	if ((EUID != 0)); then
		pgenv_log "missing packages: ${missing[*]}"
		pgenv_log "install them as root: apt-get install --no-install-recommends ${missing[*]}"
		exit 1
	fi
	pgenv_log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Packages with a service (nginx) are installed, not started: the suites
	# and the demo run their own private instances (scripts/lib/apt.sh).
	apt_without_services _pgenv_apt_install "${missing[@]}"
}

# apt-get install PACKAGE..., with the lists refreshed first.
_pgenv_apt_install() {
	apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

pgenv_build_install() {
	pgenv_log "building with PG_CFLAGS=\"$PGENV_CFLAGS\""
	# Chained with && so that a failed build stops here even when the caller
	# tests this function in an `if` (where set -e does not apply).
	make -C "$PGENV_ROOT" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$PGENV_CFLAGS" &&
		make -C "$PGENV_ROOT" install PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$PGENV_CFLAGS"
}

# Run a server-side command (initdb, pg_ctl) as the cluster's owner: the
# postgres OS user when we are root, ourselves otherwise.  It runs from the
# cluster directory so that postgres never needs access to our cwd.
_pgenv_as_owner() {
	if ((EUID == 0)); then
		(cd "$PGENV_DIR" && runuser -u postgres -- "$@")
	else
		(cd "$PGENV_DIR" && "$@")
	fi
}

# True when something already listens on 127.0.0.1:$1.
_pgenv_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pgenv_start() {
	if [[ -n "$PGENV_DIR" ]]; then
		pgenv_log "cluster already running in $PGENV_DIR"
		return 0
	fi

	# Pick the port: the preferred one, or the next free one above it.
	local port=${AUTHSESSIONS_TEST_PORT:-54329} tries=0
	while _pgenv_port_busy "$port"; do
		((++tries <= 100)) || { pgenv_log "no free port near ${AUTHSESSIONS_TEST_PORT:-54329}"; exit 1; }
		port=$((port + 1))
	done

	PGENV_DIR=$(mktemp -d /tmp/authsessions-pg.XXXXXX)
	# From here on, whatever happens, the cluster goes away with the script.
	trap pgenv_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	if ((EUID == 0)); then
		id postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql postgres
		chown postgres: "$PGENV_DIR"
	fi

	pgenv_log "initdb in $PGENV_DIR (port $port)"
	# C locale and UTF8: the same sort order and messages on every machine.
	_pgenv_as_owner initdb -D "$PGENV_DIR/data" -U postgres -A trust -E UTF8 \
		--no-locale --no-sync --no-instructions >"$PGENV_DIR/initdb.log" 2>&1 || {
		cat "$PGENV_DIR/initdb.log" >&2
		exit 1
	}

	# The JWT signing key that issue_jwt and check_request read (and the HTTP
	# suites' PostgREST): random bytes as text, no trailing newline.
	AUTHSESSIONS_JWT_KEY_FILE=$PGENV_DIR/jwt.key
	(umask 077 && head -c 48 /dev/urandom | base64 -w0 | tr "+/" "-_" >"$AUTHSESSIONS_JWT_KEY_FILE")
	chmod 600 "$AUTHSESSIONS_JWT_KEY_FILE"
	((EUID == 0)) && chown postgres: "$AUTHSESSIONS_JWT_KEY_FILE"
	export AUTHSESSIONS_JWT_KEY_FILE

	# Settings for a disposable test server.
	cat >>"$PGENV_DIR/data/postgresql.conf" <<-EOF

		# --- authsessions throwaway test cluster ---
		port = $port
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$PGENV_DIR'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		log_min_messages = warning
		max_prepared_transactions = 10
		timezone = 'UTC'
		authsessions.jwt_secret_file = '$AUTHSESSIONS_JWT_KEY_FILE'
	EOF

	if ! _pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -l "$PGENV_DIR/server.log" \
		-w -t 60 start >/dev/null; then
		pgenv_log "server failed to start; its log:"
		cat "$PGENV_DIR/server.log" >&2 || true
		exit 1
	fi

	export PGHOST="$PGENV_DIR" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
	pgenv_log "cluster up: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE"
}

# Stop the cluster and remove its directory.  Safe to call twice, and never
# fails (it runs from the EXIT trap, where it must not change the exit code).
pgenv_stop() {
	[[ -n "$PGENV_DIR" ]] || return 0
	if [[ -f "$PGENV_DIR/data/postmaster.pid" ]]; then
		# immediate: no shutdown checkpoint, the data is thrown away anyway.
		_pgenv_as_owner pg_ctl -D "$PGENV_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$PGENV_DIR" || true
	pgenv_log "cluster stopped and removed"
	PGENV_DIR=""
	return 0
}
