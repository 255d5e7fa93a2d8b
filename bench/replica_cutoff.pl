#!/usr/bin/perl
# bench/replica_cutoff.pl: the driver of bench/replica_cutoff.sh (read that
# first).  One scenario: for each session of the given range of the
# cutoff_tokens table, checks that the standby still accepts its token,
# revokes it on the primary (autocommit: the call returns once committed),
# then reads check_token on the standby in a loop until it answers NULL.
# Prints one line of tab-separated figures in milliseconds:
#   rounds, commit p50, commit p99, cut-off p50, p90, p99, max,
#   the share of rounds cut off at the first read after the commit
# where "commit" is the revoke's round trip on the primary and "cut-off" the
# time from its return to the first read on the standby that answered NULL.
#
#   perl replica_cutoff.pl PRIMARY_DSN STANDBY_DSN FIRST LAST SYNCHRONOUS_COMMIT
use strict;
use warnings;
use DBI;
use Time::HiRes qw(time sleep);

my ($primary_dsn, $standby_dsn, $first, $last, $sync) = @ARGV;
die "usage: $0 PRIMARY_DSN STANDBY_DSN FIRST LAST SYNCHRONOUS_COMMIT\n"
  unless defined $sync;
# a pause between rounds, so that each revoke finds the WAL sender idle, as
# a revoke among reads does
my $pause = 0.02;
# a bound on one round's wait, so that a broken replica ends the run
my $bound = 60;

my %opts = (AutoCommit => 1, RaiseError => 1, PrintError => 0);
my $primary = DBI->connect("dbi:Pg:$primary_dsn", '', '', \%opts);
my $standby = DBI->connect("dbi:Pg:$standby_dsn", '', '', \%opts);
$primary->do('SET synchronous_commit = ' . $primary->quote_identifier($sync));

my $sessions = $primary->selectall_arrayref(
	'SELECT id, token FROM cutoff_tokens WHERE n BETWEEN $1 AND $2 ORDER BY n',
	undef, $first, $last);
die "no sessions numbered $first to $last\n" unless @$sessions;

my $revoke = $primary->prepare('SELECT authsessions.revoke($1)::text');
my $gone = $standby->prepare('SELECT authsessions.check_token($1) IS NULL');
my (@commit, @cutoff);
my $first_read = 0;
for my $s (@$sessions) {
	my ($id, $token) = @$s;
	$gone->execute($token);
	my ($was_gone) = $gone->fetchrow_array;
	die "session $id is not active on the standby before its revoke\n" if $was_gone;

	my $t0 = time;
	$revoke->execute($id);
	my ($answer) = $revoke->fetchrow_array;
	my $t1 = time;
	die "revoke($id) answered $answer\n" unless $answer eq '{"Success": true}';

	my $reads = 0;
	my $t2;
	while (1) {
		$gone->execute($token);
		my ($now_gone) = $gone->fetchrow_array;
		$reads++;
		if ($now_gone) { $t2 = time; last; }
		die "session $id still active on the standby after ${bound}s\n" if time - $t1 > $bound;
	}
	push @commit, ($t1 - $t0) * 1000;
	push @cutoff, ($t2 - $t1) * 1000;
	$first_read++ if $reads == 1;
	sleep $pause;
}

# the value below which the given share of the sorted sample lies (nearest rank)
sub pct {
	my ($share, @v) = @_;
	my $i = int($share * @v + 0.999999) - 1;
	$i = 0 if $i < 0;
	return $v[$i];
}
my @c = sort { $a <=> $b } @commit;
my @l = sort { $a <=> $b } @cutoff;
printf "%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f%%\n", scalar @l,
  pct(0.5, @c), pct(0.99, @c), pct(0.5, @l), pct(0.9, @l), pct(0.99, @l), $l[-1],
  100 * $first_read / @l;
