#!/usr/bin/env bash
# test/extra/17_notify.sh: authsessions.notify_channel, as a listener sees it.
#
# Three connections of DBD::Pg: a listener (LISTEN on the channel), a writer
# (the calls under test) and a marker.  After each case the marker commits
# a sentinel NOTIFY on the same channel; notifications reach a listener in
# commit order, so what the listener received before the sentinel is
# exactly what the case's committed transactions sent: no sleep, no
# timing (the 60 s wait for the sentinel only bounds a failure).  Checks
# the exact payload {"ID": n, "UserGuid": "...", "Reason": "..."}, one per
# ended session, for revoke, revoke_user, end_session, an eviction,
# delete_user (active sessions only) and the self-service revoke_my_session,
# revoke_my_other_sessions and logout (called with issue_jwt's JWT in
# request.headers, as PostgREST sets it); nothing before the commit, nothing on
# rollback or a rolled back savepoint, nothing with the channel empty, for
# a call that ends nothing, for expiry or purge; a channel set by ALTER
# DATABASE ... SET and one whose name needs quoting in LISTEN.
#
# Needs the scripts/test.sh cluster (PGHOST, PGPORT, PGUSER exported) and
# DBD::Pg.  Prints PASS/FAIL per check and "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/dbd_pg.sh
source test/extra/lib/dbd_pg.sh
dbd_need
DB="authsessions_notify_$$"
dbd_createdb "$DB"
dbd_perl - "$DB" <<'PERL'
use strict;
use warnings;
use DBI;
use IO::Select;
use Checks;

my ($db) = @ARGV;
my $chan = 'authsessions_ended';
my ($listener, $writer, $marker) = (conn($db), conn($db), conn($db));
$listener->do("LISTEN $chan");
$listener->do('LISTEN "Ended Sessions, Too"');
open(my $sock, '<&=', $listener->{pg_socket}) or die "socket: $!";
my $select = IO::Select->new($sock);

# What the listener received (channel|payload) before the next sentinel.
my $round = 0;
sub received {
	$round++;
	$marker->do('SELECT pg_notify(?, ?)', undef, $chan, "sentinel $round");
	my @got;
	my $deadline = time + 60;
	while (1) {
		while (my $n = $listener->pg_notifies) {
			my ($name, $pid, $payload) = @$n;
			return @got if $name eq $chan && $payload eq "sentinel $round";
			push @got, "$name|$payload";
		}
		die "no sentinel $round within 60 s\n" if time > $deadline;
		$select->can_read(1);
	}
}
sub want {
	my ($name, @want) = @_;
	my @got = received();
	my $ok = join("\n", @got) eq join("\n", @want);
	check($name, $ok, "got:\n    " . join("\n    ", @got) . "\n  expected:\n    " . join("\n    ", @want));
}
sub payload {
	my ($id, $guid, $reason, $channel) = @_;
	return ($channel // $chan) . qq(|{"ID": $id, "UserGuid": "$guid", "Reason": "$reason"});
}
sub one { my ($dbh, $sql, @args) = @_; return ($dbh->selectrow_array($sql, undef, @args))[0]; }

my %g = (a => '00000000-0000-4000-8000-00000000000a', b => '00000000-0000-4000-8000-00000000000b',
	c => '00000000-0000-4000-8000-00000000000c', d => '00000000-0000-4000-8000-00000000000d',
	e => '00000000-0000-4000-8000-00000000000e');
$writer->do('SELECT authsessions.upsert_user(?, ?)', undef, $g{$_}, "user $_") for sort keys %g;
sub login {
	my ($who, $dev) = @_;
	my $s = one($writer, 'SELECT authsessions.create_session(?, ?)::text', $g{$who}, $dev);
	my ($id) = $s =~ /"ID": (\d+)/;
	my ($token) = $s =~ /"Token": "([^"]+)"/;
	return ($id, $token);
}
sub active { return one($writer, 'SELECT revoked_at IS NULL AND expires_at > now() FROM authsessions_data.sessions WHERE id = ?', $_[0]) ? 1 : 0; }

# --- off by default --------------------------------------------------------
my ($a1) = login('a', 'a1');
my ($a2, $a2tok) = login('a', 'a2');
check('notify_channel is empty by default', one($writer, 'SHOW authsessions.notify_channel') eq '');
$writer->do('SELECT authsessions.revoke(?)', undef, $a1);
$writer->do('SELECT authsessions.end_session(?)', undef, $a2tok);
want('channel empty: a revoke and a logout send nothing');

$writer->do("SET authsessions.notify_channel = '$chan'");

# --- revoke: after commit, exactly one ------------------------------------
my ($a3) = login('a', 'a3');
$writer->do('SELECT authsessions.revoke(?)', undef, $a3);
want('revoke (autocommit) -> one notification, reason revoked', payload($a3, $g{a}, 'revoked'));

