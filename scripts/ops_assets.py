#!/usr/bin/env python3
"""Checks behind scripts/check-ops-assets.sh (stdlib only; YAML is read with PyYAML when installed, else
converted to JSON by `kubectl patch --local`). Each subcommand prints what it checked and exits 1 on failure.

  ops_assets.py alerts     RULES_YAML
  ops_assets.py metrics    RULES_YAML DASHBOARD_JSON EXPORTED_NAMES_TXT
  ops_assets.py dashboard-rules DASHBOARD_JSON OUT_RULES_FILE
  ops_assets.py anchors    RULES_YAML RUNBOOK_MD
  ops_assets.py same-container BASE_DEPLOYMENT_YAML PATCH_YAML

RULES_YAML may be the plain rules file or the PrometheusRule (its .spec is used).
"""
import json
import re
import shutil
import subprocess
import sys

README_URL = "https://github.com/dify-plugin-reconciler/dify-plugin-reconciler/blob/main/README.md#"

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


def rule_groups(path):
    doc = load_yaml(path)
    if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
        doc = doc["spec"]
    if not isinstance(doc, dict) or "groups" not in doc:
        fail(f"{path}: no 'groups'")
    return doc["groups"]


def rules(path):
    for g in rule_groups(path):
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


def github_anchor(heading, seen):
    slug = heading.strip().lower()
    slug = re.sub(r"[^\w\- ]", "", slug)
    slug = slug.replace(" ", "-")
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    return slug if n == 0 else f"{slug}-{n}"


def cmd_anchors(rules_path, runbook_path):
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
    for _, r in rules(rules_path):
        if "alert" not in r:
            continue
        url = r.get("annotations", {}).get("runbook_url", "")
        if not url.startswith(README_URL):
            print(f"FAIL: {r['alert']}: runbook_url {url!r} does not start with {README_URL}")
            bad += 1
            continue
        anchor = url[len(README_URL):]
        if anchor in anchors:
            print(f"  ok  {r['alert']:42s} #{anchor}")
        else:
            print(f"FAIL: {r['alert']}: no heading in {runbook_path} has the anchor #{anchor}")
            bad += 1
    if bad:
        sys.exit(1)


def cmd_same_container(base_path, patch_path):
    def container(doc):
        cs = [c for c in doc["spec"]["template"]["spec"]["containers"] if c["name"] == "dify-plugin-reconciler"]
        if len(cs) != 1:
            fail("no container named dify-plugin-reconciler")
        return cs[0]
    a, b = container(load_yaml(base_path)), container(load_yaml(patch_path))
    if a != b:
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                print(f"FAIL: container field '{key}' differs between {base_path} and {patch_path}")
        sys.exit(1)
    print(f"  ok  the container in {patch_path} equals the one in {base_path}")


COMMANDS = {"alerts": (cmd_alerts, 1), "metrics": (cmd_metrics, 3), "dashboard-rules": (cmd_dashboard_rules, 2),
            "anchors": (cmd_anchors, 2), "same-container": (cmd_same_container, 2)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or len(sys.argv) - 2 != COMMANDS[sys.argv[1]][1]:
        print(__doc__)
        sys.exit(2)
    fn, _ = COMMANDS[sys.argv[1]]
    fn(*sys.argv[2:])
