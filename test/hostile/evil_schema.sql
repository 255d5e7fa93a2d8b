-- test/hostile/evil_schema.sql: a look-alike schema for the search_path
-- attack (test/extra/13_search_path_attack.sh).  Run by the attacker, in the
-- schema "evil" it owns, with the default search_path.
--
-- Every object behaves like its pg_catalog namesake, and first calls
-- evil.note(), which records who ran it (current_user, session_user) and the
-- attack phase in evil.log, and raises a WARNING "EVIL-RAN who=... what=..."
-- so that a run rolled back by an error is still seen by the client.
--
-- Objects: operators = <> < > <= >= on bigint, integer (and both mixed),
-- uuid, bytea, text, name, timestamptz, boolean, inet, interval, jsonb;
-- + - * on integers, timestamptz +/- interval, text ||, jsonb -> ->> ?;
-- functions now(), clock_timestamp(), statement_timestamp(),
-- transaction_timestamp(), sha256(bytea), md5, length, lower, upper, encode,
-- decode, gen_random_uuid(), current_setting, set_config, to_jsonb,
-- jsonb_build_object, jsonb_build_array, int8/int4/text conversions;
-- aggregates count(*), count(x), max, min, sum, jsonb_agg, array_agg; and
-- domains named like the types (text, uuid, bytea, int8, int4, bool,
-- timestamptz, inet, jsonb, interval, name) whose CHECK calls evil.note().

SET client_min_messages = warning;

CREATE TABLE evil.log (
	who pg_catalog.name NOT NULL,
	sess pg_catalog.name NOT NULL,
	phase pg_catalog.text,
	what pg_catalog.text NOT NULL,
	at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
GRANT USAGE ON SCHEMA evil TO PUBLIC;
GRANT INSERT, SELECT ON evil.log TO PUBLIC;

CREATE FUNCTION evil.note(what pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog
AS $$
BEGIN
	RAISE WARNING 'EVIL-RAN who=% sess=% phase=% what=%', current_user, session_user,
		coalesce(current_setting('evil.phase', true), ''), what;
	BEGIN
		INSERT INTO evil.log (who, sess, phase, what)
		VALUES (current_user, session_user, current_setting('evil.phase', true), what);
	EXCEPTION WHEN OTHERS THEN
		NULL;	-- read-only transaction, no privilege: the WARNING is the record
	END;
	RETURN true;
END
$$;
GRANT EXECUTE ON FUNCTION evil.note(pg_catalog.text) TO PUBLIC;

-- Operators.
DO $gen$
DECLARE
	pair text[];
	op text;
	n int := 0;
	fname text;
BEGIN
	-- comparisons
	FOREACH pair SLICE 1 IN ARRAY ARRAY[
		['int8', 'int8'], ['int4', 'int4'], ['int8', 'int4'], ['int4', 'int8'],
		['int2', 'int2'], ['uuid', 'uuid'], ['bytea', 'bytea'], ['text', 'text'],
		['name', 'name'], ['name', 'text'], ['text', 'name'],
		['timestamptz', 'timestamptz'], ['bool', 'bool'], ['inet', 'inet'],
		['interval', 'interval'], ['jsonb', 'jsonb'], ['numeric', 'numeric']]
	LOOP
		FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>=']
		LOOP
			n := n + 1;
			fname := 'evil.op_' || n;
			EXECUTE format($f$CREATE FUNCTION %s(a pg_catalog.%s, b pg_catalog.%s) RETURNS pg_catalog.bool
				LANGUAGE plpgsql AS $b$BEGIN PERFORM evil.note(%L); RETURN a OPERATOR(pg_catalog.%s) b; END$b$$f$,
				fname, pair[1], pair[2], format('operator %s(%s, %s)', op, pair[1], pair[2]), op);
			EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = pg_catalog.%s, RIGHTARG = pg_catalog.%s, FUNCTION = %s)',
				op, pair[1], pair[2], fname);
		END LOOP;
	END LOOP;
	-- arithmetic and accessors: [left, op, right, result]
	FOREACH pair SLICE 1 IN ARRAY ARRAY[
		['int8', '+', 'int8', 'int8'], ['int8', '-', 'int8', 'int8'], ['int8', '*', 'int8', 'int8'],
		['int4', '+', 'int4', 'int4'], ['int4', '-', 'int4', 'int4'], ['int4', '*', 'int4', 'int4'],
		['int8', '*', 'int4', 'int8'], ['int8', '-', 'int4', 'int8'], ['int8', '+', 'int4', 'int8'],
		['timestamptz', '+', 'interval', 'timestamptz'], ['timestamptz', '-', 'interval', 'timestamptz'],
		['timestamptz', '-', 'timestamptz', 'interval'], ['interval', '*', 'float8', 'interval'],
		['text', '||', 'text', 'text'], ['jsonb', '->', 'text', 'jsonb'], ['jsonb', '->>', 'text', 'text'],
		['jsonb', '->', 'int4', 'jsonb'], ['jsonb', '?', 'text', 'bool'], ['jsonb', '||', 'jsonb', 'jsonb']]
	LOOP
		n := n + 1;
		fname := 'evil.op_' || n;
		EXECUTE format($f$CREATE FUNCTION %s(a pg_catalog.%s, b pg_catalog.%s) RETURNS pg_catalog.%s
			LANGUAGE plpgsql AS $b$BEGIN PERFORM evil.note(%L); RETURN a OPERATOR(pg_catalog.%s) b; END$b$$f$,
			fname, pair[1], pair[3], pair[4], format('operator %s(%s, %s)', pair[2], pair[1], pair[3]), pair[2]);
		EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = pg_catalog.%s, RIGHTARG = pg_catalog.%s, FUNCTION = %s)',
			pair[2], pair[1], pair[3], fname);
	END LOOP;
	-- prefix minus and NOT-like operators
	EXECUTE $f$CREATE FUNCTION evil.neg8(a pg_catalog.int8) RETURNS pg_catalog.int8 LANGUAGE plpgsql
		AS $b$BEGIN PERFORM evil.note('operator -(int8)'); RETURN OPERATOR(pg_catalog.-) a; END$b$$f$;
	EXECUTE 'CREATE OPERATOR evil.- (RIGHTARG = pg_catalog.int8, FUNCTION = evil.neg8)';
