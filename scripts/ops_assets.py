#!/usr/bin/env python3
"""Checks behind scripts/check-ops-assets.sh (stdlib only; YAML is read with PyYAML when installed, else
converted to JSON by `kubectl patch --local`). Each subcommand prints what it checked and exits 1 on failure.

  ops_assets.py alerts     RULES_YAML
  ops_assets.py metrics    RULES_YAML DASHBOARD_JSON EXPORTED_NAMES_TXT
  ops_assets.py dashboard-rules DASHBOARD_JSON OUT_RULES_FILE
  ops_assets.py anchors    RULES_YAML RUNBOOK_MD RUNBOOK_URL
  ops_assets.py runbook-url CONFIGMAP_YAML
  ops_assets.py rendered-runbook-urls RUNBOOK_MD RUNBOOK_URL RENDERED_YAML...
  ops_assets.py same-container BASE_DEPLOYMENT_YAML PATCH_YAML
  ops_assets.py post-rendered CHART INPUT_YAML OUTPUT_YAML LOCAL_STORAGE(true|false)
  ops_assets.py bucket-policies DOC_MD REPORT_POLICY_JSON ARMED_POLICY_JSON

RULES_YAML may be the plain rules file or the PrometheusRule (its .spec is used).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Series Prometheus itself creates for every target; not exported by the service.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE"}

KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
            "offset", "bool", "atan2", "inf", "nan", "start", "end"}

# Grafana variables and the values used to make a dashboard query plain PromQL for parsing.
GRAFANA_VARS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h", "__range_s": "3600",
                "__interval_ms": "60000", "namespace": "dify", "job": "dify-plugin-reconciler"}


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def load_yaml(path):
    try:
        import yaml  # noqa: PLC0415
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except ImportError:
        pass
    if not shutil.which("kubectl"):
        fail(f"cannot read {path}: install PyYAML (pip install pyyaml) or kubectl")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not re.search(r"^kind:", text, re.M):
        # kubectl only reads objects with a kind: wrap a plain file (the rules file) as one.
        text = "apiVersion: ops.check/v1\nkind: PlainYaml\n" + text
    out = subprocess.run(["kubectl", "patch", "--local", "-f", "-", "--type", "merge", "-p", "{}", "-o", "json"],
                         input=text, capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"kubectl could not read {path} (only Kubernetes-shaped YAML works without PyYAML): {out.stderr.strip()}")
    return json.loads(out.stdout)


def rule_groups(path, doc=None):
    doc = load_yaml(path) if doc is None else doc
    if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
        doc = doc["spec"]
    if not isinstance(doc, dict) or "groups" not in doc:
        fail(f"{path}: no 'groups'")
    return doc["groups"]


def rules(path, doc=None):
    for g in rule_groups(path, doc):
        for r in g.get("rules", []):
            yield g["name"], r


def strip_promql(expr):
    """Removes comments, strings, label matchers, ranges and grouping-label lists, leaving the names."""
    out, i, n = [], 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            j = i + 1
            while j < n and expr[j] != c:
                j += 2 if expr[j] == "\\" else 1
            out.append(" \"\" ")
            i = j + 1
        elif c == "#":
            while i < n and expr[i] != "\n":
                i += 1
        else:
            out.append(c)
            i += 1
    s = "".join(out)
    s = re.sub(r"\{[^{}]*\}", " ", s)
    s = re.sub(r"\[[^\[\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", r" \1 ", s)
    return s


def metric_names(expr):
    """Metric (or recording rule) names an expression reads."""
    s = strip_promql(expr)
    names = set()
    for m in re.finditer(r"(?<![\w:.])[A-Za-z_:][\w:]*", s):
        name = m.group(0)
        rest = s[m.end():].lstrip()
        if rest.startswith("(") or re.match(r"(by|without)\b", rest):  # a function or an aggregation
            continue
        if name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def dashboard_queries(path):
    """(where, expr) for every panel target and every query variable of the dashboard."""
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)

    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))

    for p in walk(dash.get("panels", [])):
        for t in p.get("targets", []):
            if "expr" in t:
                yield f"panel {p.get('id')} '{p.get('title')}' ref {t.get('refId')}", t["expr"]
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", q or "", re.S)
            yield f"variable ${v['name']}", (m.group(1) if m else q)


def substitute(expr):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in GRAFANA_VARS:
            fail(f"unknown Grafana variable ${name} in: {expr}")
        return GRAFANA_VARS[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def cmd_alerts(rules_path):
    count = 0
    for group, r in rules(rules_path):
        if "alert" not in r:
            continue
        count += 1
        missing = [k for k in ("summary", "description", "runbook_url") if not r.get("annotations", {}).get(k)]
        if not r.get("labels", {}).get("severity"):
            missing.append("labels.severity")
        if missing:
            fail(f"alert {r['alert']} lacks {', '.join(missing)}")
        if r["labels"]["severity"] not in ("critical", "warning", "info"):
            fail(f"alert {r['alert']} has severity {r['labels']['severity']!r}")
        print(f"  ok  {r['alert']:42s} severity={r['labels']['severity']:8s} for={r.get('for', '0s')}")
    if count == 0:
        fail(f"{rules_path}: no alerts")
    print(f"  {count} alerts, each with severity, summary, description and runbook_url")


def cmd_metrics(rules_path, dashboard_path, names_path):
    with open(names_path, encoding="utf-8") as f:
        exported = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    if not exported:
        fail(f"{names_path} lists no metric names")
    recorded, used = set(), {}
    for _, r in rules(rules_path):
        if "record" in r:
            recorded.add(r["record"])
        for name in metric_names(r["expr"]):
            used.setdefault(name, set()).add(f"rule {r.get('alert') or r.get('record')}")
    for where, expr in dashboard_queries(dashboard_path):
        for name in metric_names(substitute(expr)):
            used.setdefault(name, set()).add(where)
    bad = []
    for name in sorted(used):
        if name in exported:
            origin = "exported"
        elif name in recorded:
            origin = "recorded by the rules"
        elif name in PROMETHEUS_SERIES:
            origin = "made by Prometheus"
        else:
            origin = "NOT EXPORTED"
            bad.append(name)
        print(f"  {'ok ' if origin != 'NOT EXPORTED' else 'BAD'} {name:58s} {origin} ({len(used[name])} uses)")
    if bad:
        for name in bad:
            print(f"FAIL: {name} is used by {', '.join(sorted(used[name]))} but is not in {names_path}")
        sys.exit(1)
    print(f"  {len(used)} metric names checked against {len(exported)} names in {names_path}")


def cmd_dashboard_rules(dashboard_path, out_path):
    with open(dashboard_path, encoding="utf-8") as f:
        dash = json.load(f)
    for key, want in (("uid", "dify-plugin-reconciler"),):
        if dash.get(key) != want:
            fail(f"dashboard {key} is {dash.get(key)!r}, want {want!r}")
    variables = {v["name"]: v.get("type") for v in dash.get("templating", {}).get("list", [])}
    for name, typ in (("datasource", "datasource"), ("namespace", "query"), ("job", "query")):
        if variables.get(name) != typ:
            fail(f"dashboard lacks the {typ} variable ${name}")
    print(f"  ok  uid={dash['uid']}, variables: {', '.join('$' + v for v in variables)}")
    check_layout(dash)
    group = []
    for i, (where, expr) in enumerate(dashboard_queries(dashboard_path)):
        record = f"dashboard:query_{i:02d}"
        group.append({"record": record, "expr": substitute(expr)})
        print(f"  {record}  <- {where}")
    if not group:
        fail("dashboard has no queries")
    # JSON is YAML, so promtool reads this file as a rules file.
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"groups": [{"name": "dashboard-queries", "rules": group}]}, f, indent=1)


def check_layout(dash):
    """Panel ids are unique and no two panels cover the same grid cell (panels added side by side by separate changes
    would otherwise hide each other in Grafana without any error)."""
    seen, cells = {}, {}
    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))
    for p in walk(dash.get("panels", [])):
        name = f"panel {p.get('id')} '{p.get('title')}'"
        if p.get("id") in seen:
            fail(f"{name} has the id of {seen[p.get('id')]}")
        seen[p.get("id")] = name
        g = p.get("gridPos", {})
        for x in range(g.get("x", 0), g.get("x", 0) + g.get("w", 0)):
            for y in range(g.get("y", 0), g.get("y", 0) + g.get("h", 0)):
                if (x, y) in cells:
                    fail(f"{name} overlaps {cells[(x, y)]} at x={x}, y={y}")
                cells[(x, y)] = name
        if g.get("x", 0) + g.get("w", 0) > 24:
            fail(f"{name} is wider than the dashboard's 24 columns")
    print(f"  ok  {len(seen)} panels, unique ids, none overlapping")


def github_anchor(heading, seen):
    slug = heading.strip().lower()
    slug = re.sub(r"[^\w\- ]", "", slug)
    slug = slug.replace(" ", "-")
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    return slug if n == 0 else f"{slug}-{n}"


def cmd_runbook_url(configmap_path):
    """Prints the runbook URL the kustomizations put in every runbook_url (k8s/base/runbook-url.yaml's data.url)."""
    doc = load_yaml(configmap_path)
    url = (doc.get("data") or {}).get("url", "")
    if not re.match(r"^https?://[^\s#]+$", url):
        fail(f"{configmap_path}: data.url {url!r} is not an http(s) URL without a '#'")
    if doc.get("metadata", {}).get("annotations", {}).get("config.kubernetes.io/local-config") != "true":
        fail(f"{configmap_path}: not marked config.kubernetes.io/local-config: \"true\" (it would be applied to the cluster)")
    print(url)


def cmd_anchors(rules_path, runbook_path, runbook_url, doc=None):
    """Every alert's runbook_url is RUNBOOK_URL#<anchor of a heading of RUNBOOK_MD> (doc: the rules, already read)."""
    prefix = runbook_url + "#"
    seen, anchors, in_code = {}, set(), False
    with open(runbook_path, encoding="utf-8") as f:
        for line in f:
            if line.lstrip().startswith("```"):
                in_code = not in_code
                continue
            m = None if in_code else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m:
                anchors.add(github_anchor(m.group(2), seen))
    bad = 0
    for _, r in rules(rules_path, doc):
        if "alert" not in r:
            continue
        url = r.get("annotations", {}).get("runbook_url", "")
        if not url.startswith(prefix):
            print(f"FAIL: {r['alert']}: runbook_url {url!r} does not start with {prefix}")
            bad += 1
            continue
        anchor = url[len(prefix):]
        if anchor in anchors:
            print(f"  ok  {r['alert']:42s} #{anchor}")
        else:
            print(f"FAIL: {r['alert']}: no heading in {runbook_path} has the anchor #{anchor}")
            bad += 1
    if bad:
        sys.exit(1)


def cmd_rendered_runbook_urls(runbook_path, runbook_url, *rendered_paths):
    """In each `kubectl kustomize` output: the runbook-url ConfigMap (local-config) is not rendered, and the one
    PrometheusRule's every runbook_url is RUNBOOK_URL#<anchor of a heading of RUNBOOK_MD>."""
    for path in rendered_paths:
        docs = load_all(path)
        if any(d.get("kind") == "ConfigMap" and d["metadata"]["name"] == "dify-plugin-reconciler-runbook" for d in docs):
            fail(f"{path}: the runbook-url ConfigMap (local-config) was rendered")
        found = [d for d in docs if d.get("kind") == "PrometheusRule"]
        if len(found) != 1:
            fail(f"{path}: {len(found)} PrometheusRules rendered, want 1")
        cmd_anchors(f"{path} (PrometheusRule)", runbook_path, runbook_url, found[0])
        print(f"  ok  {os.path.basename(path)}: every alert links {runbook_url}#<its heading>")


def cmd_same_container(base_path, patch_path):
    """The sidecar's container is the standalone one, except where the daemon's pod needs otherwise: `envFrom`
    (only the reconciler's ConfigMap, optional; the chart adds the daemon's sources) and `env` (the standalone
    entries plus RECONCILER_SIDECAR=true)."""
    def container(doc):
        cs = [c for c in doc["spec"]["template"]["spec"]["containers"] if c["name"] == "dify-plugin-reconciler"]
        if len(cs) != 1:
            fail("no container named dify-plugin-reconciler")
        return cs[0]
    a, b = container(load_yaml(base_path)), container(load_yaml(patch_path))
    bad = [key for key in sorted(set(a) | set(b)) if key not in ("env", "envFrom") and a.get(key) != b.get(key)]
    for key in bad:
        print(f"FAIL: container field '{key}' differs between {base_path} and {patch_path}")
    if bad:
        sys.exit(1)
    if b.get("env", []) != [{"name": "RECONCILER_SIDECAR", "value": "true"}] + a.get("env", []):
        fail(f"the env of {patch_path} must be RECONCILER_SIDECAR=true followed by the env of {base_path}")
    for source in b.get("envFrom", []):
        ref = source.get("configMapRef") or source.get("secretRef") or {}
        if not ref.get("optional"):
            fail(f"{patch_path}: envFrom {ref.get('name')} is not optional; a missing source keeps the daemon's pod not-ready")
    print(f"  ok  the container in {patch_path} equals the one in {base_path} (env: + RECONCILER_SIDECAR=true;"
          f" envFrom: only optional sources)")


def load_all(path):
    """Every document of a multi-document YAML file (PyYAML, else one `kubectl patch --local` per document)."""
    try:
        import yaml  # noqa: PLC0415
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d]
    except ImportError:
        pass
    with open(path, encoding="utf-8") as f:
        parts = re.split(r"(?m)^---\s*$", f.read())
    docs = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, part in enumerate(parts):
            if re.search(r"(?m)^kind:", part):
                one = os.path.join(tmp, f"doc{i}.yaml")
                with open(one, "w", encoding="utf-8") as f:
                    f.write(part)
                docs.append(load_yaml(one))
    return docs


