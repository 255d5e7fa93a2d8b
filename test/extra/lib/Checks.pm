# test/extra/lib/Checks.pm: the PASS/FAIL bookkeeping of the suites whose
# checks run in Perl with DBD::Pg (17_notify.sh, 63_session_in_use.sh,
# lib/cancel_timeout.pl of 62_cancel_timeout.sh), as lib/checks.sh is the
# shell suites'.  lib/dbd_pg.sh's dbd_perl puts this directory on @INC.
#
#   use Checks;                exports check, conn and summary:
#   check(NAME, OK, [DETAIL])  print "PASS NAME" or "FAIL NAME" (and DETAIL,
#                              indented, below a failure); returns OK
#   conn(DBNAME)               a new connection to DBNAME with libpq's
#                              environment (PGHOST, PGPORT, PGUSER):
#                              AutoCommit, RaiseError, nothing printed
#   summary()                  print "N passed, N failed"; exit 1 when a
#                              check failed, else 0
package Checks;
use strict;
use warnings;
use DBI;
use Exporter qw(import);
our @EXPORT = qw(check conn summary);

my ($passed, $failed) = (0, 0);

sub check {
	my ($name, $ok, $detail) = @_;
	print(($ok ? 'PASS' : 'FAIL') . " $name\n");
	print "  $detail\n" if !$ok && defined $detail;
	$ok ? $passed++ : $failed++;
	return $ok;
}

sub conn {
	my ($db) = @_;
	return DBI->connect("dbi:Pg:dbname=$db", '', '',
		{ AutoCommit => 1, RaiseError => 1, PrintError => 0, PrintWarn => 0 });
}

sub summary {
	print "$passed passed, $failed failed\n";
	exit($failed ? 1 : 0);
}

1;
