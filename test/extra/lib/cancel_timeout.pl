#!/usr/bin/perl
# test/extra/lib/cancel_timeout.pl: the checks of
# test/extra/62_cancel_timeout.sh (which see).
#
#   perl cancel_timeout.pl DBNAME BIG_USERS
#
# Connects with libpq's environment (PGHOST, PGPORT, PGUSER: a superuser) to
# DBNAME, which has the extension and nothing else.  Several connections in
# one process: A holds a row lock in an open transaction, B is the writer that
# blocks on it and is cancelled (statement_timeout or pg_cancel_backend), OBS
# watches (pg_stat_activity, pg_locks) and cancels.  Prints PASS/FAIL per
# check and "N passed, N failed"; exits 1 on any failure.
use strict;
use warnings;
use DBI;
use DBD::Pg qw(:async);
use Time::HiRes qw(time sleep);
use JSON::PP ();
use FindBin;
use lib $FindBin::Bin;
use Checks;

my ($db, $big_users) = @ARGV;
die "usage: $0 DBNAME BIG_USERS\n" unless defined $big_users;

my $A = conn($db);      # holds the row lock
my $B = conn($db);      # the writer that gets cancelled
my $OBS = conn($db);    # watches and cancels
my ($b_pid) = $B->selectrow_array('SELECT pg_backend_pid()');
my ($a_pid) = $A->selectrow_array('SELECT pg_backend_pid()');

sub one { my ($dbh, $sql, @bind) = @_; my ($v) = $dbh->selectrow_array($sql, undef, @bind); return $v; }

# --- fixtures -------------------------------------------------------------------
my %guid = (
	u1 => '00000000-0000-4000-8000-0000000000a1',    # sessions to revoke
	u2 => '00000000-0000-4000-8000-0000000000a2',    # delete_user blocked
	u3 => '00000000-0000-4000-8000-0000000000a3',    # create_session blocked
	new => '00000000-0000-4000-8000-0000000000a4',    # upsert_user blocked (never committed by A)
);
one($OBS, 'SELECT authsessions.upsert_user(?, ?)', $guid{$_}, "cancel $_") for qw(u1 u2 u3);
sub new_session {
	my ($g) = @_;
	my $s = JSON::PP::decode_json(one($OBS, 'SELECT authsessions.create_session(?)', $g));
	return ($s->{ID}, $s->{Token});
}
my $row_sql = 'SELECT s::text FROM authsessions_data.sessions s WHERE s.id = ?';
my $counts_sql = 'SELECT (SELECT count(*) FROM authsessions_data.users) || \' users, \''
	. ' || (SELECT count(*) FROM authsessions_data.sessions) || \' sessions\'';

