#!/usr/bin/env bash
# test/extra/15_random_writers.sh: two clients run random sequences of every
# writer (create_session with short and long lifetimes, validate's touch with
# changing idle timeouts, revoke, end_session, purge, upsert_user renames,
# delete_user and re-creation), some of them inside a transaction rolled
# back, against the same twelve users at once.  At checkpoints, and at the
# end, both clients check that every user's session summary
# (users.session_expiries: its elements after now()) agrees with the sessions
# and that user_sessions answers exactly the active sessions, in order, as a
# plain SQL query over authsessions_data.sessions finds them.  After the
# run, with an expired session's expiry left in user 13's summary, one login
# of every user in one transaction must leave no summary holding an expiry
# at or before now(): every writer prunes the array it rewrites.  The only
# errors allowed are err_NoActiveSession (a revoke of a session already
# ended) and err_UserNotFound (a login of a user the other client has just
# deleted): no deadlock, no internal error.
#
#   TRUST_RANDOM_OPS    statements per client (default 3000)
#   TRUST_RANDOM_SEED   seed of the first client (default: from the clock;
#                       printed, so that a failure can be replayed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=test/extra/lib/trust_common.sh
source test/extra/lib/trust_common.sh

OPS=${TRUST_RANDOM_OPS:-3000}
SEED=${TRUST_RANDOM_SEED:-$(date +%s)}
echo "seed $SEED (TRUST_RANDOM_SEED=$SEED replays it), $OPS statements per client"

tc_createdb trust_random_writers

tc_psql <<'SQL'
CREATE EXTENSION authsessions;
-- every token handed out, and what the checkpoints found
CREATE TABLE toks (id bigint, token text);
CREATE TABLE checks (client int, at int, summary_mismatches bigint,
	user_sessions_mismatches bigint, past_expiries bigint, touched bigint, ended bigint);
-- users 1 to 12 are shared; 13 and 14 are each client's own, which only its
-- one-second session before the pause touches
SELECT count(authsessions.upsert_user(('00000000-0000-4000-8000-' || lpad(u::text, 12, '0'))::uuid,
										'user' || u))
FROM generate_series(1, 14) AS u \gset
SQL

# gen CLIENT SEED: the client's script on stdout
gen() {
	perl - "$1" "$2" "$OPS" <<'PERL'
use strict;
use warnings;
my ($client, $seed, $ops) = @ARGV;
srand($seed);
print "\\set ON_ERROR_STOP off\n\\set VERBOSITY terse\n";
print "\\i sql/include/summary.sql\n";
# user_sessions against the active sessions found by plain SQL
print <<'SQL';
CREATE FUNCTION pg_temp.user_sessions_mismatch() RETURNS TABLE (guid uuid) LANGUAGE sql AS $$
	SELECT u.guid FROM authsessions_data.users u
	WHERE jsonb_path_query_array(authsessions.user_sessions(u.guid, 1, 1000), '$[*].ID')
	  IS DISTINCT FROM
	  (SELECT coalesce(jsonb_agg(s.id ORDER BY s.last_updated DESC, s.id DESC), '[]')
	   FROM authsessions_data.sessions s
	   WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()) $$;
SET authsessions.touch_interval = 0;
SQL
my $check = sub {
	my ($at) = @_;
	return "INSERT INTO checks SELECT $client, $at, (SELECT count(*) FROM pg_temp.summary_mismatch()),"
	  . " (SELECT count(*) FROM pg_temp.user_sessions_mismatch()),"
	  . " (SELECT count(*) FROM authsessions_data.users u, unnest(u.session_expiries) AS e"
	  . "  WHERE e <= now()),"
	  . " (SELECT count(*) FROM authsessions_data.sessions WHERE last_updated > created_at),"
	  . " (SELECT count(*) FROM authsessions_data.sessions WHERE revoked_at IS NOT NULL);\n";
};
my $any_tok = "coalesce((SELECT id FROM toks ORDER BY random() LIMIT 1), 0)";
for my $i (1 .. $ops) {
	my $u = 1 + int(rand(12));
	my $guid = sprintf("00000000-0000-4000-8000-%012d", $u);
	my $r = rand();
	my $stmt;
	if ($r < 0.30) {
		my $ttl = ("'1 second'", "'1 hour'", "'2 days'", 'NULL')[int(rand(4))];
		my $dev = (("'c$client-$i'", 'NULL', "'x''y'", "''"))[int(rand(4))];
		$stmt = "INSERT INTO toks SELECT (s->>'ID')::bigint, s->>'Token'"
		  . " FROM authsessions.create_session('$guid', $dev, 'os', NULL, $ttl) AS s;";
	} elsif ($r < 0.55) {
		my $idle = (3600, 7200, 86400, 172800)[int(rand(4))];
		$stmt = "SET authsessions.idle_timeout = $idle;"
		  . " SELECT authsessions.validate(token) IS NOT NULL FROM toks WHERE id = $any_tok;";
	} elsif ($r < 0.70) {
		$stmt = "SELECT authsessions.revoke($any_tok);";
	} elsif ($r < 0.80) {
		$stmt = "SELECT authsessions.end_session(token) FROM toks WHERE id = $any_tok;";
	} elsif ($r < 0.85) {
		# what ended over a second ago: not the session of the pause (below)
		$stmt = "SELECT authsessions.purge('1 second', " . (1, 5, 1000)[int(rand(3))] . ");";
	} elsif ($r < 0.93) {
		$stmt = "SELECT authsessions.upsert_user('$guid', 'user$u-" . int(rand(3)) . "', "
		  . (qw(true false NULL))[int(rand(3))] . ");";
	} else {
		$stmt = "SELECT authsessions.delete_user('$guid');"
		  . " SELECT authsessions.upsert_user('$guid', 'user$u');";
	}
	$stmt = "BEGIN; $stmt ROLLBACK;" if rand() < 0.1;
	print "$stmt\n";
	# the sessions of one second expire, leaving their expiries in the
	# summary until the user's next writer prunes them; the client's own
	# user has one for sure at the checkpoint after the pause (no other
	# statement names it, and purge takes it a second later)
	if ($i == int($ops / 2)) {
		printf "SELECT authsessions.create_session('00000000-0000-4000-8000-%012d',"
		  . " 'pause', ttl => '1 second') IS NOT NULL;\n", 12 + $client;
		print "SELECT pg_sleep(1.1);\n", $check->($i);
	}
	print $check->($i) if $i % 150 == 0 && $i != int($ops / 2);
}
print $check->($ops);
PERL
}

