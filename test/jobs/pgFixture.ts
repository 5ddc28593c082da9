/**
 * The PostgreSQL source cluster of the round-trip tests, and how two clusters are compared.
 *
 * Content: several databases (one named with spaces, quotes, '=' and non-ASCII), roles with
 * passwords, memberships and settings, extensions pg_trgm and citext, every type family,
 * sequences at non-initial values, views, a materialized view, functions, triggers, indexes,
 * constraints (FK, check, unique, exclusion), RLS, a partitioned table, comments, grants and
 * default privileges, large objects (with owner, comment and grant).
 */
import { PostgresServer } from "../../harness/postgres";

/** A database name that is hostile to naive command lines and connection strings. */
export const ODD_DB = `odd = db 'name' "q" ü`;

export const ROLES_SQL = `
CREATE ROLE app_owner LOGIN PASSWORD 'owner-pw' CREATEDB;
CREATE ROLE app_reader LOGIN PASSWORD 'reader-pw' CONNECTION LIMIT 5 VALID UNTIL '2099-01-01 00:00:00+00';
CREATE ROLE app_group NOLOGIN;
CREATE ROLE "Weird Role ü" LOGIN PASSWORD 'w"e''ird $(x)';
GRANT app_group TO app_reader;
GRANT app_group TO "Weird Role ü" WITH ADMIN OPTION;
ALTER ROLE app_reader SET statement_timeout = '30s';
CREATE DATABASE gitguardian OWNER app_owner;
COMMENT ON DATABASE gitguardian IS 'main database ✓';
ALTER DATABASE gitguardian SET work_mem = '8MB';
GRANT CONNECT, TEMPORARY ON DATABASE gitguardian TO app_group;
CREATE DATABASE "${ODD_DB.replace(/"/g, '""')}" OWNER app_owner;
`;

/** In the postgres database: a table whose one text row looks like a role statement. */
export const POSTGRES_DB_SQL = `
CREATE TABLE public.settings (name text PRIMARY KEY, value text NOT NULL);
INSERT INTO public.settings VALUES ('retention', '30 days'), ('région', 'eu-west-3 ✓');
-- A data line identical to a dump's CREATE ROLE of the restoring role: the restore must not eat it.
CREATE TABLE public.notes (body text);
INSERT INTO public.notes VALUES ('CREATE ROLE "postgres";'), ('ALTER ROLE "postgres" WITH SUPERUSER PASSWORD ''kept'';');
`;

export const ODD_DB_SQL = `
CREATE TABLE "tâble ""x""" (id int PRIMARY KEY, v text);
INSERT INTO "tâble ""x""" SELECT i, repeat('é', i % 7) FROM generate_series(1, 50) i;
`;

