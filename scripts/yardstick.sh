#!/usr/bin/env bash
# The yardstick for scripts/benchmark.sh: what an operator would write instead of the reconciler.
#
#   scripts/yardstick.sh STORAGE_ROOT [WORK_DIR]
#
# Connects with the daemon's own variables (DB_HOST DB_PORT DB_USERNAME DB_PASSWORD DB_DATABASE) and
# reads PLUGIN_STORAGE_TYPE=local objects under STORAGE_ROOT. Four checks, nothing else:
#   1. declarations without a package   (psql \copy + find plugin_packages/ + sort + comm)
#   2. local plugins without an installed copy (psql \copy + find plugin/ + sort + comm)
#   3. refers below / above count(plugin_installations) per identifier (refers_too_low, refers_drift; one
#      SQL aggregate)
#   4. orphaned category rows: rows of ALL FIVE category tables with no installation of the same
#      (tenant_id, plugin_id, plugin_unique_identifier) (one SQL anti-join over a UNION ALL)
# It prints one line per check (count) and, last, "yardstick_seconds <wall time>".
# It does none of the reconciler's other checks (grace period, assets, orphaned objects, invalid keys,
# duplicates, endpoints, serverless, tenant storage, install tasks, schema checks, byte-order merge).
set -euo pipefail

root=${1:?usage: yardstick.sh STORAGE_ROOT [WORK_DIR]}
work=${2:-$(mktemp -d)}
mkdir -p "$work"
export LC_ALL=C
export PGHOST=${DB_HOST:-localhost} PGPORT=${DB_PORT:-5432} PGUSER=${DB_USERNAME:-postgres}
export PGPASSWORD=${DB_PASSWORD:-} PGDATABASE=${DB_DATABASE:-dify_plugin}
psql=(psql -X -q -A -t -v ON_ERROR_STOP=1)

start=$(date +%s.%N)

# Database side: identifiers to files (two COPYs in one session), plus the two aggregates.
"${psql[@]}" <<SQL >"$work/aggregates.txt"
\copy (SELECT plugin_unique_identifier FROM plugin_declarations) TO '$work/declarations.txt'
\copy (SELECT plugin_unique_identifier FROM plugins WHERE install_type = 'local') TO '$work/local_plugins.txt'
SELECT v.check_name, v.n FROM (
    SELECT count(*) FILTER (WHERE p.refers < coalesce(i.n, 0)) AS too_low,
           count(*) FILTER (WHERE p.refers > coalesce(i.n, 0)) AS too_high
    FROM plugins p
    LEFT JOIN (SELECT plugin_unique_identifier, count(*) AS n FROM plugin_installations GROUP BY 1) i
    USING (plugin_unique_identifier)) a,
  LATERAL (VALUES ('refers_too_low', a.too_low), ('refers_drift', a.too_high)) v(check_name, n);
SELECT 'category_row_orphaned', count(*) FROM (
    SELECT tenant_id, plugin_id, plugin_unique_identifier FROM tool_installations
    UNION ALL SELECT tenant_id, plugin_id, plugin_unique_identifier FROM agent_strategy_installations
    UNION ALL SELECT tenant_id, plugin_id, plugin_unique_identifier FROM datasource_installations
    UNION ALL SELECT tenant_id, plugin_id, plugin_unique_identifier FROM trigger_installations
    UNION ALL SELECT tenant_id, plugin_id, plugin_unique_identifier FROM ai_model_installations) c
  WHERE NOT EXISTS (SELECT 1 FROM plugin_installations i WHERE i.tenant_id = c.tenant_id
    AND i.plugin_id = c.plugin_id AND i.plugin_unique_identifier = c.plugin_unique_identifier);
SQL

# Storage side: keys relative to each prefix are the identifiers.
(cd "$root/plugin_packages" 2>/dev/null && find . -type f | sed 's|^\./||') | sort >"$work/packages.txt"
(cd "$root/plugin" 2>/dev/null && find . -type f | sed 's|^\./||') | sort >"$work/installed.txt"
sort -o "$work/declarations.txt" "$work/declarations.txt"
sort -o "$work/local_plugins.txt" "$work/local_plugins.txt"
comm -23 "$work/declarations.txt" "$work/packages.txt" >"$work/package_missing.txt"
comm -23 "$work/local_plugins.txt" "$work/installed.txt" >"$work/installed_object_missing.txt"

end=$(date +%s.%N)

echo "package_missing|$(wc -l <"$work/package_missing.txt")"
echo "installed_object_missing|$(wc -l <"$work/installed_object_missing.txt")"
cat "$work/aggregates.txt"
echo "yardstick_seconds|$(echo "$end - $start" | bc -l)"
