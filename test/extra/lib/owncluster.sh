# shellcheck shell=bash
# test/extra/lib/owncluster.sh: a private PostgreSQL 15 cluster for a test
# that must stop, crash or restart its server (the shared test cluster of
# scripts/test.sh must not be touched).  Source it, then:
#
#   oc_init [extra postgresql.conf lines...]  initdb in a new temp dir, pick a
#                                             free port; removed on EXIT
#   oc_start                                  start (waits until it accepts)
#   oc_stop [smart|fast|immediate]            stop (default fast)
#   oc_psql [psql args...]                    psql -X to the private cluster
#
# Sets OC_DIR (cluster directory; data in $OC_DIR/data, log in
# $OC_DIR/server.log), OC_PORT and OC_CONNINFO (a libpq/DBD::Pg conninfo
# without dbname).  Works as root (the server runs as the postgres user
# through runuser) and as an ordinary user.  Uses PostgreSQL 15's binaries.

OC_BIN=${PGENV_PG_BIN:-/usr/lib/postgresql/15/bin}
OC_DIR=""
OC_PORT=""
# shellcheck disable=SC2034 # read by the scripts that source this file
OC_CONNINFO=""

_oc_as_owner() {
	if ((EUID == 0)); then
		(cd "$OC_DIR" && runuser -u postgres -- "$@")
	else
		(cd "$OC_DIR" && "$@")
	fi
}

_oc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_oc_cleanup() {
	[[ -n $OC_DIR ]] || return 0
	if [[ -f $OC_DIR/data/postmaster.pid ]]; then
		_oc_as_owner "$OC_BIN/pg_ctl" -D "$OC_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$OC_DIR" || true
	OC_DIR=""
}

oc_init() {
	local port=${AUTHSESSIONS_OWN_PORT:-$((55000 + RANDOM % 2000))} tries=0
	while _oc_port_busy "$port"; do
		((++tries <= 200)) || { echo "owncluster: no free port" >&2; return 1; }
		port=$((port + 1))
	done
	OC_PORT=$port
	OC_DIR=$(mktemp -d /tmp/authsessions-own.XXXXXX)
	chmod 755 "$OC_DIR"
	trap _oc_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ((EUID == 0)); then
		id postgres >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/postgresql postgres
		chown postgres: "$OC_DIR"
	fi
	_oc_as_owner "$OC_BIN/initdb" -D "$OC_DIR/data" -U postgres -A trust -E UTF8 \
		--no-locale --no-sync --no-instructions >"$OC_DIR/initdb.log" 2>&1 || {
		cat "$OC_DIR/initdb.log" >&2
		return 1
	}
	{
		echo "port = $OC_PORT"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$OC_DIR'"
		echo "timezone = 'UTC'"
		echo "log_line_prefix = '%m [%p] '"
		local line
		for line in "$@"; do echo "$line"; done
	} >>"$OC_DIR/data/postgresql.conf"
	# shellcheck disable=SC2034
	OC_CONNINFO="host=$OC_DIR;port=$OC_PORT;user=postgres"
}

oc_start() {
	_oc_as_owner "$OC_BIN/pg_ctl" -D "$OC_DIR/data" -l "$OC_DIR/server.log" -w -t 120 start >/dev/null || {
		echo "owncluster: server failed to start; its log:" >&2
		cat "$OC_DIR/server.log" >&2
		return 1
	}
}

oc_stop() {
	_oc_as_owner "$OC_BIN/pg_ctl" -D "$OC_DIR/data" -m "${1:-fast}" -w -t 120 stop >/dev/null
}

oc_psql() {
	"$OC_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$OC_DIR" -p "$OC_PORT" -U postgres "$@"
}