export const APP_DB_SQL = `
CREATE EXTENSION pg_trgm;
CREATE EXTENSION citext;
CREATE SCHEMA app AUTHORIZATION app_owner;
COMMENT ON SCHEMA app IS 'GitGuardian-like schema';
SET ROLE app_owner;
CREATE TYPE app.status AS ENUM ('new', 'triaged', 'resolved', 'ignored');
CREATE TYPE app.location AS (file text, line int);
CREATE DOMAIN app.email AS citext CHECK (VALUE LIKE '%_@_%');
CREATE SEQUENCE app.ticket_seq START 1000 INCREMENT 7;
SELECT setval('app.ticket_seq', 4242, true);

CREATE TABLE app.incidents (
    id bigserial PRIMARY KEY,
    uid uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    ticket bigint NOT NULL DEFAULT nextval('app.ticket_seq'),
    title text NOT NULL,
    reporter app.email,
    status app.status NOT NULL DEFAULT 'new',
    severity numeric(12,3) CHECK (severity IS NULL OR severity >= 0),
    score double precision,
    ratio real,
    small smallint,
    big bigint,
    exact numeric,
    flag boolean,
    payload bytea,
    doc json,
    docb jsonb,
    tags text[],
    matrix int[][],
    span int4range,
    during tstzrange,
    amounts numrange,
    days daterange,
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz,
    local_ts timestamp,
    day date,
    at_time time,
    at_timetz timetz,
    wait interval,
    addr inet,
    net cidr,
    mac macaddr,
    bits bit varying(16),
    pt point,
    box_col box,
    tsv tsvector,
    fixed char(5),
    short varchar(20),
    loc app.location,
    xml_col xml
);
COMMENT ON TABLE app.incidents IS 'secrets incidents';
COMMENT ON COLUMN app.incidents.title IS 'title, with ''quotes'' and ü';

INSERT INTO app.incidents (title, reporter, status, severity, score, ratio, small, big, exact, flag, payload, doc, docb, tags, matrix,
    span, during, amounts, days, created, local_ts, day, at_time, at_timetz, wait, addr, net, mac, bits, pt, box_col, tsv, fixed, short, loc, xml_col)
SELECT
    'incident ' || i || ' — ключ ' || chr(19968 + i % 500) || ' 🚀',
    'user' || i || '@Example.COM',
    (ARRAY['new','triaged','resolved','ignored'])[1 + i % 4]::app.status,
    (i * 1.125)::numeric(12,3),
    CASE WHEN i % 97 = 0 THEN 'NaN'::float8 WHEN i % 89 = 0 THEN '-Infinity'::float8 ELSE i / 7.0 END,
    (i / 3.0)::real,
    (i % 32000)::smallint,
    i::bigint * 1000000007,
    CASE WHEN i % 50 = 0 THEN 'NaN'::numeric ELSE (i::numeric / 13) ^ 3 END,
    CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END,
    decode(md5(i::text) || '00ff0a0d5c27', 'hex'),
    json_build_object('i', i, 'text', 'x"y\\z', 'nested', json_build_array(1, 'two', NULL)),
    jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'ü'), 'deep', jsonb_build_object('k', i % 5)),
    ARRAY['tag' || (i % 5), 'with space', 'quote"d', NULL],
    ARRAY[[i, i + 1], [i + 2, i + 3]],
    int4range(i, i + 10),
    tstzrange('2026-01-01 00:00:00+00'::timestamptz + i * interval '1 hour', '2026-01-01 00:00:00+00'::timestamptz + (i + 1) * interval '1 hour', '[)'),
    numrange(i / 10.0, i / 5.0 + 1),
    daterange('2026-01-01'::date + i, '2026-01-01'::date + i + 7),
    '2026-01-01 00:00:00+00'::timestamptz + i * interval '1 minute 3.123456 seconds',
    '2026-01-01 12:00:00'::timestamp + i * interval '1 second',
    '2026-01-01'::date + i,
    '12:34:56.789'::time + i * interval '1 second',
    '12:34:56+02'::timetz,
    i * interval '1 day 2 hours',
    ('10.0.' || (i % 256) || '.1')::inet,
    '192.168.0.0/16'::cidr,
    '08:00:2b:01:02:03'::macaddr,
    (i % 65536)::bit(16)::varbit,
    point(i, -i),
    box(point(0, 0), point(i, i)),
    to_tsvector('simple', 'leaked token ' || i),
    'ab',
    'short ' || i,
    ROW('src/file_' || i || '.py', i)::app.location,
    xmlparse(content '<finding id="' || i || '">secret &amp; more</finding>')
FROM generate_series(1, 3000) AS i;

-- Edge values in one row.
INSERT INTO app.incidents (title, payload, doc, docb, tags, span, exact, score, created, short)
VALUES (E'tab\\there, newline\\nthere, backslash \\\\, quote '' "', decode(string_agg_bytes(), 'hex'), '{}', '[]', '{}', 'empty', 1e-20, 'Infinity', 'infinity', '');

CREATE TABLE app.comments (
    id serial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES app.incidents (id) ON DELETE CASCADE,
    body text NOT NULL CHECK (length(body) > 0),
    author citext NOT NULL,
    UNIQUE (incident_id, author, body)
);
INSERT INTO app.comments (incident_id, body, author) SELECT 1 + i % 3000, 'comment ' || i, 'Author' || (i % 17) FROM generate_series(1, 2000) i;

CREATE TABLE app.maintenance_windows (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    during tstzrange NOT NULL,
    EXCLUDE USING gist (during WITH &&)
);
INSERT INTO app.maintenance_windows (during) SELECT tstzrange('2026-01-01'::timestamptz + i * interval '1 day', '2026-01-01'::timestamptz + i * interval '1 day' + interval '2 hours') FROM generate_series(1, 20) i;

CREATE TABLE app.events (id bigint NOT NULL, created date NOT NULL, kind text) PARTITION BY RANGE (created);
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO app.events SELECT i, '2025-06-01'::date + i, 'kind' || (i % 3) FROM generate_series(1, 400) i;

CREATE INDEX incidents_title_trgm ON app.incidents USING gin (title gin_trgm_ops);
CREATE INDEX incidents_status_created ON app.incidents (status, created DESC);
CREATE INDEX incidents_new ON app.incidents (created) WHERE status = 'new';
CREATE INDEX incidents_lower_title ON app.incidents (lower(title));
CREATE INDEX incidents_docb ON app.incidents USING gin (docb jsonb_path_ops);
CREATE UNIQUE INDEX comments_lower_author ON app.comments (incident_id, lower(author::text), md5(body));

CREATE FUNCTION app.severity_bucket(s numeric) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN s < 100 THEN 'low' WHEN s < 1000 THEN 'mid' ELSE 'high' END $$;
COMMENT ON FUNCTION app.severity_bucket(numeric) IS 'bucket of a severity';
CREATE FUNCTION app.touch_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated := now();
    RETURN NEW;
END $$;
CREATE TRIGGER incidents_touch BEFORE UPDATE ON app.incidents FOR EACH ROW EXECUTE FUNCTION app.touch_updated();
UPDATE app.incidents SET status = 'resolved' WHERE id % 10 = 0;

CREATE VIEW app.open_incidents AS SELECT id, title, app.severity_bucket(severity) AS bucket FROM app.incidents WHERE status IN ('new', 'triaged');
COMMENT ON VIEW app.open_incidents IS 'incidents not closed';
CREATE MATERIALIZED VIEW app.incident_counts AS SELECT status, count(*) AS n FROM app.incidents GROUP BY status;

ALTER TABLE app.comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY comments_by_author ON app.comments FOR SELECT TO app_reader USING (author = current_user);

GRANT USAGE ON SCHEMA app TO app_group;
GRANT SELECT ON ALL TABLES IN SCHEMA app TO app_group;
GRANT SELECT (id, title), UPDATE (status) ON app.incidents TO app_reader;
GRANT EXECUTE ON FUNCTION app.severity_bucket(numeric) TO "Weird Role ü";
GRANT USAGE ON SEQUENCE app.ticket_seq TO app_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO app_group;
REVOKE ALL ON FUNCTION app.touch_updated() FROM PUBLIC;

-- Sequences well past their start.
SELECT nextval('app.incidents_id_seq') FROM generate_series(1, 5);
SELECT nextval('app.comments_id_seq') FROM generate_series(1, 3);
RESET ROLE;

-- Large objects: one with an owner, a comment and a grant; one binary.
DO $$
DECLARE a oid; b oid;
BEGIN
    a := lo_from_bytea(0, convert_to(repeat('large object ✓ ', 5000), 'UTF8'));
    b := lo_from_bytea(0, decode(repeat(md5('x') || '00ff', 2000), 'hex'));
    EXECUTE format('ALTER LARGE OBJECT %s OWNER TO app_owner', a);
    EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', a, 'report attachment');
    EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO app_reader', a);
END $$;
`;

