#!/usr/bin/perl
# test/extra/lib/crash_driver.pl: one client of the crash-durability test
# (test/extra/60_crash_durability.sh).
#
#   perl crash_driver.pl CONNINFO USERS_FILE LOG_FILE SEED
#
# Runs create_session, validate and revoke through DBD::Pg (bound parameters,
# autocommit: each call is its own transaction) until the server goes away,
# and writes one line per event to LOG_FILE, flushed to the kernel before the
# next call starts:
#
#   C id token          create_session acknowledged (committed)
#   V id expiry         validate acknowledged; expiry = its ExpirationDate
#   P id                revoke about to be sent (its outcome may be unknown)
#   R id                revoke acknowledged
#   E sqlstate message  the call that failed (normally: the server stopped;
#                       "ASSERT:" in the message: a wrong answer)
#
# Only the events after a returned call count as acknowledged: a call in
# flight when the server stopped may or may not have committed, and the
# checker treats it so.
use strict;
use warnings;
use DBI;
use JSON::PP ();
use IO::Handle;
use POSIX ();

my ($conninfo, $users_file, $log_file, $seed) = @ARGV;
die "usage: $0 CONNINFO USERS_FILE LOG_FILE SEED\n" unless defined $seed;
srand($seed);

open(my $uf, '<', $users_file) or die "$users_file: $!\n";
chomp(my @users = grep { /\S/ } <$uf>);
close $uf;
die "no users in $users_file\n" unless @users;

open(my $log, '>>', $log_file) or die "$log_file: $!\n";
$log->autoflush(1);

sub record { print {$log} join(' ', @_), "\n"; }

my $dbh = DBI->connect("dbi:Pg:$conninfo", '', '',
	{ AutoCommit => 1, RaiseError => 1, PrintError => 0, PrintWarn => 0, pg_server_prepare => 1 })
	or die "connect: $DBI::errstr\n";

my $create = $dbh->prepare('SELECT authsessions.create_session(user_guid => $1::uuid, application => $2)');
my $validate = $dbh->prepare('SELECT authsessions.validate($1)');
my $revoke = $dbh->prepare('SELECT authsessions.revoke($1)');

my @live;    # [id, token] of this client's sessions not yet sent to revoke
my $ops = 0;
my $ok = eval {
	while (1) {
		my $r = rand();
		if (@live < 5 || $r < 0.40) {
			$create->execute($users[int(rand(@users))], "crash-driver $seed");
			my ($json) = $create->fetchrow_array;
			my $s = JSON::PP::decode_json($json);
			die "ASSERT: create_session returned no ID/Token: $json\n"
				unless defined $s->{ID} && defined $s->{Token};
			record('C', $s->{ID}, $s->{Token});
			push @live, [ $s->{ID}, $s->{Token} ];
		} elsif ($r < 0.80) {
			my $s = $live[int(rand(@live))];
			$validate->execute($s->[1]);
			my ($json) = $validate->fetchrow_array;
			die "ASSERT: validate returned null for live session $s->[0]\n" unless defined $json;
			my $v = JSON::PP::decode_json($json);
			die "ASSERT: validate answered for session $v->{ID}, not $s->[0]\n" unless $v->{ID} == $s->[0];
			record('V', $s->[0], $v->{ExpirationDate});
		} else {
			my $i = int(rand(@live));
			my $s = splice(@live, $i, 1);
			record('P', $s->[0]);
			$revoke->execute($s->[0]);
			my ($json) = $revoke->fetchrow_array;
			die "ASSERT: revoke returned $json\n" unless JSON::PP::decode_json($json)->{Success};
			record('R', $s->[0]);
		}
		$ops++;
	}
	1;
};
my $err = $@ || 'unknown error';
$err =~ s/\s+/ /g;
my $state = $dbh->state // '';
$state = '-' if $state eq '';
record('E', $state, $err);
close $log;
# no destructors: the statements cannot be closed on a dead connection
POSIX::_exit(0);