def without_nulls(value):
    """kustomize drops null fields (`env:` with nothing under it); so does this, before comparing."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


# Per chart: the daemon's container, the Service port names that must reach it, the storage volume.
CHARTS = {
    "borispolonsky": {"container": "plugin-daemon", "ports": {"daemon", "plugin-install"}, "volume": "app-data"},
    "douban": {"container": "dify-plugin-daemon", "ports": {"http"}, "volume": "plugin-daemon-storage"},
}
SIDECAR = "dify-plugin-reconciler"


def cmd_post_rendered(chart, input_path, output_path, local_storage, armed):
    spec_of = CHARTS.get(chart) or fail(f"unknown chart {chart}")
    daemon_name = spec_of["container"]
    key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
    before = {key(d): without_nulls(d) for d in load_all(input_path)}
    after = {key(d): without_nulls(d) for d in load_all(output_path)}
    if set(before) != set(after):
        fail(f"objects differ: in {sorted(set(before) - set(after))}, out {sorted(set(after) - set(before))}")
    daemons = [k for k, d in before.items() if d["kind"] == "Deployment"
               and any(c["name"] == daemon_name for c in d["spec"]["template"]["spec"]["containers"])]
    if len(daemons) != 1:
        fail(f"{input_path}: expected one Deployment with a container {daemon_name}, found {daemons}")
    for k in before:
        if k not in daemons and before[k] != after[k]:
            fail(f"{k[0]}/{k[1]} was changed; only the daemon's Deployment may be")
    print(f"  ok  {len(before) - 1} other objects passed through unchanged: {', '.join(f'{k}/{n}' for k, n in sorted(before) if (k, n) not in daemons)}")

    old, new = before[daemons[0]], after[daemons[0]]
    pod = new["spec"]["template"]
    containers = pod["spec"]["containers"]
    names = [c["name"] for c in containers]
    if sorted(names) != sorted([daemon_name, SIDECAR]):
        fail(f"containers are {names}, want {daemon_name} and {SIDECAR} once each")
    daemon = next(c for c in containers if c["name"] == daemon_name)
    sidecar = next(c for c in containers if c["name"] == SIDECAR)
    old_daemon = next(c for c in old["spec"]["template"]["spec"]["containers"] if c["name"] == daemon_name)
    if daemon != old_daemon:
        fail(f"the daemon's container {daemon_name} was changed")
    if {k: v for k, v in new["spec"].items() if k != "template"} != {k: v for k, v in old["spec"].items() if k != "template"}:
        fail("the Deployment's spec outside the pod template (selector, strategy, replicas) was changed")
    if not new["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items():
        fail("the selector no longer matches the pod's labels")
    if pod["metadata"]["labels"].get("dify-plugin-reconciler/scrape") != "true":
        fail("the pod lacks the label dify-plugin-reconciler/scrape=true the reconciler's Service selects")
    print(f"  ok  containers {names}; the daemon's container, selector and strategy unchanged")

    # Named ports: Kubernetes resolves a named targetPort to the FIRST container of the pod declaring the name.
    def resolves_to(port_name):
        for c in containers:
            if any(p.get("name") == port_name for p in c.get("ports", [])):
                return c["name"]
        return None
    wanted = set(spec_of["ports"])
    for svc in (d for d in after.values() if d["kind"] == "Service"):
        selector = svc["spec"].get("selector") or {}
        if selector and selector.items() <= pod["metadata"]["labels"].items():
            wanted |= {p["targetPort"] for p in svc["spec"]["ports"] if isinstance(p.get("targetPort"), str)}
    for port_name in sorted(wanted):
        got = resolves_to(port_name)
        if got != daemon_name:
            fail(f"port name {port_name!r} resolves to container {got!r}, not the daemon's {daemon_name!r}")
        print(f"  ok  named port {port_name!r} resolves to the daemon's container {daemon_name}")
    # Two ports share the pod's network with the daemon: the HTTP port (probes, metrics, API) and the management
    # port (mutating endpoints with RECONCILER_API_MUTATING_ON=management). Neither name nor number may be the daemon's.
    daemon_numbers = {q.get("containerPort") for q in daemon.get("ports", [])}
    for p in sidecar.get("ports", []):
        if len(p["name"]) > 15 or any(p["name"] == q.get("name") for q in daemon.get("ports", [])):
            fail(f"the sidecar's port name {p['name']!r} is longer than 15 characters or clashes with the daemon's")
        if p.get("containerPort") in daemon_numbers:
            fail(f"the sidecar's port {p['name']!r} ({p.get('containerPort')}) is a port number the daemon declares")
    if {p["name"] for p in sidecar.get("ports", [])} != {"reconciler-http", "reconciler-mgmt"}:
        fail(f"the sidecar's ports are {[p['name'] for p in sidecar.get('ports', [])]}, want reconciler-http and reconciler-mgmt")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if sidecar.get(probe, {}).get("httpGet", {}).get("port") != "reconciler-http":
            fail(f"the sidecar's {probe} does not use its port 'reconciler-http'")
    print(f"  ok  the sidecar's ports {[p['name'] for p in sidecar.get('ports', [])]} are unique and its probes use reconciler-http")

    if pod["metadata"].get("annotations", {}).get("kubectl.kubernetes.io/default-container") != daemon_name:
        fail(f"annotation kubectl.kubernetes.io/default-container is not {daemon_name}")
    print(f"  ok  kubectl.kubernetes.io/default-container: {daemon_name}")

    # Every envFrom source must exist in the release (or be optional): a missing one is CreateContainerConfigError.
    for source in sidecar.get("envFrom", []):
        kind, ref = ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
        if not ref.get("optional") and (kind, ref["name"]) not in before:
            fail(f"the sidecar's envFrom names {kind} {ref['name']}, which the chart does not render")
        if (kind, ref["name"]) in before and ref["name"] not in [
                (s.get("configMapRef") or s.get("secretRef") or {}).get("name") for s in daemon.get("envFrom", [])]:
            fail(f"the sidecar reads {kind} {ref['name']}, which the daemon does not")
    env = {e["name"]: e for e in sidecar.get("env", [])}
    if env.get("RECONCILER_SIDECAR", {}).get("value") != "true":
        fail("the sidecar lacks RECONCILER_SIDECAR=true")
    daemon_env = {e["name"]: e for e in daemon.get("env") or []}
    for name, entry in env.items():
        if name.startswith("DB_") and daemon_env.get(name) != entry:
            fail(f"the sidecar's {name} is not the daemon's: {entry} vs {daemon_env.get(name)}")
    sources = [f"{k}/{(s.get('configMapRef') or s.get('secretRef'))['name']}"
               for s in sidecar.get("envFrom", []) for k in ("configMapRef" if "configMapRef" in s else "secretRef",)]
    print(f"  ok  settings: envFrom {sources}, env {sorted(env)} (DB_* equal to the daemon's)")

    volumes = {v["name"] for v in pod["spec"].get("volumes", [])}
    mounts = {m["name"]: m for m in sidecar.get("volumeMounts", [])}
    for name in mounts:
        if name not in volumes:
            fail(f"the sidecar mounts volume {name}, which the pod does not have")
    storage = spec_of["volume"]
    if local_storage == "true":
        m = mounts.get(storage) or fail(f"the sidecar does not mount the daemon's storage volume {storage}")
        daemon_mount = next((d for d in daemon.get("volumeMounts", []) if d["name"] == storage), None) or fail(
            f"the daemon does not mount {storage}")
        read_only = armed != "true"  # only armed remediation writes to the daemon's folder
        if m["mountPath"] != "/app/storage" or daemon_mount["mountPath"] != "/app/storage" or bool(m.get("readOnly")) is not read_only:
            fail(f"the sidecar must mount {storage} {'read-only' if read_only else 'read-write'} at the daemon's /app/storage: {m}")
        if (m.get("subPath") or "") != (daemon_mount.get("subPath") or ""):
            fail(f"subPath differs: sidecar {m.get('subPath')!r}, daemon {daemon_mount.get('subPath')!r}")
        if env.get("PLUGIN_STORAGE_LOCAL_ROOT", {}).get("value") != "/app/storage":
            fail("the sidecar must set PLUGIN_STORAGE_LOCAL_ROOT=/app/storage")
        print(f"  ok  local storage: volume {storage} {'read-only' if read_only else 'read-write'} at /app/storage, PLUGIN_STORAGE_LOCAL_ROOT=/app/storage")
        user = (sidecar.get("securityContext") or {}).get("runAsUser")
        caps = ((sidecar.get("securityContext") or {}).get("capabilities") or {}).get("drop")
        if read_only and user == 0:
            fail("a report-only sidecar runs as root")
        if not read_only and (user != 0 or caps != ["ALL"]):
            fail(f"an armed sidecar on local storage must run as uid 0 (the daemon's files are root's) with every capability dropped: runAsUser={user}, drop={caps}")
        print(f"  ok  runs as uid {user}{' (owner of the daemon files, no capabilities)' if user == 0 else ''}")
    elif storage in mounts:
        fail(f"the sidecar mounts {storage} although local storage was not asked for")

    dry_run = env.get("RECONCILER_REMEDIATION_DRY_RUN", {}).get("value")
    token = env.get("RECONCILER_API_TOKEN", {}).get("valueFrom", {}).get("secretKeyRef", {})
    if armed == "true":
        if dry_run != "false" or not env.get("RECONCILER_REMEDIATION_KINDS", {}).get("value"):
            fail("armed: the sidecar must set RECONCILER_REMEDIATION_DRY_RUN=false and a RECONCILER_REMEDIATION_KINDS list")
        if token.get("name") != "dify-plugin-reconciler-api" or token.get("optional") is not True:
            fail(f"armed: RECONCILER_API_TOKEN must come from the optional Secret dify-plugin-reconciler-api: {token}")
        print(f"  ok  armed: dry-run false for {env['RECONCILER_REMEDIATION_KINDS']['value']}, API token from Secret {token['name']}")
    elif dry_run is not None:
        fail("not armed, yet the sidecar sets RECONCILER_REMEDIATION_DRY_RUN")



def cmd_bucket_policies(readme_path, *policy_paths):
    """Each policy file is shown in the documentation (docs/deploying.md), verbatim, as the ```json block under a
    `<!-- docs/NAME -->` line (BucketLeastPrivilegeIT tests the files, operators copy the page: they must be the same
    policy)."""
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    ok = True
    for path in policy_paths:
        name = "docs/" + os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        try:
            json.loads(text)
        except ValueError as e:
            print(f"FAIL: {path} is not JSON: {e}")
            ok = False
            continue
        blocks = re.findall(r"^<!-- " + re.escape(name) + r" -->\n```json\n(.*?)\n```$", readme, re.M | re.S)
        if len(blocks) != 1:
            print(f"FAIL: {readme_path} has {len(blocks)} ```json blocks under '<!-- {name} -->' (want exactly 1)")
            ok = False
        elif blocks[0].strip() != text:
            print(f"FAIL: {readme_path}'s block for {name} differs from the file")
            ok = False
        else:
            print(f"  ok  {name} is in {os.path.basename(readme_path)} verbatim")
    if not ok:
        sys.exit(1)


COMMANDS = {"alerts": (cmd_alerts, 1), "metrics": (cmd_metrics, 3), "dashboard-rules": (cmd_dashboard_rules, 2),
            "anchors": (cmd_anchors, 3), "runbook-url": (cmd_runbook_url, 1), "rendered-runbook-urls": (cmd_rendered_runbook_urls, None), "same-container": (cmd_same_container, 2),
            "post-rendered": (cmd_post_rendered, 5), "bucket-policies": (cmd_bucket_policies, 3)}


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or (
            len(sys.argv) - 2 != COMMANDS[sys.argv[1]][1] if COMMANDS[sys.argv[1]][1] is not None else len(sys.argv) < 5):
        print(__doc__)
        sys.exit(2)
    fn, _ = COMMANDS[sys.argv[1]]
    fn(*sys.argv[2:])