/** A hex string of every byte 0..255 (for the edge row's bytea). */
const ALL_BYTES_HEX = [...Array(256).keys()].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function populateSource(pg: PostgresServer): Promise<void> {
    await pg.psql(ROLES_SQL);
    await pg.psql(POSTGRES_DB_SQL);
    await pg.psql(ODD_DB_SQL, { db: ODD_DB });
    await pg.psql(APP_DB_SQL.replace("string_agg_bytes()", `'${ALL_BYTES_HEX}'`), { db: "gitguardian" });
    await pg.psql("VACUUM ANALYZE", { db: "gitguardian" });
}

/** User databases of a cluster (connectable, not templates). */
export async function databases(pg: PostgresServer): Promise<string[]> {
    return (await pg.rows("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")).map((r) => r[0]);
}

/**
 * Per database: row count and md5 of the sorted text rows of every table and materialized
 * view (partitions included), and md5 of every large object.
 */
export async function rowChecksums(pg: PostgresServer): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const db of await databases(pg)) {
        const rels = (
            await pg.rows(
                `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`,
                db,
            )
        ).map((r) => r[0]);
        for (const rel of rels) {
            const [[count, sum]] = await pg.rows(`SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ${rel} t`, db);
            out[`${db} ${rel}`] = `${count} rows, md5 ${sum}`;
        }
        for (const [oid, sum] of await pg.rows("SELECT oid, md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid", db)) {
            out[`${db} large object ${oid}`] = sum;
        }
    }
    return out;
}

/**
 * pg_dumpall of a cluster, normalized for comparison. What legitimately differs between a
 * source and its restore:
 * - the password of `postgres`, the role the restore runs as: the restored cluster keeps its
 *   own (jobs/restore-postgres.sh drops the saved one so its own later logins keep working),
 *   and the tests give source and target different passwords on purpose;
 * - the key of pg_dump's `\restrict KEY` / `\unrestrict KEY` lines (PostgreSQL 15.14+): a
 *   random value drawn anew by every dump run;
 * nothing else is normalized: role password hashes of the other roles, sequence values,
 * large-object OIDs, ACLs and comments must come back byte for byte. `args` go to pg_dumpall
 * (--no-role-passwords, to compare with a set dumped without them).
 */
export async function normalizedDumpall(pg: PostgresServer, args: string[] = []): Promise<string> {
    const text = await pg.dumpall(args);
    return text
        .split("\n")
        .map((line) => (line.startsWith(`ALTER ROLE "postgres" WITH `) ? line.replace(/ PASSWORD '[^']*'/, " PASSWORD '<own password of the restoring role>'") : line))
        .map((line) => line.replace(/^\\(un)?restrict [A-Za-z0-9]+$/, "\\$1restrict <random key>"))
        .join("\n");
}