END
$gen$;

-- Functions.
CREATE FUNCTION evil.now() RETURNS pg_catalog.timestamptz LANGUAGE plpgsql STABLE
AS $$BEGIN PERFORM evil.note('function now()'); RETURN pg_catalog.now(); END$$;
CREATE FUNCTION evil.clock_timestamp() RETURNS pg_catalog.timestamptz LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function clock_timestamp()'); RETURN pg_catalog.clock_timestamp(); END$$;
CREATE FUNCTION evil.statement_timestamp() RETURNS pg_catalog.timestamptz LANGUAGE plpgsql STABLE
AS $$BEGIN PERFORM evil.note('function statement_timestamp()'); RETURN pg_catalog.statement_timestamp(); END$$;
CREATE FUNCTION evil.transaction_timestamp() RETURNS pg_catalog.timestamptz LANGUAGE plpgsql STABLE
AS $$BEGIN PERFORM evil.note('function transaction_timestamp()'); RETURN pg_catalog.transaction_timestamp(); END$$;
CREATE FUNCTION evil.sha256(b pg_catalog.bytea) RETURNS pg_catalog.bytea LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function sha256(bytea)'); RETURN pg_catalog.sha256(b); END$$;
CREATE FUNCTION evil.md5(t pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function md5(text)'); RETURN pg_catalog.md5(t); END$$;
CREATE FUNCTION evil.length(t pg_catalog.text) RETURNS pg_catalog.int4 LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function length(text)'); RETURN pg_catalog.length(t); END$$;
CREATE FUNCTION evil.length(b pg_catalog.bytea) RETURNS pg_catalog.int4 LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function length(bytea)'); RETURN pg_catalog.length(b); END$$;
CREATE FUNCTION evil.lower(t pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function lower(text)'); RETURN pg_catalog.lower(t); END$$;
CREATE FUNCTION evil.upper(t pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function upper(text)'); RETURN pg_catalog.upper(t); END$$;
CREATE FUNCTION evil.encode(b pg_catalog.bytea, f pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function encode(bytea, text)'); RETURN pg_catalog.encode(b, f); END$$;
CREATE FUNCTION evil.decode(t pg_catalog.text, f pg_catalog.text) RETURNS pg_catalog.bytea LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function decode(text, text)'); RETURN pg_catalog.decode(t, f); END$$;
CREATE FUNCTION evil.gen_random_uuid() RETURNS pg_catalog.uuid LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function gen_random_uuid()'); RETURN pg_catalog.gen_random_uuid(); END$$;
CREATE FUNCTION evil.current_setting(n pg_catalog.text) RETURNS pg_catalog.text LANGUAGE plpgsql STABLE
AS $$BEGIN PERFORM evil.note('function current_setting(text)'); RETURN pg_catalog.current_setting(n); END$$;
CREATE FUNCTION evil.current_setting(n pg_catalog.text, m pg_catalog.bool) RETURNS pg_catalog.text LANGUAGE plpgsql STABLE
AS $$BEGIN PERFORM evil.note('function current_setting(text, bool)'); RETURN pg_catalog.current_setting(n, m); END$$;
CREATE FUNCTION evil.set_config(n pg_catalog.text, v pg_catalog.text, l pg_catalog.bool) RETURNS pg_catalog.text LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function set_config'); RETURN pg_catalog.set_config(n, v, l); END$$;
CREATE FUNCTION evil.to_jsonb(v pg_catalog.anyelement) RETURNS pg_catalog.jsonb LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function to_jsonb'); RETURN pg_catalog.to_jsonb(v); END$$;
CREATE FUNCTION evil.jsonb_build_object(VARIADIC a pg_catalog.text[]) RETURNS pg_catalog.jsonb LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function jsonb_build_object(VARIADIC text[])'); RETURN pg_catalog.jsonb_object(a); END$$;
CREATE FUNCTION evil.jsonb_build_object(k pg_catalog.text, v pg_catalog.anyelement) RETURNS pg_catalog.jsonb LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function jsonb_build_object(text, anyelement)'); RETURN pg_catalog.jsonb_build_object(k, v); END$$;
CREATE FUNCTION evil.jsonb_build_array(VARIADIC a pg_catalog.text[]) RETURNS pg_catalog.jsonb LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function jsonb_build_array'); RETURN pg_catalog.to_jsonb(a); END$$;
CREATE FUNCTION evil.int8(i pg_catalog.int4) RETURNS pg_catalog.int8 LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function int8(int4)'); RETURN i; END$$;
CREATE FUNCTION evil.int4(i pg_catalog.int8) RETURNS pg_catalog.int4 LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function int4(int8)'); RETURN i; END$$;
CREATE FUNCTION evil.text(u pg_catalog.uuid) RETURNS pg_catalog.text LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('function text(uuid)'); RETURN u; END$$;

-- Aggregates.
CREATE FUNCTION evil.count_star_step(s pg_catalog.int8) RETURNS pg_catalog.int8 LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('aggregate count(*)'); RETURN s OPERATOR(pg_catalog.+) 1; END$$;
CREATE AGGREGATE evil.count(*) (SFUNC = evil.count_star_step, STYPE = pg_catalog.int8, INITCOND = '0');
CREATE FUNCTION evil.count_step(s pg_catalog.int8, v pg_catalog.anyelement) RETURNS pg_catalog.int8 LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('aggregate count(x)'); RETURN s OPERATOR(pg_catalog.+) 1; END$$;
CREATE AGGREGATE evil.count(pg_catalog.anyelement) (SFUNC = evil.count_step, STYPE = pg_catalog.int8, INITCOND = '0');
CREATE FUNCTION evil.max_step(s pg_catalog.timestamptz, v pg_catalog.timestamptz) RETURNS pg_catalog.timestamptz LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('aggregate max(timestamptz)'); RETURN pg_catalog.greatest(s, v); END$$;
CREATE AGGREGATE evil.max(pg_catalog.timestamptz) (SFUNC = evil.max_step, STYPE = pg_catalog.timestamptz);
CREATE AGGREGATE evil.min(pg_catalog.timestamptz) (SFUNC = evil.max_step, STYPE = pg_catalog.timestamptz);
CREATE FUNCTION evil.sum_step(s pg_catalog.int8, v pg_catalog.int8) RETURNS pg_catalog.int8 LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('aggregate sum(int8)'); RETURN coalesce(s, 0) OPERATOR(pg_catalog.+) v; END$$;
CREATE AGGREGATE evil.sum(pg_catalog.int8) (SFUNC = evil.sum_step, STYPE = pg_catalog.int8);
CREATE FUNCTION evil.jsonb_agg_step(s pg_catalog.jsonb, v pg_catalog.anyelement) RETURNS pg_catalog.jsonb LANGUAGE plpgsql
AS $$BEGIN PERFORM evil.note('aggregate jsonb_agg'); RETURN coalesce(s, '[]') OPERATOR(pg_catalog.||) pg_catalog.to_jsonb(v); END$$;
CREATE AGGREGATE evil.jsonb_agg(pg_catalog.anyelement) (SFUNC = evil.jsonb_agg_step, STYPE = pg_catalog.jsonb);

-- Types: domains named like the built-in types, whose CHECK runs evil code.
DO $gen$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['text', 'uuid', 'bytea', 'int8', 'int4', 'bool', 'timestamptz',
		'inet', 'jsonb', 'interval', 'name', 'numeric', 'varchar']
	LOOP
		EXECUTE format('CREATE DOMAIN evil.%I AS pg_catalog.%I CHECK (evil.note(%L))',
			t, t, 'type ' || t);
	END LOOP;
END
$gen$;
