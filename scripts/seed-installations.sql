-- Set-based seeding of the daemon's installations for scale tests (issue 20): TENANTS x PER_TENANT rows in
-- plugin_installations and as many category rows, spread over the five category tables, generated inside
-- PostgreSQL with generate_series (no client streams the rows). scripts/benchmark.sh seeds this way by default;
-- run it yourself on a THROWAWAY database that has the daemon's schema and some `plugins` rows:
--
--   psql -v tenants=1000000 -v per_tenant=15 -f scripts/seed-installations.sql       # 15,000,000 installations
--
-- Variables: tenants, per_tenant (required; per_tenant at most the number of `plugins` rows), stamp (created_at
-- and updated_at of every row; default two hours ago, outside the reconciler's grace period).
-- What it makes: the plugins are numbered 0..N-1 in plugin_id order; tenant t (id md5('bench-tenant-' || t), stable
-- across runs) installs plugins t*per_tenant .. t*per_tenant+per_tenant-1 (mod N), so no tenant installs one twice;
-- each installation has one row in the category table (plugin number mod 5) of tool_installations,
-- agent_strategy_installations, datasource_installations, trigger_installations, ai_model_installations
-- (provider = the part of plugin_id after '/'). It does not touch `plugins`: set refers afterwards if they should
-- match (UPDATE plugins p SET refers = (SELECT count(*) FROM plugin_installations i WHERE
-- i.plugin_unique_identifier = p.plugin_unique_identifier)).
-- Speed: every secondary index is maintained row by row. At millions of rows, drop the secondary indexes of the six
-- tables first and create them again afterwards (what the benchmark does), then VACUUM (ANALYZE).
\set ON_ERROR_STOP on
\if :{?tenants}
\else
  \echo 'usage: psql -v tenants=N -v per_tenant=K [-v stamp=TIMESTAMPTZ] -f scripts/seed-installations.sql'
  \quit
\endif
\if :{?per_tenant}
\else
  \echo 'usage: psql -v tenants=N -v per_tenant=K [-v stamp=TIMESTAMPTZ] -f scripts/seed-installations.sql'
  \quit
\endif
\if :{?stamp}
\else
  SELECT date_trunc('second', now() - interval '2 hours') AS stamp \gset
\endif
\timing on

BEGIN;
CREATE TEMP TABLE seed_plugins ON COMMIT DROP AS
  SELECT (row_number() OVER (ORDER BY plugin_id, plugin_unique_identifier) - 1)::int AS n, plugin_id,
         plugin_unique_identifier, split_part(plugin_id, '/', 2) AS provider
  FROM plugins;
SELECT count(*) AS distinct_plugins, count(*) >= (:per_tenant)::int AND (:per_tenant)::int > 0 AS enough
  FROM seed_plugins \gset
\if :enough
\else
  \echo 'per_tenant must be between 1 and the number of plugins rows (' :distinct_plugins ')'
  ROLLBACK;
  \quit
\endif
ANALYZE seed_plugins;

-- (t, j) -> plugin number (t * per_tenant + j) mod N; the bigint keeps t * per_tenant exact past 2^31.
INSERT INTO plugin_installations (id, created_at, updated_at, tenant_id, plugin_id, plugin_unique_identifier,
                                  runtime_type, endpoints_setups, endpoints_active, source, meta)
SELECT gen_random_uuid(), :'stamp', :'stamp', md5('bench-tenant-' || t)::uuid, p.plugin_id, p.plugin_unique_identifier,
       'local', 0, 0, 'marketplace', '{}'
FROM generate_series(0::bigint, (:tenants)::bigint - 1) AS t
CROSS JOIN generate_series(0::bigint, (:per_tenant)::bigint - 1) AS j
JOIN seed_plugins p ON p.n = (t * (:per_tenant)::bigint + j) % :distinct_plugins;

-- One statement per category table, each generating only its own rows.
INSERT INTO tool_installations (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier, plugin_id)
SELECT gen_random_uuid(), :'stamp', :'stamp', md5('bench-tenant-' || t)::uuid, p.provider, p.plugin_unique_identifier, p.plugin_id
FROM generate_series(0::bigint, (:tenants)::bigint - 1) AS t
CROSS JOIN generate_series(0::bigint, (:per_tenant)::bigint - 1) AS j
JOIN seed_plugins p ON p.n = (t * (:per_tenant)::bigint + j) % :distinct_plugins
WHERE p.n % 5 = 0;
INSERT INTO agent_strategy_installations (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier, plugin_id)
SELECT gen_random_uuid(), :'stamp', :'stamp', md5('bench-tenant-' || t)::uuid, p.provider, p.plugin_unique_identifier, p.plugin_id
FROM generate_series(0::bigint, (:tenants)::bigint - 1) AS t
CROSS JOIN generate_series(0::bigint, (:per_tenant)::bigint - 1) AS j
JOIN seed_plugins p ON p.n = (t * (:per_tenant)::bigint + j) % :distinct_plugins
WHERE p.n % 5 = 1;
INSERT INTO datasource_installations (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier, plugin_id)
SELECT gen_random_uuid(), :'stamp', :'stamp', md5('bench-tenant-' || t)::uuid, p.provider, p.plugin_unique_identifier, p.plugin_id
FROM generate_series(0::bigint, (:tenants)::bigint - 1) AS t
CROSS JOIN generate_series(0::bigint, (:per_tenant)::bigint - 1) AS j
JOIN seed_plugins p ON p.n = (t * (:per_tenant)::bigint + j) % :distinct_plugins
WHERE p.n % 5 = 2;
INSERT INTO trigger_installations (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier, plugin_id)
SELECT gen_random_uuid(), :'stamp', :'stamp', md5('bench-tenant-' || t)::uuid, p.provider, p.plugin_unique_identifier, p.plugin_id
FROM generate_series(0::bigint, (:tenants)::bigint - 1) AS t
CROSS JOIN generate_series(0::bigint, (:per_tenant)::bigint - 1) AS j
JOIN seed_plugins p ON p.n = (t * (:per_tenant)::bigint + j) % :distinct_plugins
WHERE p.n % 5 = 3;
INSERT INTO ai_model_installations (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier, plugin_id)
SELECT gen_random_uuid(), :'stamp', :'stamp', md5('bench-tenant-' || t)::uuid, p.provider, p.plugin_unique_identifier, p.plugin_id
FROM generate_series(0::bigint, (:tenants)::bigint - 1) AS t
CROSS JOIN generate_series(0::bigint, (:per_tenant)::bigint - 1) AS j
JOIN seed_plugins p ON p.n = (t * (:per_tenant)::bigint + j) % :distinct_plugins
WHERE p.n % 5 = 4;
COMMIT;
