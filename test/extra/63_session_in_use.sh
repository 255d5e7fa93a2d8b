#!/usr/bin/env bash
# test/extra/63_session_in_use.sh: a session in use does not expire, in real
# time, while another transaction holds its user row for a while.
#
# A 12-second session (touch_interval stays 60 s) is validated every second
# for 20 s.  From 2 s to 8 s another connection holds the user row (a login
# of the same user left open).  validate must never wait (it runs with
# lock_timeout = 100ms: a wait would fail with 55P03), its touch is deferred
# while the row is held (nothing written) and made by the first call after
# the commit, and the session stays valid to the end.  In 1.0 the touch was
# due only after touch_interval, so the session expired at 12 s.
#
# Needs the scripts/test.sh cluster (PGHOST, PGPORT, PGUSER exported) and
# DBD::Pg.  Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=test/extra/lib/dbd_pg.sh
source lib/dbd_pg.sh
dbd_need
DB=authsessions_in_use
dbd_createdb "$DB"
dbd_perl - "$DB" <<'PERL'
use strict;
use warnings;
use DBI;
use Time::HiRes qw(time sleep);
use Checks;

my ($db) = @ARGV;
my ($holder, $client, $obs) = (conn($db), conn($db), conn($db));
my $guid = '00000000-0000-4000-8000-000000000001';
$obs->do("SELECT authsessions.upsert_user(?, 'in use')", undef, $guid);
my ($token, $id) = $obs->selectrow_array(q{SELECT s ->> 'Token', (s ->> 'ID')::bigint
	FROM authsessions.create_session(?, ttl => '12 seconds') AS s}, undef, $guid);
$client->do("SET lock_timeout = '100ms'");
my $last_updated = sub {
	$obs->selectrow_array('SELECT extract(epoch FROM last_updated) FROM authsessions_data.sessions WHERE id = ?', undef, $id);
};

my $t0 = time;
my $created = $last_updated->();
my ($valid_all, $errors, $held, $touched_while_held, $touched_after) = (1, '', 0, 0, undef);
for my $second (1 .. 20) {
	sleep($t0 + $second - time) if $t0 + $second > time;
	if ($second == 2) {
		$holder->begin_work;
		$holder->do('SELECT authsessions.create_session(?)', undef, $guid);
		$held = 1;
	}
	if ($second == 8) {
		$holder->commit;
		$held = 0;
	}
	my $before = $last_updated->();
	my $v = eval { $client->selectrow_array('SELECT authsessions.validate(?)', undef, $token) };
	$errors .= "at $second s: " . ($client->state // '') . " $@\n" if $@;
	$valid_all &&= defined $v;
	my $after = $last_updated->();
	$touched_while_held++ if $held && $after != $before;
	$touched_after //= $second if !$held && $second >= 8 && $after != $before;
	printf "%2d s: %s%s%s\n", $second, defined $v ? 'valid' : 'NOT VALID',
		$held ? ', user row held' : '', $after != $before ? ', touched' : '';
}
check('validate never waited for the held user row (no 55P03, no error)', $errors eq '', $errors);
check('the session stayed valid for 20 s (12 s idle timeout, validated every second)', $valid_all);
check('no touch was written while the user row was held', $touched_while_held == 0, "$touched_while_held touches");
check('the deferred touch was made by the first call after the commit (8 s), although due since 6 s',
	defined $touched_after && $touched_after == 8, 'first touch after the commit at ' . ($touched_after // 'never'));
check('list counts the session and the held login', 2 == ($obs->selectrow_array(
	q{SELECT (authsessions.list() -> 0 ->> 'SessionCount')::int}))[0]);
$_->disconnect for ($holder, $client, $obs);
summary();
PERL
