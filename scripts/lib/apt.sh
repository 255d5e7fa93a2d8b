# shellcheck shell=bash
# scripts/lib/apt.sh: apt-get as the scripts run it (scripts/pgenv.sh for
# the packages of scripts/packages.txt, scripts/lib/fetch.sh for one missing
# command).  Source it, then:
#
#   apt_without_services COMMAND...
#                 run COMMAND (an apt-get install) non-interactively with
#                 /usr/sbin/policy-rc.d refusing every service start, so that
#                 a package with a service (nginx, pgbouncer) is installed,
#                 not started: the suites and the demo run private
#                 instances.  A policy-rc.d already there is left as it is.
#                 Returns COMMAND's status.

apt_without_services() {
	local policy="" rc=0
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy=1
	fi
	DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
	[[ -n $policy ]] && rm -f /usr/sbin/policy-rc.d
	return "$rc"
}