# Locks held by B's backend (it is idle: it should hold none at all).
sub b_locks {
	return one($OBS, q{SELECT coalesce(string_agg(locktype || ':' || mode || ':' || coalesce(relation::regclass::text, ''), ', '), '')
		FROM pg_locks WHERE pid = ?}, $b_pid);
}
sub b_state { return one($OBS, 'SELECT state FROM pg_stat_activity WHERE pid = ?', $b_pid) // 'gone'; }

# Wait until B waits for a lock (up to 10 s); returns true when it does.
sub wait_b_blocked {
	my $until = time + 10;
	while (time < $until) {
		my $w = one($OBS, 'SELECT wait_event_type FROM pg_stat_activity WHERE pid = ?', $b_pid);
		return 1 if defined $w && $w eq 'Lock';
		return 0 if $B->pg_ready;    # finished without blocking
		sleep 0.02;
	}
	return 0;
}

# Start SQL on B asynchronously (the handle is kept until the next call: a
# statement handle destroyed while its query runs would end the query).
my $b_sth;
sub b_start {
	my ($sql, @bind) = @_;
	$b_sth = $B->prepare($sql, { pg_async => PG_ASYNC });
	$b_sth->execute(@bind);
	return $b_sth;
}
# Wait for B's async statement; returns (sqlstate or '', seconds waited).
sub b_finish {
	my $t0 = time;
	my $ok = eval { $B->pg_result; 1 };
	# DBD::Pg 3.21 (Debian sid) returns from pg_result without raising when
	# the statement was cancelled; the handle's SQLSTATE still says so.
	my $state = $B->state // '';
	$state = '' if $state eq '00000';
	return ($ok ? $state : ($state || 'unknown'), time - $t0);
}

# One blocked-writer case:
#   $name      label
#   $hold      code run on A inside its open transaction (takes the lock)
#   $sql,@bind B's call, expected to block on A
#   $how       'timeout' (statement_timeout on B) or 'cancel' (pg_cancel_backend)
#   %opt       txn => GUID: B runs inside BEGIN ... ROLLBACK, after a write of
#              its own (a create_session for user GUID) that must vanish
#              with it
sub blocked_case {
	my ($name, $hold, $how, $sql, $bind, %opt) = @_;
	my @rows_before = map { one($OBS, $row_sql, $_) } @{ $opt{rows} || [] };
	my $counts_before = one($OBS, $counts_sql);

	$A->begin_work;
	$hold->($A);
	if ($opt{txn}) {
		$B->begin_work;
		# a login of another user: one of the same user would wait for A too
		one($B, 'SELECT authsessions.create_session(?)', $opt{txn});
	}
	$B->do(q{SET statement_timeout = '1s'}) if $how eq 'timeout';
	my $t_start = time;
	b_start($sql, @$bind);
	my $blocked = wait_b_blocked();
	check("$name: B's call blocks on A's row lock", $blocked,
		'it did not wait for a lock: the case tests nothing');
	if ($how eq 'cancel') {
		one($OBS, 'SELECT pg_cancel_backend(?)', $b_pid);
	}
	my ($state, $waited) = b_finish();
	my $elapsed = time - $t_start;
	check("$name: B's call ends with 57014 (" . ($how eq 'timeout' ? 'statement_timeout 1 s' : 'pg_cancel_backend')
		. sprintf(', after %.2f s)', $elapsed), $state eq '57014' && $elapsed < 5,
		"sqlstate '$state'");
	if ($opt{txn}) {
		check("$name: B's transaction is aborted, not half-committed",
			b_state() eq 'idle in transaction (aborted)', 'state ' . b_state());
		$B->rollback;
	}
	$B->do('RESET statement_timeout') if $how eq 'timeout';
	check("$name: B holds no lock afterwards and is idle",
		b_locks() eq '' && b_state() eq 'idle', 'locks: ' . b_locks() . '; state ' . b_state());
	$A->rollback;
	my @rows_after = map { one($OBS, $row_sql, $_) } @{ $opt{rows} || [] };
	my $counts_after = one($OBS, $counts_sql);
	check("$name: nothing written by B: rows and counts unchanged",
		join("\n", map { $_ // 'missing' } @rows_before) eq join("\n", map { $_ // 'missing' } @rows_after)
			&& $counts_before eq $counts_after,
		"before: $counts_before; after: $counts_after");
}

my ($s1) = new_session($guid{u1});
my ($s2, $tok2) = new_session($guid{u1});
my ($s3) = new_session($guid{u1});
my ($s5) = new_session($guid{u2});
my ($s6) = new_session($guid{u3});

blocked_case('revoke vs uncommitted revoke', sub { one($_[0], 'SELECT authsessions.revoke(?)', $s1) },
	'timeout', 'SELECT authsessions.revoke(?)', [$s1], rows => [$s1]);
blocked_case('revoke vs uncommitted revoke', sub { one($_[0], 'SELECT authsessions.revoke(?)', $s1) },
	'cancel', 'SELECT authsessions.revoke(?)', [$s1], rows => [$s1]);
blocked_case('end_session vs uncommitted revoke', sub { one($_[0], 'SELECT authsessions.revoke(?)', $s2) },
	'cancel', 'SELECT authsessions.end_session(?)', [$tok2], rows => [$s2]);
blocked_case('delete_user vs uncommitted login', sub { one($_[0], 'SELECT authsessions.create_session(?)', $guid{u2}) },
	'timeout', 'SELECT authsessions.delete_user(?)', [$guid{u2}], rows => [$s5]);
blocked_case('create_session vs uncommitted delete_user', sub { one($_[0], 'SELECT authsessions.delete_user(?)', $guid{u3}) },
	'cancel', 'SELECT authsessions.create_session(?)', [$guid{u3}], rows => [$s6]);
blocked_case('upsert_user vs uncommitted upsert of the same new guid', sub { one($_[0], 'SELECT authsessions.upsert_user(?, ?)', $guid{new}, 'A') },
	'timeout', 'SELECT authsessions.upsert_user(?, ?)', [$guid{new}, 'B']);
blocked_case('revoke in a transaction after a login of its own', sub { one($_[0], 'SELECT authsessions.revoke(?)', $s3) },
	'timeout', 'SELECT authsessions.revoke(?)', [$s3], rows => [$s3], txn => $guid{u2});

# A savepoint: the cancelled call is rolled back to it, the transaction goes
# on, and the extension's calls still work in it.
{
	my ($s8) = new_session($guid{u2});
	my $row3 = one($OBS, $row_sql, $s3);
	$A->begin_work;
	one($A, 'SELECT authsessions.revoke(?)', $s3);
	$B->begin_work;
	$B->do('SAVEPOINT before_revoke');
	b_start('SELECT authsessions.revoke(?)', $s3);
	check('savepoint: B blocks', wait_b_blocked());
	one($OBS, 'SELECT pg_cancel_backend(?)', $b_pid);
	my ($state) = b_finish();
	check('savepoint: cancelled with 57014', $state eq '57014', "sqlstate '$state'");
	$B->do('ROLLBACK TO SAVEPOINT before_revoke');
	# of another user's session: one of u1's would wait for A, which holds
	# u1's row (its revoke updated u1's session summary)
	my $r = eval { one($B, 'SELECT authsessions.revoke(?)', $s8) };
	check('savepoint: after ROLLBACK TO, another revoke in the same transaction works',
		defined $r && JSON::PP::decode_json($r)->{Success}, $@);
	$B->commit;
	$A->rollback;
	check('savepoint: the committed revoke is there, the cancelled one is not',
		one($OBS, 'SELECT revoked_at IS NOT NULL FROM authsessions_data.sessions WHERE id = ?', $s8)
			&& one($OBS, $row_sql, $s3) eq $row3);
	check('savepoint: B holds no lock afterwards', b_locks() eq '', 'locks: ' . b_locks());
}

# validate never waits for a row another transaction holds.
{
	my ($s7, $tok7) = new_session($guid{u1});
	$A->begin_work;
	one($A, 'SELECT authsessions.revoke(?)', $s7);
	$B->do(q{SET statement_timeout = '5s'});
	$B->do('SET authsessions.touch_interval = 0');
	my $t0 = time;
	my $v = eval { one($B, 'SELECT authsessions.validate(?)', $tok7) };
	my $el = time - $t0;
	check(sprintf('validate while another transaction holds the row: answers at once (%.2f s), no wait', $el),
		defined $v && $el < 1, $@ || 'null');
	$B->do('RESET statement_timeout');
	$B->do('RESET authsessions.touch_interval');
	$A->rollback;
}

# B's backend still works: a whole lifecycle.
{
	my $ok = eval {
		my $s = JSON::PP::decode_json(one($B, 'SELECT authsessions.create_session(?)', $guid{u1}));
		my $v = JSON::PP::decode_json(one($B, 'SELECT authsessions.validate(?)', $s->{Token}));
		die "validate gave $v->{ID}\n" unless $v->{ID} == $s->{ID};
		die "revoke failed\n" unless JSON::PP::decode_json(one($B, 'SELECT authsessions.revoke(?)', $s->{ID}))->{Success};
		die "upsert failed\n" unless one($B, 'SELECT authsessions.upsert_user(?, ?)', $guid{new}, 'B again');
		1;
	};
	check('after all the cancellations, B runs create_session, validate, revoke, upsert_user', $ok, $@);
	check('no backend holds a lock in this database but the observer',
		one($OBS, q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			WHERE a.datname = current_database() AND l.pid <> pg_backend_pid()}) == 0);
}

# --- a deep list with Prefer: count=exact -------------------------------------------
{
	# The set grows until an uncancelled deep call is long (at least
	# $want_s), by doubling from $big_users users, so the cancellations below
	# land inside the walk on any machine: the test depends on the call's
	# length, never on the machine's speed.  It fails only when even the
	# largest set gives a call shorter than $min_s.
	my ($want_s, $min_s, $max_users) = (0.2, 0.05, 32 * $big_users);
	my ($tid) = new_session($guid{u1});
	my $cols = $OBS->selectcol_arrayref(q{SELECT quote_ident(attname) FROM pg_attribute
		WHERE attrelid = 'authsessions_data.sessions'::regclass AND attnum > 0
		AND NOT attisdropped AND attname <> 'id' ORDER BY attnum});
	my $select = join(', ', map {
		$_ eq 'user_id' ? 'u.id' : $_ eq 'token_hash' ? 'sha256(int4send(u.id))'
		: $_ eq 'user_guid' ? 'u.guid' : $_ eq 'user_name' ? 'u.name'
		: $_ eq 'user_is_operator' ? 'u.is_operator' : "t.$_"
	} @$cols);

	# users first+1 .. first+n, each with one active session that copies
	# every column of a real one (so the generator does not depend on the
	# table's columns), with its own user (and its copies of the user's
	# fields) and token hash; id comes from its identity default.  Each
	# user's session_expiries has that session's expiry, as create_session
	# would have left it (list counts from it).
	my $generated = 0;
	my $grow = sub {
		my ($n) = @_;
		my $t0 = time;
		my ($lo, $hi) = ($generated + 1, $generated + $n);
		$OBS->do(q{INSERT INTO authsessions_data.users (guid, name, listed, session_expiries)
			SELECT gen_random_uuid(), 'big ' || lpad(i::text, 8, '0'), true,
				ARRAY(SELECT expires_at FROM authsessions_data.sessions WHERE id = ?)
			FROM generate_series(?::int, ?::int) AS i}, undef, $tid, $lo, $hi);
		$OBS->do('INSERT INTO authsessions_data.sessions (' . join(', ', @$cols) . ")
			SELECT $select FROM authsessions_data.sessions t, authsessions_data.users u
			WHERE t.id = ? AND u.name BETWEEN 'big ' || lpad(?::text, 8, '0')
				AND 'big ' || lpad(?::text, 8, '0')", undef, $tid, $lo, $hi);
		$OBS->do('ANALYZE authsessions_data.users');
		$OBS->do('ANALYZE authsessions_data.sessions');
		$generated = $hi;
		printf "generated users %d to %d with an active session in %.1f s\n", $lo, $hi, time - $t0;
	};

	$B->do(q{SELECT set_config('request.headers', '{"prefer": "count=exact"}', false)});
	my $list_sql = 'SELECT authsessions.list(?, 50)';
	my ($res, $range, $full, $listed, $deep_page);

	# uncancelled, for reference: how long the call takes (the fastest of
	# three), and its count; the cancellations come a quarter of the way
	# in, and must end the call well before an uncancelled one would end.
	my $measure = sub {
		$listed = one($OBS, q{SELECT count(*) FROM authsessions_data.users WHERE listed});
		$deep_page = int($listed / 50);    # the last full page
		undef $full;
		for (1 .. 3) {
			my $t0 = time;
			$res = eval { one($B, $list_sql, $deep_page) };
			my $took = time - $t0;
			$full = $took if !defined $full || $took < $full;
			$range = one($B, q{SELECT current_setting('response.headers', true)}) // '';
		}
		printf "deep list over %d listed users: %.3f s\n", $listed, $full;
	};
	$grow->($big_users);
	$measure->();
	while ($full < $want_s && $generated < $max_users) {
		$grow->($generated);
		$measure->();
	}
	check(sprintf('deep list (page %d) with count=exact answers (%.3f s) with Content-Range .../%d', $deep_page, $full, $listed),
		defined $res && $range =~ m{/\Q$listed\E"}, $@ || "headers: $range");
	check(sprintf('deep list over %d users takes at least %.2f s (%.3f s)', $listed, $min_s, $full), $full >= $min_s);
	my $early = $full / 4;

	# pg_cancel_backend a quarter of the way in
	$B->do(q{SELECT set_config('response.headers', '', false)});
	b_start($list_sql, $deep_page);
	sleep $early;
	my $done_before = $B->pg_ready;
	my $t_cancel = time;
	one($OBS, 'SELECT pg_cancel_backend(?)', $b_pid);
	my ($state) = b_finish();
	my $latency = time - $t_cancel;
	check(sprintf('deep list still running %.3f s in', $early), !$done_before);
	check(sprintf('deep list: pg_cancel_backend %.3f s in ends it with 57014 (%.3f s later)', $early, $latency),
		$state eq '57014', "sqlstate '$state'");
	# and it really cut the call short: well before it would have ended
	check(sprintf('deep list: the cancel cut the call short (%.3f s < %.3f s, half of an uncancelled call)', $latency, $full / 2),
		$latency < $full / 2);

	# statement_timeout a quarter of the way in
	my $timeout_ms = int($early * 1000) || 1;
	$B->do("SET statement_timeout = '${timeout_ms}ms'");
	my $t0 = time;
	eval { one($B, $list_sql, $deep_page) };
	my $st_state = $@ ? ($B->state // '') : '';
	my $el = time - $t0;
	$B->do('RESET statement_timeout');
	check(sprintf('deep list: statement_timeout %d ms ends it with 57014 (%.3f s < %.3f s, three quarters of an uncancelled call)', $timeout_ms, $el, 0.75 * $full),
		$st_state eq '57014' && $el < 0.75 * $full, "sqlstate '$st_state'");

	my $first = eval { JSON::PP::decode_json(one($B, 'SELECT authsessions.list(1, 50)')) };
	check('after the cancellations, list(1, 50) works in the same backend',
		ref $first eq 'ARRAY' && @$first == 50, $@);
	check('the cancelled list left no lock behind', b_locks() eq '' && b_state() eq 'idle',
		'locks: ' . b_locks() . '; state ' . b_state());
}

$_->disconnect for ($A, $B, $OBS);
summary();
