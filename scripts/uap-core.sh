#!/usr/bin/env bash
# scripts/uap-core.sh: the ua-parser rules (uap-core, Apache-2.0) that
# authsessions compiles into its User-Agent matcher, fetched from a package
# registry and pinned by sha256; never copied into the repository.
#
#   bash scripts/uap-core.sh rules   print the path of regexes.yaml (its
#                                    LICENSE beside it): `npm pack
#                                    uap-core@UAP_CORE_VERSION` into the
#                                    cache, tarball checked against
#                                    UAP_CORE_SHA256 (the Makefile calls this)
#   bash scripts/uap-core.sh tests   print the directory of the same release's
#                                    conformance files (test_ua.yaml,
#                                    test_os.yaml, test_device.yaml): npm's
#                                    tarball leaves them out, so they come
#                                    from Debian's uap-core package of that
#                                    release (architecture-independent data,
#                                    Debian 13 "trixie"), fetched with apt into
#                                    a private directory (no system state
#                                    touched), checked against UAP_CORE_DEB_SHA256,
#                                    and its regexes.yaml must be byte for byte
#                                    npm's (test/extra/19_uap_conformance.sh)
#
# A warm cache (AUTHSESSIONS_UAP_CACHE, default ~/.cache/authsessions/uap-core)
# needs no registry.  Updating the rules: change the version and both sha256
# lines below together, then rebuild (make clean; make) and run the
# conformance suite.  Needs npm (and apt for `tests`): as root a missing npm
# is installed non-interactively; scripts/packages.txt lists it.
set -euo pipefail

UAP_CORE_VERSION=0.18.0
# sha256 of npm's uap-core-0.18.0.tgz as the registry serves it
UAP_CORE_SHA256=28abde9e093be91293ac8ce7b8304557b73ef1ba48a7cf8429192c0fc720a677
# sha256 of the regexes.yaml inside it (and inside Debian's package below)
UAP_CORE_REGEXES_SHA256=274c3774ed0c6baca226197d2f978bfc0621720171895475a3775f0b9f9549ba
# Debian's package of the same release, for its tests/ directory
UAP_CORE_DEB_VERSION=1:0.18.0-1
UAP_CORE_DEB_SUITE=trixie
UAP_CORE_DEB_SHA256=d91338c1fbe765f56c53c4f01c43a2f1bd22d03effefc921b16e6d9d6e6f3ca6

# shellcheck source=scripts/lib/fetch.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fetch.sh"

CACHE=${AUTHSESSIONS_UAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/authsessions/uap-core}
RULES_DIR=$CACHE/uap-core-$UAP_CORE_VERSION
TESTS_DIR=$CACHE/uap-core-$UAP_CORE_VERSION-tests

log() { fetch_log uap-core "$@"; }
sha256_of() { fetch_sha256 "$1"; }
# need COMMAND PACKAGE: install PACKAGE as root when COMMAND is missing.
need() { fetch_need uap-core "$@"; }

rules() {
	local tarball=$CACHE/uap-core-$UAP_CORE_VERSION.tgz
	if [[ $(sha256_of "$RULES_DIR/regexes.yaml") == "$UAP_CORE_REGEXES_SHA256" &&
		-f $RULES_DIR/LICENSE ]]; then
		echo "$RULES_DIR/regexes.yaml"
		return 0
	fi
	fetch_npm uap-core "uap-core@$UAP_CORE_VERSION" "uap-core-$UAP_CORE_VERSION.tgz" "$UAP_CORE_SHA256" "$CACHE"
	local tmp
	tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	tar -xzf "$tarball" -C "$tmp" package/regexes.yaml package/LICENSE
	if [[ $(sha256_of "$tmp/package/regexes.yaml") != "$UAP_CORE_REGEXES_SHA256" ]]; then
		log "regexes.yaml of the tarball is not the pinned one: refused"
		rm -rf "$tmp"
		exit 1
	fi
	rm -rf "$RULES_DIR"
	mv "$tmp/package" "$RULES_DIR"
	rm -rf "$tmp"
	echo "$RULES_DIR/regexes.yaml"
}

tests() {
	local f ok=1
	for f in test_ua.yaml test_os.yaml test_device.yaml; do
		[[ -s $TESTS_DIR/$f ]] || ok=0
	done
	if ((ok)); then
		echo "$TESTS_DIR"
		return 0
	fi
	need apt-get apt
	local tmp keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[[ -f $keyring ]] || need gpgv debian-archive-keyring
	tmp=$(mktemp -d "$CACHE/.apt.XXXXXX")
	mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
	echo "deb [signed-by=$keyring] http://deb.debian.org/debian $UAP_CORE_DEB_SUITE main" >"$tmp/sources.list"
	local -a opts=(
		-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
		-o Dir::State::status=/dev/null -o Acquire::Languages=none
		-o APT::Sandbox::User=root
	)
	log "apt-get download uap-core=$UAP_CORE_DEB_VERSION ($UAP_CORE_DEB_SUITE)"
	if ! apt-get "${opts[@]}" -qq update >/dev/null 2>&1 ||
		! (cd "$tmp/deb" && apt-get "${opts[@]}" -qq download "uap-core=$UAP_CORE_DEB_VERSION" >/dev/null 2>&1); then
		rm -rf "$tmp"
		log "could not fetch Debian's uap-core $UAP_CORE_DEB_VERSION (is the Debian archive reachable?)"
		exit 1
	fi
	local deb
	deb=$(find "$tmp/deb" -name 'uap-core_*.deb' | head -n1)
	if [[ $(sha256_of "$deb") != "$UAP_CORE_DEB_SHA256" ]]; then
		log "Debian's uap-core $UAP_CORE_DEB_VERSION has sha256 $(sha256_of "$deb"), not the pinned $UAP_CORE_DEB_SHA256: refused"
		rm -rf "$tmp"
		exit 1
	fi
	dpkg-deb -x "$deb" "$tmp/x"
	if [[ $(sha256_of "$tmp/x/usr/share/uap-core/regexes.yaml") != "$UAP_CORE_REGEXES_SHA256" ]]; then
		log "Debian's uap-core $UAP_CORE_DEB_VERSION does not hold npm's regexes.yaml: not the same release"
		rm -rf "$tmp"
		exit 1
	fi
	rm -rf "$TESTS_DIR"
	mv "$tmp/x/usr/share/uap-core/tests" "$TESTS_DIR"
	rm -rf "$tmp"
	echo "$TESTS_DIR"
}

mkdir -p "$CACHE"
# one fetch at a time per cache (a build beside a test run)
exec {lock_fd}>"$CACHE/.lock"
flock "$lock_fd"
case ${1:-} in
rules) rules ;;
tests) tests ;;
*)
	echo "usage: $0 rules|tests" >&2
	exit 2
	;;
esac