my ($a4) = login('a', 'a4');
$writer->begin_work;
$writer->do('SELECT authsessions.revoke(?)', undef, $a4);
want('revoke in an open transaction -> nothing yet');
$writer->commit;
want('... its COMMIT -> the notification', payload($a4, $g{a}, 'revoked'));

my ($a5) = login('a', 'a5');
$writer->begin_work;
$writer->do('SELECT authsessions.revoke(?)', undef, $a5);
$writer->rollback;
want('revoke rolled back -> nothing');
check('... and the session is still active', active($a5) == 1);

$writer->begin_work;
$writer->do('SAVEPOINT s');
$writer->do('SELECT authsessions.revoke(?)', undef, $a5);
$writer->do('ROLLBACK TO SAVEPOINT s');
$writer->do('SELECT authsessions.revoke(?)', undef, $a5);
$writer->commit;
want('revoke, ROLLBACK TO SAVEPOINT, revoke again, COMMIT -> exactly one', payload($a5, $g{a}, 'revoked'));

# --- calls that end nothing send nothing -----------------------------------
eval { $writer->do('SELECT authsessions.revoke(?)', undef, $a5) };
check('revoke of an ended session -> PT404', ($writer->state // '') eq 'PT404');
eval { $writer->do('SELECT authsessions.revoke_user(?)', undef, $g{d}) };
check('revoke_user of a user without an active session -> PT404', ($writer->state // '') eq 'PT404');
$writer->do('SELECT authsessions.end_session(?)', undef, $a2tok);
$writer->do('SELECT authsessions.end_session(?)', undef, 'as1_not-a-token');
my ($d1) = login('d', 'd1');
$writer->do("UPDATE authsessions_data.sessions SET expires_at = now() - interval '1 second' WHERE id = ?", undef, $d1);
$writer->do("SELECT authsessions.validate(s ->> 'Token') FROM authsessions.create_session(?) s", undef, $g{d});
$writer->do("SELECT authsessions.purge('0 s')");
want('failed revokes, a second logout, a bad token, an expiry, a login, validate and purge -> nothing');

# --- end_session: logout ---------------------------------------------------
my ($a6, $a6tok) = login('a', 'a6');
$writer->do('SELECT authsessions.end_session(?)', undef, $a6tok);
want('end_session -> one notification, reason logout', payload($a6, $g{a}, 'logout'));

# --- several in one transaction, in order ----------------------------------
my ($b1, $b1tok) = login('b', 'b1');
my ($b2) = login('b', 'b2');
$writer->begin_work;
$writer->do('SELECT authsessions.end_session(?)', undef, $b1tok);
$writer->do('SELECT authsessions.revoke(?)', undef, $b2);
$writer->commit;
want('a logout and a revoke in one transaction -> both, in call order',
	payload($b1, $g{b}, 'logout'), payload($b2, $g{b}, 'revoked'));

# --- revoke_user: one per active session -----------------------------------
my @c = map { (login('c', "c$_"))[0] } 1 .. 4;
$writer->do('SELECT authsessions.revoke(?)', undef, $c[1]);
want('(setup: one of c revoked)', payload($c[1], $g{c}, 'revoked'));
my $r = one($writer, 'SELECT authsessions.revoke_user(?)::text', $g{c});
check('revoke_user -> {"Revoked": 3}', $r eq '{"Revoked": 3}', "got $r");
want('revoke_user -> one notification per session it ended, in ID order, reason revoked',
	map { payload($_, $g{c}, 'revoked') } @c[0, 2, 3]);

# --- the session cap's eviction ---------------------------------------------
my @e = map { (login('b', "e$_"))[0] } 1 .. 3;
$writer->do('SET authsessions.max_sessions_per_user = 2');
my ($e4) = login('b', 'e4');
$writer->do('RESET authsessions.max_sessions_per_user');
want('a login at the cap (2, with 3 active) evicts 2 -> two notifications, reason evicted',
	map { payload($_, $g{b}, 'evicted') } @e[0, 1]);

# --- self-service: the bearer JWT's user ends its own sessions ---------------
# request.headers as PostgREST sets it, with issue_jwt's JWT for this token
sub bearer {
	my ($token) = @_;
	my $jwt = one($writer, q(SELECT authsessions.issue_jwt(?) ->> 'JWT'), $token);
	$writer->do(q(SELECT set_config('request.headers',
		json_build_object('authorization', 'Bearer ' || ?::text)::text, false)), undef, $jwt);
}
my ($s1, $s1tok) = login('e', 's1');
my @s = map { (login('e', "s$_"))[0] } 2 .. 5;
bearer($s1tok);
$r = one($writer, 'SELECT authsessions.revoke_my_session(?)::text', $s[0]);
check('revoke_my_session -> {"Success": true}', $r eq '{"Success": true}', "got $r");
want('revoke_my_session -> one notification, reason revoked', payload($s[0], $g{e}, 'revoked'));
eval { $writer->do('SELECT authsessions.revoke_my_session(?)', undef, $e4) };
check("revoke_my_session of another user's session -> PT404", ($writer->state // '') eq 'PT404');
check('... which stays active', active($e4) == 1);
$writer->begin_work;
$writer->do('SELECT authsessions.revoke_my_session(?)', undef, $s[1]);
$writer->rollback;
want("another user's session, and a revoke_my_session rolled back -> nothing");
$writer->begin_work;
$r = one($writer, 'SELECT authsessions.revoke_my_other_sessions()::text');
check('revoke_my_other_sessions -> {"Revoked": 3}', $r eq '{"Revoked": 3}', "got $r");
want('revoke_my_other_sessions in an open transaction -> nothing yet');
$writer->commit;
want('... its COMMIT -> one notification per session it ended, in ID order, reason revoked',
	map { payload($_, $g{e}, 'revoked') } @s[1 .. 3]);
$r = one($writer, 'SELECT authsessions.revoke_my_other_sessions()::text');
check('revoke_my_other_sessions again -> {"Revoked": 0}', $r eq '{"Revoked": 0}', "got $r");
want('... and nothing');
$r = one($writer, 'SELECT authsessions.logout()::text');
check('logout -> {"Success": true}', $r eq '{"Success": true}', "got $r");
want('logout -> one notification for the JWT\'s session, reason logout', payload($s1, $g{e}, 'logout'));
check('... which is no longer active', active($s1) == 0);
$writer->do(q(RESET "request.headers"));

# --- delete_user: one per ACTIVE session ------------------------------------
my ($d2) = login('d', 'd2');
my ($d3) = login('d', 'd3');
my ($d4) = login('d', 'd4');
$writer->do('SELECT authsessions.revoke(?)', undef, $d4);
want('(setup: one of d revoked)', payload($d4, $g{d}, 'revoked'));
my @d_active = @{ $writer->selectcol_arrayref(
	"SELECT id FROM authsessions_data.sessions WHERE user_guid = ? AND revoked_at IS NULL AND expires_at > now() ORDER BY id",
	undef, $g{d}) };
$writer->begin_work;
$writer->do('SELECT authsessions.delete_user(?)', undef, $g{d});
want('delete_user in an open transaction -> nothing yet');
$writer->commit;
want('delete_user -> one notification per active session (not the revoked or expired ones), reason user_deleted',
	map { payload($_, $g{d}, 'user_deleted') } @d_active);
check('... which were the three unexpired, unrevoked ones', scalar(@d_active) == 3,
	'active: ' . join(',', @d_active));
$writer->do('SELECT authsessions.delete_user(?)', undef, $g{d});
$writer->do("SELECT authsessions.upsert_user(?, 'user d')", undef, $g{d});
$writer->do('SELECT authsessions.delete_user(?)', undef, $g{d});
want('delete_user of an unknown user, and of a user without sessions -> nothing');

# --- another channel, named as LISTEN needs it quoted -----------------------
my ($a7) = login('a', 'a7');
$writer->do(q(SET authsessions.notify_channel = 'Ended Sessions, Too'));
$writer->do('SELECT authsessions.revoke(?)', undef, $a7);
want('a channel with capitals, spaces and a comma -> there', payload($a7, $g{a}, 'revoked', 'Ended Sessions, Too'));

# --- set for the database: a new connection announces -----------------------
$writer->do('RESET authsessions.notify_channel');
$marker->do(qq(ALTER DATABASE "$db" SET authsessions.notify_channel = '$chan'));
my $fresh = conn($db);
my ($a8, $a8tok) = login('a', 'a8');
$fresh->do('SELECT authsessions.end_session(?)', undef, $a8tok);
want('ALTER DATABASE ... SET, a new connection -> its logout announced', payload($a8, $g{a}, 'logout'));
$fresh->disconnect;
$marker->do(qq(ALTER DATABASE "$db" RESET authsessions.notify_channel));

# the payload is JSON that PostgreSQL reads back as the documented object
my $json = substr(payload(1, $g{a}, 'logout'), length($chan) + 1);
check('the payload is valid JSON with exactly ID, UserGuid and Reason',
	one($writer, q(SELECT ?::jsonb = jsonb_build_object('ID', 1, 'UserGuid', ?::text, 'Reason', 'logout')), $json, $g{a}));

$_->disconnect for ($listener, $writer, $marker);
summary();
PERL