pids=()
for c in 1 2; do
	gen "$c" "$((SEED + c - 1))" >"$TC_TMP/client$c.sql"
	psql -X -q -At -d "$TC_DB" -f "$TC_TMP/client$c.sql" >"$TC_TMP/client$c.out" 2>"$TC_TMP/client$c.err" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

q() { tc_psql -c "$1"; }
for c in 1 2; do
	other=$(grep -Ev 'ERROR:  (err_NoActiveSession|err_UserNotFound)$' "$TC_TMP/client$c.err" || true)
	if [[ -z $other ]]; then
		tc_pass "client $c: no error but err_NoActiveSession and err_UserNotFound ($(grep -c ERROR "$TC_TMP/client$c.err" || true) of those)"
	else
		tc_fail "client $c: unexpected errors" "$(head -5 <<<"$other")"
	fi
done
tc_check "checkpoints recorded (both clients)" \
	eq "$(q "SELECT count(*) FROM checks")" "$((2 * (OPS / 150 + 1 + (OPS / 2 % 150 != 0))))"
tc_check "the summary agrees with the sessions at every checkpoint" \
	eq "$(q "SELECT count(*) FROM checks WHERE summary_mismatches <> 0")" 0
tc_check "user_sessions answers the active sessions at every checkpoint" \
	eq "$(q "SELECT count(*) FROM checks WHERE user_sessions_mismatches <> 0")" 0
# the run did what it is about: sessions of every kind, expiries left behind
tc_check "sessions created" ge "$(q "SELECT count(*) FROM toks")" 100
tc_check "sessions touched (last_updated moved) at a checkpoint" \
	ge "$(q "SELECT max(touched) FROM checks")" 1
tc_check "sessions revoked or logged out at a checkpoint" \
	ge "$(q "SELECT max(ended) FROM checks")" 1
tc_check "expiries of expired sessions left in a summary (until its next writer) at a checkpoint" \
	ge "$(q "SELECT max(past_expiries) FROM checks")" 1
tc_check "the summary after the run agrees" \
	eq "$(tc_psql -f sql/include/summary.sql -c "SELECT count(*) FROM pg_temp.summary_mismatch()")" 0
# A session of one second, expired: its expiry stays in user 13's summary.
# Then one login of every user, and the checks, in one transaction (one
# now()): before the logins some summary holds an expiry at or before now(),
# after them none does, and every summary still agrees.
tc_psql -c "SELECT authsessions.create_session('00000000-0000-4000-8000-000000000013',
	'expiring', ttl => '1 second') IS NOT NULL, pg_sleep(1.1)" >/dev/null
IFS='|' read -r past_before past_after mismatches < <(tc_psql -f sql/include/summary.sql -f - <<'SQL'
BEGIN;
SELECT count(*) FROM authsessions_data.users u, unnest(u.session_expiries) AS e
 WHERE e <= now() \gset past_
SELECT count(authsessions.create_session(guid, 'prune')) FROM authsessions_data.users \g /dev/null
SELECT :past_count, (SELECT count(*) FROM authsessions_data.users u, unnest(u.session_expiries) AS e
		 WHERE e <= now()),
	   (SELECT count(*) FROM pg_temp.summary_mismatch());
ROLLBACK;
SQL
)
tc_check "expiries at or before now() in the summaries before the logins" ge "${past_before:-0}" 1
tc_check "a login prunes its user's summary: none left after a login of every user" eq "$past_after" 0
tc_check "the summary agrees after the logins" eq "$mismatches" 0

tc_summary
