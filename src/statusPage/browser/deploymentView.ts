/**
 * One deployment: GET /api/deployments/{id} every 2 s while it runs (stopped once it has an
 * outcome), drawn as a summary, the error with its stage and code, the timeline, the rollout's state
 * (approval, canary, mirror, change window, last analysis), the traffic split, and the buttons that
 * apply: approve and reject only while it waits at its approval stage, cancel only while a cancel is
 * still honoured (running, no live traffic moved). Browser JavaScript.
 */
export const BROWSER_DEPLOYMENT_VIEW = String.raw`
var POLL_MS = 2000;
var current = { id: null, body: null };

// Stages from which the cancel route answers 409 (src/intake/cancel.ts): traffic is moving or has moved.
var PAST_CANCEL = ["traffic", "notify", "done"];

function showDeployment(gen, id) {
  current = { id: id, body: null };
  setText(byId("d-title"), id);
  setText(byId("d-live"), "Loading\u2026");
  setText(byId("act-result"), "");
  byId("act-reason").value = "";
  ["d-summary", "d-timeline", "d-stages-body", "d-rollout-list", "d-traffic-body", "d-warnings-list"].forEach(function (name) {
    byId(name).replaceChildren();
  });
  ["d-actions", "d-error", "d-rollout", "d-traffic", "d-warnings", "d-stages-wrap"].forEach(function (name) {
    byId(name).hidden = true;
  });
  loadDeployment(gen);
}

async function loadDeployment(gen) {
  var id = current.id;
  var answer = await safely(function () {
    return apiGet("deployments/" + encodeURIComponent(id));
  });
  if (gen !== routeGen) return;
  var view = byId("deployment-view");
  if (answer.status === 404 || answer.status === 400) {
    view.setAttribute("data-live", "off");
    setText(byId("d-live"), "No deployment " + id + ": " + problemText(answer));
    return;
  }
  if (!answer.ok) {
    setText(byId("d-live"), "Could not read the deployment: " + problemText(answer) + ". Trying again in 5 s.");
    later(gen, function () { loadDeployment(gen); }, 5000);
    return;
  }
  current.body = answer.body;
  renderDeployment(answer.body);
  if (answer.body.outcome === "Running") {
    view.setAttribute("data-live", "on");
    later(gen, function () { loadDeployment(gen); }, POLL_MS);
  } else {
    view.setAttribute("data-live", "off");
  }
}

function renderDeployment(d) {
  var status = d.customStatus || {};
  var output = d.output || {};
  var name = (d.endpoint || "?") + "/" + (d.deployment || status.deployment || "?");
  setText(byId("d-title"), name);
  document.title = name + " \u2014 " + (d.outcome || d.runtimeStatus) + " \u2014 flowdeploy";
  var outcome = byId("d-outcome");
  outcome.replaceChildren(outcomeBadge(d.outcome || String(d.runtimeStatus)));
  var running = d.outcome === "Running";
  setText(byId("d-live"), running ? "Running, at stage " + (status.stage || "queued") + ". This page updates every 2 s." : "Finished: " + (d.outcome || d.runtimeStatus) + ". Live updates stopped.");
  renderSummary(d, status, output);
  renderActions(d, status);
  renderError(d, output);
  renderTimeline(d, name);
  renderRollout(status);
  renderTraffic(d, status, output);
  renderWarnings(status, output);
}

function term(list, label, value) {
  if (value === null || value === undefined || value === "") return;
  list.append(el("dt", null, label), el("dd", null, value));
}

function renderSummary(d, status, output) {
  var list = byId("d-summary");
  list.replaceChildren();
  term(list, "Outcome", d.outcome ? d.outcome + " (runtime status " + d.runtimeStatus + ")" : String(d.runtimeStatus));
  term(list, "Stage", status.stage);
  term(list, "Endpoint", d.endpoint);
  term(list, "Deployment", (d.deployment || status.deployment || "") + (status.deploymentChoice ? " \u2014 " + status.deploymentChoice : ""));
  term(list, "Workspace", d.workspace || (output.workspace && output.workspace.name));
  term(list, "Request id", d.requestId);
  term(list, "Instance id", d.instanceId);
  var created = toMs(d.createdTime);
  if (created !== null) term(list, "Created", timeEl(created));
  var deadline = toMs(status.propagationDeadline);
  if (deadline !== null) {
    var seen = Math.max(toMs(status.updatedAt) || 0, toMs(d.lastUpdatedTime) || 0);
    var left = d.outcome === "Running" && deadline > seen ? " (" + durationText(deadline - seen) + " after the last update)" : "";
    term(list, "Roles usable from", el("span", null, [timeEl(deadline), left]));
  }
  if (status.notification) term(list, "Notification", status.notification === "sent" ? "sent" : "could not be sent (the outcome stays here)");
}

function renderActions(d, status) {
  var running = d.outcome === "Running";
  var waiting = running && status.stage === "approval" && !(status.approval && status.approval.decision);
  var liveMoved = (status.stages || []).some(function (s) {
    return s.name === "traffic" && !(typeof s.note === "string" && s.note.indexOf("mirror") === 0);
  });
  // The run publishes whether it still honours a cancel (custom status "cancellable"); older statuses: by stage.
  var cancellable = running && (typeof status.cancellable === "boolean" ? status.cancellable : PAST_CANCEL.indexOf(status.stage || "queued") < 0 && !liveMoved);
  byId("act-approve").hidden = !waiting;
  byId("act-reject").hidden = !waiting;
  byId("act-cancel").hidden = !cancellable;
  byId("d-actions").hidden = !(waiting || cancellable);
}

function renderError(d, output) {
  var box = byId("d-error");
  var error = output.error;
  var heading = byId("d-error-title");
  var detail = byId("d-error-detail");
  if (error && typeof error === "object") {
    setText(heading, d.outcome === "Cancelled" ? "Cancelled" : "Failed");
    detail.replaceChildren(
      el("p", null, ["Stage ", el("strong", { "data-field": "stage" }, String(error.stage)), ", code ", el("code", { "data-field": "code" }, String(error.code))]),
      el("p", { "data-field": "message" }, String(error.message || "")),
    );
    box.hidden = false;
  } else if (d.runtimeStatus === "Failed" || d.runtimeStatus === "Terminated") {
    setText(heading, d.runtimeStatus);
    detail.replaceChildren(el("p", null, "The orchestration is " + d.runtimeStatus + " and sent no notification; if it held its endpoint's lock, release-lock frees it (docs/pipeline.md)."));
    box.hidden = false;
  } else {
    box.hidden = true;
  }
}

function renderTimeline(d, name) {
  var model = timelineModel(d);
  var holder = byId("d-timeline");
  if (model.rows.length === 0) {
    var queued = (d.customStatus || {}).stage === "queued";
    holder.replaceChildren(el("p", null, d.outcome !== "Running" ? "No stage was recorded." : queued ? "No stage has started yet: it waits for another deployment to the same endpoint." : "No stage has started yet."));
    byId("d-stages-wrap").hidden = true;
    return;
  }
  holder.replaceChildren(drawTimeline(model, "Timeline of " + name + " (UTC)"));
  var rows = model.rows.map(function (row) {
    return el("tr", { "data-kind": row.kind }, [
      el("th", { scope: "row" }, row.name),
      el("td", null, row.note || "\u2014"),
      el("td", null, outcomeBadge(row.outcome)),
      el("td", null, timeEl(row.start, clockText(row.start))),
      el("td", null, row.open ? (row.untilText || "running") : timeEl(row.end, clockText(row.end))),
      el("td", null, row.open ? "\u2014" : durationText(row.end - row.start)),
    ]);
  });
  var body = byId("d-stages-body");
  body.replaceChildren.apply(body, rows);
  byId("d-stages-wrap").hidden = false;
}

function renderRollout(status) {
  var list = byId("d-rollout-list");
  list.replaceChildren();
  var a = status.approval;
  if (a) {
    var asked = "asked at " + clockText(toMs(a.requestedAt) || 0) + ", until " + clockText(toMs(a.expiresAt) || 0) + (Array.isArray(a.approvers) && a.approvers.length ? " (approvers: " + a.approvers.join(", ") + ")" : "");
    term(list, "Approval", a.decision ? a.decision + " by " + (a.by || "?") + (a.reason ? ": " + a.reason : "") + "; " + asked : "waiting, " + asked);
  }
  if (status.canary) {
    var c = status.canary;
    term(list, "Canary", "step " + c.step + " of " + c.of + ": " + c.percent + "% live" + (c.bakeUntil ? ", baking until " + clockText(toMs(c.bakeUntil) || 0) : ""));
  }
  if (status.mirror) {
    var m = status.mirror;
    term(list, "Mirror", m.percent + "% of live calls copied" + (m.bakeUntil ? ", baking until " + clockText(toMs(m.bakeUntil) || 0) : ""));
  }
  if (status.windowOpensAt) term(list, "Change window", "live traffic waits until " + dateTimeText(toMs(status.windowOpensAt) || 0));
  var v = status.lastAnalysis;
  if (v) {
    var figures = v.verdict + ": " + v.requests + " requests, " + v.errors + " errors (" + (v.errorRatePercent === null ? "-" : v.errorRatePercent) + "%), p95 " + (v.p95LatencyMs === null ? "-" : v.p95LatencyMs) + " ms";
    term(list, "Last analysis", figures + (Array.isArray(v.reasons) && v.reasons.length ? " \u2014 " + v.reasons.join("; ") : ""));
  }
  byId("d-rollout").hidden = list.childElementCount === 0;
}

function trafficRows(split, when) {
  return Object.keys(split).sort().map(function (name) {
    var percent = Number(split[name]);
    return el("tr", { "data-when": when, "data-deployment": name }, [
      el("td", null, when),
      el("th", { scope: "row" }, name),
      el("td", null, [el("meter", { min: 0, max: 100, value: percent, "aria-label": name + " " + when }), " " + percent + "%"]),
    ]);
  });
}

function renderTraffic(d, status, output) {
  var body = byId("d-traffic-body");
  // Before: the live split the rollout started from, read at the endpoint stage (custom status trafficBefore); after: the
  // endpoint's split as the notification read it when the run ended.
  var before = status.trafficBefore && typeof status.trafficBefore === "object" ? trafficRows(status.trafficBefore, "before") : [];
  var rows = before.concat(output.traffic && typeof output.traffic === "object" ? trafficRows(output.traffic, "after") : []);
  body.replaceChildren.apply(body, rows);
  var note = byId("d-traffic-note");
  if (d.outcome === "Running") {
    var c = status.canary;
    setText(note, c ? "Now: step " + c.step + " of " + c.of + ", " + c.percent + "% live to the new deployment. The split after the run is shown when it ends." : "The endpoint's split after the run is shown when it ends.");
  } else {
    setText(note, output.traffic ? "Before: the live split the rollout started from. After: the endpoint's split as read when the run ended." : "");
  }
  byId("d-traffic-table").hidden = rows.length === 0;
  byId("d-traffic").hidden = rows.length === 0 && !note.textContent;
}

function renderWarnings(status, output) {
  var warnings = Array.isArray(output.warnings) ? output.warnings : Array.isArray(status.warnings) ? status.warnings : [];
  var list = byId("d-warnings-list");
  list.replaceChildren.apply(list, warnings.map(function (w) {
    return el("li", null, String(w));
  }));
  byId("d-warnings").hidden = warnings.length === 0;
}

var ACTIONS = {
  approve: { ask: "Approve this deployment? It goes on to move live traffic.", done: function (b) { return "Approved by " + b.by + ": the deployment goes on to move traffic."; } },
  reject: { ask: "Reject this deployment? It ends Failed; live traffic is not touched.", done: function (b) { return "Rejected by " + b.by + ": the deployment ends Failed."; } },
  cancel: { ask: "Cancel this deployment? It cleans up and ends Cancelled; live traffic is not touched.", done: function (b) { return "Cancel requested" + (b.stage ? " at stage " + b.stage : "") + ": the deployment cleans up and ends Cancelled."; } },
};

async function act(verb) {
  var id = current.id;
  var gen = routeGen;
  var reason = byId("act-reason").value.trim();
  var result = byId("act-result");
  if (verb === "reject" && !reason) {
    setText(result, "A reason is needed to reject: it becomes the message of the Failed notification.");
    byId("act-reason").focus();
    return;
  }
  if (!window.confirm(ACTIONS[verb].ask)) return;
  var buttons = byId("d-actions").querySelectorAll("button");
  buttons.forEach(function (b) { b.disabled = true; });
  setText(result, "Sending\u2026");
  var answer = await safely(function () {
    return apiPost("deployments/" + encodeURIComponent(id) + "/" + verb, reason ? { reason: reason } : {});
  });
  buttons.forEach(function (b) { b.disabled = false; });
  if (gen !== routeGen) return;
  setText(result, answer.status === 202 ? ACTIONS[verb].done(answer.body || {}) : "Not done: " + problemText(answer));
  if (answer.status === 202) byId("act-reason").value = "";
  loadDeployment(gen);
}

function wireDeployment() {
  Object.keys(ACTIONS).forEach(function (verb) {
    byId("act-" + verb).addEventListener("click", function () {
      act(verb);
    });
  });
}
`;
