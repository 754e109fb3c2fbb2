// The reconciler's web console: plain JavaScript, no framework, nothing loaded from elsewhere.
// Every URL is relative ("api/v1/..."), so the page works behind an ingress that strips a prefix and through
// kubectl port-forward. The API token lives in this tab's sessionStorage and is sent only as a bearer header.
"use strict";

const TOKEN_KEY = "reconciler.apiToken";
const ACTOR_KEY = "reconciler.actor";
const PAGES = ["overview", "findings", "plan", "actions", "quarantine", "breaker"];
let status = null;
let kinds = null;

// ---- small helpers -------------------------------------------------------------------------------------------

/** An element with attributes and children; text is always set as text, never parsed as HTML. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The API's answer as JSON; a refusal becomes an Error whose message is what the service said. */
async function api(path, options) {
  const opts = Object.assign({ method: "GET", headers: {} }, options || {});
  opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
  if (opts.method !== "GET" && token()) opts.headers.Authorization = "Bearer " + token();
  const response = await fetch("api/v1/" + path, opts);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const why = body && body.error ? body.error : response.statusText;
    const err = new Error("HTTP " + response.status + ": " + why);
    err.status = response.status;
    throw err;
  }
  return body;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

function say(text, isError) {
  const m = document.getElementById("message");
  m.textContent = text || "";
  m.className = isError ? "error" : "";
}

function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function sev(s) {
  return el("span", { class: "sev-" + s }, s);
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v === null || v === undefined ? "—" : v)]));
}

