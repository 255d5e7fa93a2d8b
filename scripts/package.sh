#!/usr/bin/env bash
# scripts/package.sh: build the Debian packages of authsessions
# (postgresql-NN-authsessions, from debian/) for every PostgreSQL major whose
# postgresql-server-dev-NN is installed, then install each one, try it in a
# fresh cluster and purge it again.
#
#   bash scripts/package.sh
#
# Run as root on Debian: the host (Debian 12, PostgreSQL 15), or Debian 13 or
# sid with 17 or 18 inside scripts/matrix.sh's chroots.  Steps:
#   1. tools    install what is missing: dpkg-dev and postgresql-server-dev-all
#               (pg_buildext and its debhelper addon; postgresql-common-dev
#               too where it exists), then the Build-Depends of
#               debian/control.in (apt-get build-dep).
#   2. build    in a temporary copy of the working tree (tracked and untracked
#               files, not ignored ones: nothing is written in the tree),
#               `pg_buildext updatecontrol` for the installed server-dev
#               majors, then `dpkg-buildpackage -us -uc -b`, without the
#               build-time pg_regress run (scripts/test.sh runs the suites).
#   3. for each package, one major at a time:
#      install  `apt-get install ./postgresql-NN-authsessions_*.deb`.  Files of
#               authsessions that a `make install` left there (owned by no
#               package) are saved first and put back after the purge.  When
#               postgresql-NN itself has to come with it, its `main` cluster
#               is not created.
#      smoke    a throwaway cluster of that major (scripts/pgenv.sh: initdb as
#               the postgres user in a temporary directory, on a free port
#               from 54329 up, never 5432; Debian's own clusters are never
#               started), debian/tests/smoke.sql in it (CREATE EXTENSION, then
#               upsert_user, create_session, validate, list, user_sessions,
#               revoke, each answer checked), then the cluster is removed.
#      purge    `apt-get purge`, and the package's files must be gone.
# Prints a PASS or FAIL line per step and, last, "N passed, N failed"; exits
# non-zero when any step failed.
#
# Environment knobs:
#   AUTHSESSIONS_PACKAGE_OUT=DIR  copy the built .deb files into DIR
#   AUTHSESSIONS_PACKAGE_CHECK=1  also run the build-time tests (dh_pgxs_test:
#                                 pg_regress and isolation against the built
#                                 files, in a pg_virtualenv cluster on a free
#                                 port); installs postgresql-all for them
#   AUTHSESSIONS_PACKAGE_KEEP=1   keep the temporary directory (build log,
#                                 packages)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

log() { printf '[package] %s\n' "$*" >&2; }
section() { printf '\n=== %s ===\n' "$*"; }

passed=0
failed=0
results=() # one "PASS what" / "FAIL what" line per step

