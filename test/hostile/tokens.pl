#!/usr/bin/perl
# test/hostile/tokens.pl: an application client for test/extra/14_no_clear_tokens.sh.
#
#   perl tokens.pl DBNAME APP_ROLE TOKENS_FILE ERRORS_FILE
#
# Connects as APP_ROLE through DBD::Pg with server-side prepared statements
# (tokens travel as bound parameters, as in a real application), registers
# users, opens sessions, validates them, and makes calls that fail while a
# token is one of their parameters: in a read-only transaction, in an aborted
# transaction, cancelled by statement_timeout, with a field too long.  Writes
# every issued token to TOKENS_FILE (one a line) and the SQLSTATE and text of
# every error the client saw to ERRORS_FILE.  Prints "ok ..." / "not ok ..."
# per check; exits non-zero when a check failed.
use strict;
use warnings;
use DBI;
use JSON::PP ();

my ($db, $role, $tokens_file, $errors_file) = @ARGV;
die "usage: $0 DBNAME APP_ROLE TOKENS_FILE ERRORS_FILE\n" unless defined $errors_file;

my $failed = 0;
sub check {
	my ($ok, $name) = @_;
	print(($ok ? "ok" : "not ok") . " - $name\n");
	$failed++ unless $ok;
}

# host, port: from PGHOST and PGPORT, which libpq reads
my $dbh = DBI->connect("dbi:Pg:dbname=$db", $role, '',
	{ AutoCommit => 1, RaiseError => 0, PrintError => 0, pg_server_prepare => 1 })
	or die "connect: $DBI::errstr\n";

open(my $errors, '>', $errors_file) or die "$errors_file: $!\n";
sub record_error {
	my ($what) = @_;
	my $state = $dbh->state // '';
	my $msg = $dbh->errstr // '';
	$msg =~ s/\s+/ /g;
	print {$errors} "$what\t$state\t$msg\n";
	return $state;
}

my $json = JSON::PP->new;
my @guids = map { sprintf('00000000-0000-4000-8000-%012d', $_) } 1 .. 5;

my $upsert = $dbh->prepare('SELECT authsessions.upsert_user($1, $2, $3)');
for my $i (0 .. $#guids) {
	$upsert->execute($guids[$i], "user $i", $i == 0 ? 1 : 0) or die $dbh->errstr;
}

# 40 sessions, bound parameters only
my $create = $dbh->prepare(
	'SELECT authsessions.create_session(user_guid => $1, smartphone => $2, operating_system => $3,'
	. ' application => $4, user_agent => $5, ip => $6)');
my (@tokens, @ids);
for my $i (1 .. 40) {
	$create->execute($guids[$i % 5], "phone $i", 'os', 'app', "agent $i", '192.0.2.' . $i) or die $dbh->errstr;
	my ($r) = $create->fetchrow_array;
	my $s = $json->decode($r);
	push @tokens, $s->{Token};
	push @ids, $s->{ID};
}
open(my $tf, '>', $tokens_file) or die "$tokens_file: $!\n";
print {$tf} "$_\n" for @tokens;
close $tf;
check(scalar(grep { defined && /^as1_[A-Za-z0-9_-]{51}$/ } @tokens) == 40, 'create_session issued 40 well-formed tokens');

# every token validates, through a bound parameter
my $validate = $dbh->prepare('SELECT authsessions.validate($1)');
my $valid = 0;
for my $i (0 .. $#tokens) {
	$validate->execute($tokens[$i]) or die $dbh->errstr;
	my ($r) = $validate->fetchrow_array;
	$valid++ if defined $r && $json->decode($r)->{ID} == $ids[$i];
}
check($valid == 40, 'every token validates');

# malformed and unknown tokens: NULL / {"Success": false}, no error
my $end = $dbh->prepare('SELECT authsessions.end_session($1)');
my $quiet = 1;
for my $bad ('', 'bad', $tokens[0] . 'x', substr($tokens[0], 1), uc($tokens[1]), ' ' . $tokens[2]) {
	$validate->execute($bad) or do { $quiet = 0; record_error('validate malformed'); next };
	my ($r) = $validate->fetchrow_array;
	$quiet = 0 if defined $r;
	$end->execute($bad) or do { $quiet = 0; record_error('end_session malformed'); next };
	($r) = $end->fetchrow_array;
	$quiet = 0 unless $r eq '{"Success": false}';
}
check($quiet, 'malformed tokens: validate NULL, end_session false, no error');

# Calls that fail while a token is a bound parameter.
my %states;

# 1. logout in a read-only transaction (a GET through PostgREST): 25006
$dbh->begin_work;
$dbh->do('SET TRANSACTION READ ONLY');
$end->execute($tokens[3]) and die "end_session in a read-only transaction succeeded\n";
$states{readonly} = record_error('end_session read-only');
$dbh->rollback;

# 2. validate in a transaction already aborted: 25P02
$dbh->begin_work;
$dbh->do('SELECT 1/0');
record_error('division by zero');
$validate->execute($tokens[4]) and die "validate in an aborted transaction succeeded\n";
$states{aborted} = record_error('validate aborted');
$dbh->rollback;

# 3. validate cancelled by statement_timeout: 57014
$dbh->do("SET statement_timeout = '20ms'");
my $slow = $dbh->prepare('SELECT authsessions.validate($1), pg_sleep(0.5)');
$slow->execute($tokens[5]) and die "slow validate was not cancelled\n";
$states{timeout} = record_error('validate timeout');
$dbh->do('RESET statement_timeout');

# 4. logout cancelled by statement_timeout
$dbh->do("SET statement_timeout = '20ms'");
my $slow_end = $dbh->prepare('SELECT authsessions.end_session($1), pg_sleep(0.5)');
$slow_end->execute($tokens[6]) and die "slow end_session was not cancelled\n";
$states{timeout_end} = record_error('end_session timeout');
$dbh->do('RESET statement_timeout');

# 5. a token pasted into a device field, too long: 22001
$create->execute($guids[0], $tokens[7] x 7, 'os', 'app', 'agent', undef)
	and die "create_session with a 301-character smartphone succeeded\n";
$states{toolong} = record_error('create_session too long');

# 6. a token as the user name of an unknown user's session: PT404 has the
#    guid in its detail, never a token
$create->execute('00000000-0000-4000-8000-0000000000ff', $tokens[8], 'os', 'app', 'agent', undef)
	and die "create_session for an unknown user succeeded\n";
$states{unknown} = record_error('create_session unknown user');

check(($states{readonly} // '') eq '25006', "end_session in a read-only transaction: 25006 ($states{readonly})");
check(($states{aborted} // '') eq '25P02', "validate in an aborted transaction: 25P02 ($states{aborted})");
check(($states{timeout} // '') eq '57014', "validate cancelled: 57014 ($states{timeout})");
check(($states{timeout_end} // '') eq '57014', "end_session cancelled: 57014 ($states{timeout_end})");
check(($states{toolong} // '') eq '22001', "token in a too-long field: 22001 ($states{toolong})");
check(($states{unknown} // '') eq 'PT404', "session for an unknown user: PT404 ($states{unknown})");

# log out half of the sessions
my $ended = 0;
for my $i (20 .. 39) {
	$end->execute($tokens[$i]) or die $dbh->errstr;
	my ($r) = $end->fetchrow_array;
	$ended++ if $r eq '{"Success": true}';
}
check($ended == 20, 'end_session ended 20 sessions');

close $errors;
undef $_ for $upsert, $create, $validate, $end, $slow, $slow_end;
$dbh->disconnect;
exit($failed ? 1 : 0);