function table(headers, rows, label) {
  return el("table", { "aria-label": label },
    el("thead", {}, el("tr", {}, headers.map(h => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

function json(value) {
  return value === null || value === undefined ? "—" : el("pre", {}, JSON.stringify(value, null, 1));
}

/** Whether a mutation can be offered at all; the reason shown when it cannot. */
function mutationBlocked() {
  if (!status) return "the service status is unknown";
  if (!status.tokenConfigured) return "read-only: the service has no API token configured (RECONCILER_API_TOKEN), so it refuses every change";
  if (!status.mutationsHere) return "read-only here: changes are served on the management port only (RECONCILER_API_MUTATING_ON=management)";
  return null;
}

/** A mutating control, or, when the console is read-only, none: a note with the reason instead of a dead button. */
function offered(control) {
  const blocked = mutationBlocked();
  return blocked ? el("p", { class: "legend readonly-note" }, blocked) : control;
}

/** The name a person gives in this tab, sent as X-Reconciler-Actor with approvals and suspensions (audited). */
function actorHeaders() {
  const name = (sessionStorage.getItem(ACTOR_KEY) || "").trim();
  return name ? { "X-Reconciler-Actor": name } : {};
}

/** Runs a mutation and shows its answer (or refusal) as text; reloads the page after. */
async function mutate(label, path, render, headers) {
  say(label + "…");
  try {
    const answer = await api(path, { method: "POST", headers: headers || {} });
    say(label + ": " + (render ? render(answer) : "done"));
  } catch (e) {
    say(label + " refused: " + e.message, true);
    return;
  }
  await refreshStatus();
  await route(true);
}

function pager(page, onPage) {
  const from = page.total === 0 ? 0 : page.offset + 1;
  const to = page.offset + (page.findings || page.actions || page.items || []).length;
  return el("div", { class: "pager" },
    el("button", { type: "button", id: "prev", disabled: page.offset === 0, onclick: () => onPage(Math.max(0, page.offset - page.limit)) }, "Previous"),
    el("span", { id: "range" }, from + "–" + to + " of " + page.total),
    el("button", { type: "button", id: "next", disabled: to >= page.total, onclick: () => onPage(page.offset + page.limit) }, "Next"));
}

// ---- status and token ----------------------------------------------------------------------------------------

async function refreshStatus() {
  try {
    status = await api("status");
  } catch (e) {
    status = null;
    say("status: " + e.message, true);
  }
  const ul = document.getElementById("status");
  ul.replaceChildren();
  if (!status) return;
  const chip = (text, cls, id) => el("li", { class: cls, id: id }, text);
  ul.append(
    chip(status.armed ? "armed" : "dry run", status.armed ? "bad" : "good", "chip-armed"),
    chip(status.leader ? "leader" : "not leader", "", "chip-leader"),
    chip("state: " + status.stateMode, status.stateMode === "persisted" ? "" : "bad", "chip-state"),
    chip(status.breakerTripped ? "breaker tripped" : "breaker closed", status.breakerTripped ? "bad" : "good", "chip-breaker"),
    chip(status.latestRun ? "last scan: " + status.latestRun.result + " " + when(status.latestRun.finishedAt) : "no scan yet",
      status.latestRun && status.latestRun.result !== "success" ? "bad" : "", "chip-run"));
  const blocked = mutationBlocked();
  const ro = document.getElementById("readonly");
  ro.hidden = !blocked;
  ro.textContent = blocked || "";
  document.getElementById("token-form").hidden = !!blocked;
  showTokenState();
}

function showTokenState() {
  document.getElementById("token-state").textContent = token() ? "token set for this tab" : "no token in this tab";
}

function setUpToken() {
  document.getElementById("token-form").addEventListener("submit", ev => {
    ev.preventDefault();
    const input = document.getElementById("token");
    if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = "";
    showTokenState();
  });
  document.getElementById("token-forget").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
  });
}

// ---- pages ---------------------------------------------------------------------------------------------------

async function overview() {
  const [runs, report] = await Promise.all([api("runs"), api("report").catch(e => ({ error: e.message }))]);
  const latest = status.latestRun;
  const summary = report.summary || {};
  const bySeverity = summary.bySeverity || {};
  const byKind = Object.entries(summary.byKind || {}).filter(([, n]) => n > 0);
  return [
    el("h2", {}, "Overview"),
    el("div", { class: "grid" },
      el("section", { class: "panel", "aria-labelledby": "h-last" }, el("h3", { id: "h-last" }, "Last scan"),
        facts([["result", latest ? latest.result : "no scan yet"], ["finished", latest ? when(latest.finishedAt) : null],
          ["duration", latest ? latest.durationSeconds.toFixed(2) + " s" : null], ["failing phase", latest ? latest.failedPhase : null],
          ["error", latest ? latest.error : null], ["last success", when(status.lastSuccessAt)], ["scanning now", status.scanning ? "yes" : "no"]])),
      el("section", { class: "panel", "aria-labelledby": "h-svc" }, el("h3", { id: "h-svc" }, "Service"),
        facts([["remediation", status.armed ? "armed (" + (status.kinds.join(", ") || "no kind allowed") + ")" : "dry run"],
          ["leader", status.leader ? "this instance" : (status.leaderHolder || "another instance")],
          ["state", status.stateMode + (status.stateReason ? ": " + status.stateReason : "")],
          ["breaker", status.breakerTripped ? "tripped (" + status.breakerOpenTrips + " open)" : "closed"],
          ["API token", status.tokenConfigured ? "configured" : "not configured (read-only)"],
          ["changes on this port", status.mutationsHere ? "yes" : "no (" + status.mutatingOn + ")"]])),
      el("section", { class: "panel", "aria-labelledby": "h-sev" }, el("h3", { id: "h-sev" }, "Findings by severity"),
        report.error ? el("p", {}, report.error)
          : facts([["critical", sev(String(bySeverity.critical || 0))], ["warning", sev(String(bySeverity.warning || 0))],
            ["info", String(bySeverity.info || 0)], ["total", String(summary.total || 0)]]))),
    el("section", { "aria-labelledby": "h-kind" }, el("h3", { id: "h-kind" }, "Findings by kind"),
      byKind.length === 0 ? el("p", {}, "none")
        : table(["kind", "count"], byKind.map(([k, n]) => el("tr", {}, el("td", { class: "mono" }, el("a", { href: "#findings?kind=" + k }, k)), el("td", {}, String(n)))), "Findings by kind")),
    el("section", { "aria-labelledby": "h-chart" }, el("h3", { id: "h-chart" }, "Recent runs"), runChart(runs.runs))];
}

/** Bars: findings per run (red: failed run); line: duration. Oldest on the left. */
function runChart(runs) {
  const list = runs.slice(0, 30).reverse();
  if (list.length === 0) return el("p", {}, "no run yet");
  const w = 640, h = 160, pad = 30, bw = Math.max(4, Math.floor((w - 2 * pad) / list.length) - 4);
  const maxN = Math.max(1, ...list.map(r => r.findings || 0));
  const maxD = Math.max(0.001, ...list.map(r => r.durationSeconds));
  const chart = svg("svg", { width: w, height: h + 20, viewBox: "0 0 " + w + " " + (h + 20), role: "img", id: "runs-chart",
    "aria-label": list.length + " runs: findings (bars, max " + maxN + ") and duration (line, max " + maxD.toFixed(2) + " s)" });
  const points = [];
  list.forEach((r, i) => {
    const x = pad + i * (bw + 4);
    const bh = Math.round(((r.findings || 0) / maxN) * (h - pad));
    const bar = svg("rect", { class: r.result === "success" ? "bar" : "bar failed", x: x, y: h - bh, width: bw, height: Math.max(bh, 1) });
    bar.append(svg("title", {}, when(r.startedAt) + ": " + r.result + ", " + (r.findings === null ? "no count" : r.findings + " findings") + ", " + r.durationSeconds.toFixed(2) + " s"));
    chart.append(bar);
    points.push((x + bw / 2) + "," + (h - Math.round((r.durationSeconds / maxD) * (h - pad))));
  });
  chart.append(svg("polyline", { class: "duration", points: points.join(" ") }));
  chart.append(svg("text", { x: 2, y: 12 }, maxN + " findings"), svg("text", { x: w - 90, y: 12 }, maxD.toFixed(2) + " s"),
    svg("text", { x: pad, y: h + 15 }, "oldest"), svg("text", { x: w - 60, y: h + 15 }, "newest"));
  return el("div", {}, chart, el("p", { class: "legend" }, "Bars: findings per run (red: failed). Line: scan duration."));
}

const findingsState = { kind: "", severity: "", tenant_id: "", plugin_id: "", q: "", offset: 0, limit: 25 };

async function findings(params) {
  if (params.has("kind")) Object.assign(findingsState, { kind: params.get("kind"), offset: 0 });
  if (!kinds) kinds = (await api("kinds")).kinds;
  const guide = Object.fromEntries(kinds.map(k => [k.kind, k]));
  const page = await api("ledger" + query(findingsState));
  const form = el("form", { class: "filters", id: "filters" },
    el("label", {}, "Kind", el("select", { name: "kind" }, el("option", { value: "" }, "any"), kinds.map(k => el("option", { value: k.kind, selected: findingsState.kind === k.kind }, k.kind)))),
    el("label", {}, "Severity", el("select", { name: "severity" }, ["", "critical", "warning", "info"].map(s => el("option", { value: s, selected: findingsState.severity === s }, s || "any")))),
    el("label", {}, "Tenant id", el("input", { name: "tenant_id", value: findingsState.tenant_id, size: 20 })),
    el("label", {}, "Plugin id", el("input", { name: "plugin_id", value: findingsState.plugin_id, size: 20 })),
    el("label", {}, "Identifier or key contains", el("input", { name: "q", value: findingsState.q, size: 24 })),
    el("label", {}, "Per page", el("select", { name: "limit" }, [10, 25, 50, 100].map(n => el("option", { value: n, selected: findingsState.limit === n }, n)))),
    el("button", { type: "submit" }, "Apply"));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const f = new FormData(form);
    for (const k of ["kind", "severity", "tenant_id", "plugin_id", "q"]) findingsState[k] = String(f.get(k) || "").trim();
    findingsState.limit = Number(f.get("limit"));
    findingsState.offset = 0;
    route(true);
  });
  const rows = page.findings.map(f => {
    const g = guide[f.kind] || {};
    return el("tr", { class: "finding" },
      el("td", {}, sev(f.severity)),
      el("td", { class: "mono kind" }, f.kind),
      el("td", { class: "mono subject" }, f.key || f.id || f.pluginUniqueIdentifier || "—", f.table ? el("div", {}, "table " + f.table) : null),
      el("td", { class: "mono" }, f.pluginId || "—"),
      el("td", { class: "mono" }, f.tenantId || "—"),
      el("td", {}, when(f.firstSeen)),
      el("td", {}, f.consecutiveScans === null ? "—" : String(f.consecutiveScans)),
      el("td", {}, el("details", {}, el("summary", {}, "details"),
        el("p", {}, f.detail || ""),
        el("p", {}, el("strong", {}, "In Dify: "), g.userSees || "—"),
        f.pluginUniqueIdentifier ? el("p", { class: "mono" }, f.pluginUniqueIdentifier) : null,
        f.bytes !== null && f.bytes !== undefined ? el("p", {}, f.bytes + " bytes") : null,
        el("p", {}, "Runbook: ", g.runbookUrl ? el("a", { href: g.runbookUrl, rel: "noreferrer", target: "_blank", class: "runbook" }, g.runbook)
          : el("span", { class: "mono runbook" }, g.runbook || "—")))));
  });
  return [
    el("h2", {}, "Findings"),
    el("p", { class: "legend" }, page.source === "ledger" ? "Every open finding of the ledger (not only the report's list)."
      : "State is in memory: the latest report's list" + (page.findingsTruncated ? " (truncated at the report cap)." : ".")),
    form,
    pager(page, off => { findingsState.offset = off; route(true); }),
    table(["severity", "kind", "row or key", "plugin", "tenant", "first seen", "scans", ""], rows, "Findings")];
}

/** Your name for the audit, kept for this tab like the token (never sent except as X-Reconciler-Actor). */
function actorField() {
  const input = el("input", { id: "actor", type: "text", maxlength: 64, spellcheck: "false", value: sessionStorage.getItem(ACTOR_KEY) || "" });
  input.addEventListener("change", () => sessionStorage.setItem(ACTOR_KEY, input.value.trim()));
  return el("label", {}, "Your name (audited)", input);
}

/** The plan published for approval (reconciler.remediation.approval=required), with its Approve button. */
async function pendingApproval() {
  let p;
  try {
    p = await api("plans/pending");
  } catch (e) {
    if (e.status === 404) return [el("h3", {}, "Approval"), el("p", { id: "approval" }, e.message)];
    throw e;
  }
  const approvable = p.status === "pending";
  return [
    el("h3", {}, "Approval"),
    el("div", { id: "approval" },
      facts([["published plan", p.planId], ["status", p.status], ["published", when(p.createdAt)], ["expires", when(p.expiresAt)],
        ["approved by", p.approvedBy], ["replaced by", p.replacedBy], ["applied", when(p.appliedAt)],
        ["actions", String(((p.plan || {}).actions || []).length)]]),
      approvable ? offered(el("div", { class: "filters" }, actorField(),
        el("button", { type: "button", class: "danger", id: "approve",
          onclick: () => confirm("Approve plan " + p.planId + "? The leader applies it at its next tick, each action re-checked.")
            && mutate("approval of plan " + p.planId, "plans/" + encodeURIComponent(p.planId) + "/approve",
              r => "plan " + r.planId + " is " + r.status + (r.approvedBy ? " (by " + r.approvedBy + ")" : ""), actorHeaders()) }, "Approve this plan")))
        : null)];
}

async function plan() {
  const approval = await pendingApproval();
  let latest;
  try {
    latest = await api("plan");
  } catch (e) {
    if (e.status === 404) return [el("h2", {}, "Plan"), el("p", {}, e.message), approval];
    throw e;
  }
  const p = latest.plan;
  const results = Object.fromEntries((latest.results || []).map(r => [r.actionId, r]));
  return [
    el("h2", {}, "Plan"),
    facts([["plan", p.planId], ["made", when(latest.madeAt)], ["run", p.runId], ["expires", when(p.expiresAt)],
      ["mode", latest.armed ? "armed" : "dry run (what would be done)"], ["leader", latest.leader ? "yes" : "no"],
      ["applied", latest.applied ? "yes" : "no"], ["note", latest.note]]),
    approval,
    el("h3", {}, "Guards"),
    (p.guards || []).length === 0 ? el("p", { id: "guards" }, "No guard stopped this plan.")
      : table(["guard", "detail"], p.guards.map(g => el("tr", {}, el("td", { class: "mono" }, g.guard), el("td", {}, g.detail))), "Guards"),
    el("h3", {}, "Actions (" + p.actions.length + ")"),
    table(["id", "kind", "action", "what it changes", "outcome"], p.actions.map(a => el("tr", { class: "plan-action" },
      el("td", { class: "mono" }, a.id), el("td", { class: "mono" }, a.kind), el("td", { class: "mono" }, a.action),
      el("td", {}, a.detail || "", el("div", { class: "mono" }, [a.table && a.rowId ? a.table + " " + a.rowId : null, a.key, a.targetKey ? "→ " + a.targetKey : null,
        a.observedValue !== null && a.observedValue !== undefined ? a.observedValue + " → " + a.targetValue : null].filter(Boolean).join("  "))),
      el("td", {}, results[a.id] ? results[a.id].outcome + (results[a.id].detail ? ": " + results[a.id].detail : "") : "—"))), "Planned actions"),
    el("h3", {}, "Withheld (" + p.withheldTotal + ")"),
    table(["kind", "reason", "row or key"], p.withheld.map(w => el("tr", { class: "withheld" }, el("td", { class: "mono" }, w.kind),
      el("td", {}, w.reason), el("td", { class: "mono" }, w.key || ((w.table || "") + " " + (w.rowId || ""))))), "Withheld items")];
}

/** An action id's path segments encoded one by one: ids contain a slash (<plan>/<n>). */
function actionPath(id) {
  return "actions/" + id.split("/").map(encodeURIComponent).join("/") + "/restore";
}

const actionsState = { offset: 0, limit: 25 };

async function actions() {
  const page = await api("actions" + query(actionsState));
  const blocked = mutationBlocked();
  // The service says whether a restore of an action would act now (its quarantined items neither restored nor purged).
  const restorable = a => a.restorable === true && !blocked;
  const runs = [...new Set(page.actions.filter(restorable).map(a => a.runId).filter(Boolean))];
  const restored = r => r.restored + " of " + r.total + " restored" + (r.results || []).map(x => "\n" + x.actionId + ": " + x.outcome + (x.detail ? " (" + x.detail + ")" : "")).join("");
  return [
    el("h2", {}, "Actions"),
    el("p", { class: "legend" }, "The audit, newest first. A restore puts the quarantined rows or objects back; it needs the API token."),
    blocked ? el("p", { class: "legend readonly-note" }, blocked) : null,
    runs.length === 0 ? null : el("div", { class: "pager", id: "run-restores" }, "Restore a whole run:", runs.map(r =>
      el("button", { type: "button", class: "danger restore-run", "data-run": r,
        onclick: () => confirm("Restore every action of run " + r + "?") && mutate("restore of run " + r, "restore" + query({ run: r }), restored) }, "Restore run " + r.slice(0, 8)))),
    pager(page, off => { actionsState.offset = off; route(true); }),
    table(["#", "at", "run", "action", "kind", "what", "before → after", "outcome", "cache", ""], page.actions.map(a => el("tr", { class: "action", "data-action": a.actionId },
      el("td", {}, String(a.seq)), el("td", {}, when(a.at)), el("td", { class: "mono" }, (a.runId || "—").slice(0, 8)),
      el("td", { class: "mono" }, a.actionId), el("td", { class: "mono" }, a.kind + " / " + a.action),
      el("td", { class: "mono" }, [a.table && a.rowId ? a.table + " " + a.rowId : null, a.objectKey, a.targetKey ? "→ " + a.targetKey : null].filter(Boolean).join("  ") || "—"),
      el("td", {}, el("details", {}, el("summary", {}, "before/after"), el("div", {}, "before"), json(a.before), el("div", {}, "after"), json(a.after))),
      el("td", {}, a.outcome, a.detail ? el("div", { class: "legend" }, a.detail) : null),
      el("td", {}, a.cache || "—"),
      el("td", {}, restorable(a) ? el("button", { type: "button", class: "danger restore-action", "data-action": a.actionId,
        onclick: () => confirm("Restore action " + a.actionId + "?") && mutate("restore of action " + a.actionId, actionPath(a.actionId), restored) }, "Restore") : null))), "Audit")];
}

const quarantineState = { offset: 0, limit: 25 };

async function quarantine() {
  const page = await api("quarantine" + query(quarantineState));
  return [
    el("h2", {}, "Quarantine"),
    el("p", { class: "legend" }, "Items neither restored nor purged, oldest first. Their content stays in the reconciler's schema."),
    pager(page, off => { quarantineState.offset = off; route(true); }),
    table(["store", "action", "kind of change", "table", "row", "quarantined"], page.items.map(i => el("tr", { class: "quarantined" },
      el("td", {}, i.store), el("td", { class: "mono" }, i.actionId), el("td", { class: "mono" }, i.action), el("td", { class: "mono" }, i.table),
      el("td", { class: "mono" }, i.rowId), el("td", {}, when(i.quarantinedAt)))), "Quarantine")];
}

/** Suspending remediation at run time: nothing is applied or purged until resumed; restores still work. */
async function suspension() {
  const s = await api("remediation/suspension");
  const form = el("form", { id: "suspend-form", class: "filters" }, actorField(),
    el("label", {}, "Reason", el("input", { name: "reason", id: "suspend-reason", type: "text", size: 50, maxlength: 500 })),
    el("button", { type: "submit", class: "danger", id: "suspend" }, "Suspend remediation"));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const reason = document.getElementById("suspend-reason").value.trim();
    if (!reason) { say("a reason is required", true); return; }
    mutate("suspension", "remediation/suspend" + query({ reason: reason }), r => r.suspended ? "remediation suspended" : "not suspended", actorHeaders());
  });
  return [
    el("h3", {}, "Suspension"),
    facts([["remediation", s.suspended ? "suspended: nothing is applied or purged; restores still work" : "not suspended"],
      ["since", when(s.since)], ["by", s.by], ["reason", s.reason], ["kept in", s.storage]]),
    offered(s.suspended
      ? el("button", { type: "button", id: "resume",
          onclick: () => mutate("resume", "remediation/resume", r => r.suspended ? "still suspended" : "remediation resumed", actorHeaders()) }, "Resume remediation")
      : form)];
}