record() { # record PASS|FAIL what
	results+=("$1 $2")
	echo "$1 $2"
	if [[ $1 == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

summary() {
	echo
	echo "=== summary ($((SECONDS - start))s) ==="
	local line
	for line in "${results[@]+"${results[@]}"}"; do echo "$line"; done
	echo "$passed passed, $failed failed"
}

if ((EUID != 0)); then
	log "run as root: it installs and purges Debian packages"
	exit 1
fi

start=$SECONDS
export DEBIAN_FRONTEND=noninteractive
# Wait for a dpkg run of someone else rather than fail at once.
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)

# True when the Debian package $1 is installed.
pkg_installed() {
	[[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# True when apt knows the package $1 (in this suite's lists).
pkg_known() {
	[[ -n $(apt-cache -q=2 show "$1" 2>/dev/null) ]]
}

apt_updated=0
apt_update_once() {
	if ((!apt_updated)); then
		"${APT[@]}" update >/dev/null
		apt_updated=1
	fi
}

# The run's state, undone by cleanup on exit.
WORK=$(mktemp -d /tmp/authsessions-package.XXXXXX)
# Readable by all: apt's _apt user reads the .deb files from here, and with
# AUTHSESSIONS_PACKAGE_CHECK the test cluster's postgres user reads the build.
chmod 755 "$WORK"
INSTALLED_PKG=""    # the package this run installed and has not purged yet
SAVED_DIR=""        # files of a `make install` to put back after the purge
NO_MAIN_CLUSTER=""  # the createcluster.d file that keeps `main` from being made

# Put back the files a `make install` had left before the package replaced
# them (and removed them with its purge).
restore_saved() {
	[[ -n $SAVED_DIR && -d $SAVED_DIR ]] || return 0
	local saved path n=0
	while IFS= read -r -d '' saved; do
		path=${saved#"$SAVED_DIR"}
		mkdir -p "$(dirname "$path")"
		cp -a "$saved" "$path"
		n=$((n + 1))
	done < <(find "$SAVED_DIR" \( -type f -o -type l \) -print0)
	log "put back $n file(s) of an earlier make install"
	SAVED_DIR=""
}

purge_installed() {
	[[ -n $INSTALLED_PKG ]] || return 0
	"${APT[@]}" purge "$INSTALLED_PKG" >>"$WORK/apt.log" 2>&1 || return 1
	INSTALLED_PKG=""
}

cleanup() {
	local rc=$?
	set +e
	if [[ -n $INSTALLED_PKG ]]; then
		log "purging $INSTALLED_PKG"
		purge_installed
	fi
	restore_saved
	[[ -z $NO_MAIN_CLUSTER ]] || rm -f "$NO_MAIN_CLUSTER"
	if [[ ${AUTHSESSIONS_PACKAGE_KEEP:-0} == 1 ]]; then
		log "kept $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. tools ---------------------------------------------------------------
section "tools"
tools=(dpkg-dev postgresql-server-dev-all)
# From Debian 13 on, pg_buildext and the pgxs addon live in
# postgresql-common-dev (postgresql-server-dev-all depends on it there).
if pkg_installed postgresql-common-dev || pkg_known postgresql-common-dev; then
	tools+=(postgresql-common-dev)
fi
missing=()
for pkg in "${tools[@]}"; do
	pkg_installed "$pkg" || missing+=("$pkg")
done
if ((${#missing[@]})); then
	log "installing ${missing[*]}"
	apt_update_once
	"${APT[@]}" install --no-install-recommends "${missing[@]}" </dev/null >>"$WORK/apt.log" 2>&1 || {
		tail -n 30 "$WORK/apt.log" >&2
		record FAIL "tools: apt-get install ${missing[*]}"
		summary
		exit 1
	}
fi

# --- 2. build ---------------------------------------------------------------
section "build"
SRC=$WORK/authsessions
mkdir "$SRC"
# The working tree without build outputs: what git tracks plus untracked,
# not ignored files (so uncommitted work is packaged, as it is tested).
if [[ -d .git ]] && command -v git >/dev/null; then
	# (--ignore-failed-read: a file deleted from the tree but still tracked is
	# not there to copy; tar warns and goes on)
	git ls-files -z --cached --others --exclude-standard |
		tar -c --ignore-failed-read --null -T - -f - | tar -x -C "$SRC" -f -
else
	# no git (a copy of the tree, as in scripts/matrix.sh's chroots): leave
	# out what .gitignore names
	excludes=(--exclude-vcs)
	while IFS= read -r line; do
		line=${line%%#*}
		line=${line%/}
		[[ -n ${line// /} ]] && excludes+=("--exclude=$line")
	done < <(cat .gitignore 2>/dev/null || true)
	tar -c "${excludes[@]}" -f - . | tar -x -C "$SRC" -f -
fi

cd "$SRC"
# Every installed server-dev major that debian/pgversions accepts.
export PG_SUPPORTED_VERSIONS=installed
# The build fetches uap-core into this cache (scripts/uap-core.sh); debhelper
# points HOME elsewhere, so name the caller's cache: a warm one needs no registry.
export AUTHSESSIONS_UAP_CACHE=${AUTHSESSIONS_UAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authsessions/uap-core}
mapfile -t versions < <(pg_buildext supported-versions)
if ((${#versions[@]} == 0)); then
	record FAIL "build: no postgresql-server-dev-NN that debian/pgversions ($(xargs <debian/pgversions)) accepts"
	summary
	exit 1
fi
pg_buildext updatecontrol
log "PostgreSQL majors: ${versions[*]}"

profile=(-Pnocheck)
export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}"
if [[ ${AUTHSESSIONS_PACKAGE_CHECK:-0} == 1 ]]; then
	profile=()
	DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS#nocheck }
	# pg_virtualenv takes the first free port from 5432 unless told
	port=54339
	while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
	export PGPORT=$port
fi

if ! dpkg-checkbuilddeps "${profile[@]}" >/dev/null 2>&1; then
	log "installing the build dependencies of debian/control"
	apt_update_once
	"${APT[@]}" build-dep --no-install-recommends "${profile[@]}" ./ </dev/null >>"$WORK/apt.log" 2>&1 || {
		tail -n 30 "$WORK/apt.log" >&2
		record FAIL "build: apt-get build-dep"
		summary
		exit 1
	}
fi

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
log "dpkg-buildpackage -us -uc -b ${profile[*]} (log: $WORK/build.log)"
if dpkg-buildpackage -us -uc -b "${profile[@]}" >"$WORK/build.log" 2>&1; then
	built=()
	for v in "${versions[@]}"; do built+=("postgresql-$v-authsessions"); done
	record PASS "build: ${built[*]} $version"
else
	tail -n 60 "$WORK/build.log"
	record FAIL "build: dpkg-buildpackage (see above)"
	summary
	exit 1
fi
unset PGPORT
grep -E '(warning|error):' "$WORK/build.log" || log "no compiler warning"
cd "$ROOT"

if [[ -n ${AUTHSESSIONS_PACKAGE_OUT:-} ]]; then
	mkdir -p "$AUTHSESSIONS_PACKAGE_OUT"
	cp "$WORK"/*.deb "$AUTHSESSIONS_PACKAGE_OUT"/
	log "copied the packages to $AUTHSESSIONS_PACKAGE_OUT"
fi

extversion=$(sed -n "s/^default_version = '\(.*\)'/\1/p" authsessions.control)

# --- 3. each package ----------------------------------------------------------
for v in "${versions[@]}"; do
	pkg=postgresql-$v-authsessions
	deb=$WORK/${pkg}_${version}_${arch}.deb
	section "$pkg $version"
	dpkg-deb -c "$deb" | awk '{ print "  " $NF }' | grep -E '/(lib|extension)/[^/]+$' || true

	if pkg_installed "$pkg"; then
		log "$pkg $(dpkg-query -W -f='${Version}' "$pkg") is installed already: this run replaces and purges it"
	fi

	# Save what a `make install` left where the package installs (files no
	# package owns): the package overwrites them and its purge removes them.
	SAVED_DIR=$WORK/saved-$v
	mkdir -p "$SAVED_DIR"
	while IFS= read -r path; do
		path=/${path#./}
		[[ -f $path || -L $path ]] || continue
		dpkg-query -S "$path" >/dev/null 2>&1 && continue
		mkdir -p "$SAVED_DIR$(dirname "$path")"
		cp -a "$path" "$SAVED_DIR$path"
	done < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$')
	if [[ -z $(ls -A "$SAVED_DIR") ]]; then
		SAVED_DIR=""
	else
		log "saved $(find "$SAVED_DIR" -type f -o -type l | wc -l) file(s) of an earlier make install"
	fi

	# The package depends on postgresql-NN: if that comes with it, its
	# postinst must not make (and start) a `main` cluster.
	if ! pkg_installed "postgresql-$v"; then
		mkdir -p /etc/postgresql-common/createcluster.d
		NO_MAIN_CLUSTER=/etc/postgresql-common/createcluster.d/zz-authsessions-package.conf
		echo "create_main_cluster = false # scripts/package.sh, removed when it ends" >"$NO_MAIN_CLUSTER"
		apt_update_once
	fi

	INSTALLED_PKG=$pkg
	if "${APT[@]}" install --no-install-recommends "$deb" </dev/null >>"$WORK/apt.log" 2>&1 &&
		[[ $(dpkg-query -S "/usr/lib/postgresql/$v/lib/authsessions.so" 2>/dev/null) == "$pkg: "* ]] &&
		[[ $(dpkg-query -S "/usr/share/postgresql/$v/extension/authsessions.control" 2>/dev/null) == "$pkg: "* ]]; then
		record PASS "$pkg: install"
	else
		tail -n 30 "$WORK/apt.log"
		record FAIL "$pkg: install"
	fi
	if [[ -n $NO_MAIN_CLUSTER ]]; then
		rm -f "$NO_MAIN_CLUSTER"
		NO_MAIN_CLUSTER=""
	fi
	if ! pkg_installed "$pkg"; then
		INSTALLED_PKG=""
		record FAIL "$pkg: smoke (not installed)"
		restore_saved
		continue
	fi

	# A shell of its own (not a subshell, where `set -e` would not apply
	# inside this `if`): pgenv.sh's cluster goes with it, through its EXIT trap.
	out=$WORK/smoke-$v.out
	if PGENV_PG_BIN=/usr/lib/postgresql/$v/bin bash -c '
		set -euo pipefail
		unset PG_CONFIG
		source scripts/pgenv.sh
		pgenv_start
		psql -X -q -A -t -F " " -v ON_ERROR_STOP=1 -f debian/tests/smoke.sql
	' >"$out" 2>"$out.err"; then
		sed 's/^/  /' "$out"
		if grep -qx "extversion $extversion" "$out" &&
			grep -q "^server_version $v\." "$out"; then
			record PASS "$pkg: smoke (CREATE EXTENSION, a session's life through the API)"
		else
			record FAIL "$pkg: smoke: not extension $extversion on PostgreSQL $v"
		fi
	else
		sed 's/^/  /' "$out" "$out.err"
		record FAIL "$pkg: smoke"
	fi

	if purge_installed &&
		[[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == ?(not-installed) ]] &&
		[[ ! -e /usr/lib/postgresql/$v/lib/authsessions.so &&
			! -e /usr/share/postgresql/$v/extension/authsessions.control ]]; then
		record PASS "$pkg: purge"
	else
		tail -n 30 "$WORK/apt.log"
		record FAIL "$pkg: purge"
	fi
	restore_saved
done

summary
((failed == 0))