async function breaker() {
  const b = await api("breaker");
  const pause = await suspension();
  const form = el("form", { id: "ack-form", class: "filters" },
    el("label", {}, "Reason (what was checked, why acting is safe again)", el("textarea", { name: "reason", id: "ack-reason", rows: 2, cols: 60, required: true })),
    el("button", { type: "submit", class: "danger", id: "ack" }, "Acknowledge"));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const reason = document.getElementById("ack-reason").value.trim();
    if (!reason) { say("a reason is required", true); return; }
    mutate("breaker acknowledgement", "breaker/ack" + query({ reason: reason }), r => r.acknowledged + " trip(s) acknowledged");
  });
  return [
    el("h2", {}, "Breaker"),
    facts([["status", b.tripped ? "tripped: remediation stopped until acknowledged" : "closed"], ["kept in", b.storage]]),
    el("h3", {}, "Open trips"),
    b.open.length === 0 ? el("p", {}, "none")
      : table(["tripped", "guard", "detail", "plan", "run"], b.open.map(t => el("tr", {}, el("td", {}, when(t.trippedAt)), el("td", { class: "mono" }, t.guard),
        el("td", {}, t.detail), el("td", { class: "mono" }, t.planId || "—"), el("td", { class: "mono" }, t.runId || "—"))), "Open trips"),
    el("h3", {}, "Acknowledge"),
    offered(form),
    pause];
}

const RENDER = { overview, findings, plan, actions, quarantine, breaker };

/** Renders the page the hash names (#findings?kind=x); keeps the message unless asked to refresh after a change. */
async function route(keepMessage) {
  const hash = location.hash.replace(/^#/, "");
  const [name, search] = hash.split("?");
  const pageName = PAGES.includes(name) ? name : "overview";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === "#" + pageName) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (keepMessage !== true) say("");
  const main = document.getElementById("page");
  main.setAttribute("data-page", pageName);
  main.setAttribute("aria-busy", "true");
  try {
    if (!status) await refreshStatus();
    const content = await RENDER[pageName](new URLSearchParams(search || ""));
    main.replaceChildren(...[content].flat(Infinity).filter(Boolean));
  } catch (e) {
    main.replaceChildren(el("h2", {}, pageName), el("p", { class: "error" }, e.message));
  }
  main.removeAttribute("aria-busy");
  document.title = pageName + " · Plugin reconciler";
}

window.addEventListener("hashchange", () => { route(false); document.getElementById("page").focus(); });
window.addEventListener("DOMContentLoaded", () => {
  setUpToken();
  refreshStatus().then(() => route(false));
});
