/**
 * The migration backlog (`#/backlog`): GET /api/inventory, the deployments of the app's allowed
 * workspaces that still run the prompt flow runtime, most traffic first as the route answers them,
 * with the days left until prompt flow is retired. Read once per visit (each read lists every
 * endpoint of every workspace in Azure); "Read again" reads anew. Browser JavaScript.
 */
export const BROWSER_BACKLOG_VIEW = String.raw`
function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many || one + "s");
}

// What a row shows, cell by cell, as text (the table and the unit test use the same).
function backlogCells(r) {
  return {
    workspace: r.workspace && r.workspace.name ? r.workspace.name : "?",
    target: r.endpoint + "/" + r.deployment,
    traffic: r.trafficPercent + "%" + (r.mirrorPercent > 0 ? " (mirror " + r.mirrorPercent + "%)" : ""),
    instances: (r.instanceCount === null || r.instanceCount === undefined ? "?" : r.instanceCount) + " \u00d7 " + (r.instanceType || "?"),
    image: r.image || "unknown",
    evidence: (r.evidence || []).join("; "),
    supportEnds: r.supportEnds,
    daysLeft: String(r.daysLeft),
  };
}

// The sentence above the table.
function backlogSummary(body) {
  var rows = body.rows || [];
  var s = body.summary || { promptFlow: 0, agent: 0, other: 0, workspaces: 0 };
  var spanned = {};
  rows.forEach(function (r) {
    spanned[String(r.workspace && r.workspace.id).toLowerCase()] = true;
  });
  var n = Object.keys(spanned).length;
  var found = rows.length === 0
    ? "No prompt flow deployment remains in the " + plural(s.workspaces, "workspace") + " read."
    : plural(rows.length, "prompt flow deployment") + (rows.length === 1 ? " remains" : " remain") + " in " + plural(n, "workspace") + (s.workspaces !== n ? " (of " + s.workspaces + " read)" : "") + ".";
  return found + " Also read: " + plural(s.agent, "agent deployment") + ", " + plural(s.other, "other deployment") + ".";
}

function showBacklog(gen) {
  byId("backlog-body").replaceChildren();
  byId("backlog-errors").replaceChildren();
  byId("backlog-errors-wrap").hidden = true;
  setText(byId("backlog-summary"), "Reading the workspaces\u2026");
  loadBacklog(gen);
}

async function loadBacklog(gen) {
  var answer = await safely(function () {
    return apiGet("inventory");
  });
  if (gen !== routeGen) return;
  var problem = byId("backlog-problem");
  if (!answer.ok) {
    setText(problem, "Could not read the backlog: " + problemText(answer));
    problem.hidden = false;
    setText(byId("backlog-summary"), "");
    return;
  }
  problem.hidden = true;
  renderBacklog(answer.body);
}

function renderBacklog(body) {
  var rows = body.rows || [];
  var tbody = byId("backlog-body");
  if (rows.length === 0) {
    tbody.replaceChildren(el("tr", null, el("td", { colspan: 8 }, "No deployment runs prompt flow.")));
  } else {
    tbody.replaceChildren.apply(tbody, rows.map(backlogRow));
  }
  var at = toMs(body.generatedAt);
  setText(byId("backlog-summary"), backlogSummary(body) + (at === null ? "" : " Read " + dateTimeText(at) + "."));
  var errors = body.errors || [];
  byId("backlog-errors").replaceChildren.apply(byId("backlog-errors"), errors.map(function (e) {
    return el("li", null, [el("span", { class: "request" }, e.workspace && e.workspace.id ? e.workspace.id : "?"), (e.endpoint ? " endpoint " + e.endpoint : "") + ": " + e.code + ": " + e.message]);
  }));
  byId("backlog-errors-wrap").hidden = errors.length === 0;
}

function backlogRow(r) {
  var c = backlogCells(r);
  return el("tr", { "data-target": c.target, "data-traffic": r.trafficPercent }, [
    el("td", { class: "nowrap" }, c.workspace),
    el("th", { scope: "row" }, c.target),
    el("td", { class: "nowrap" }, c.traffic),
    el("td", { class: "nowrap" }, c.instances),
    el("td", { class: "request" }, c.image),
    el("td", null, c.evidence),
    el("td", { class: "nowrap" }, el("time", { datetime: c.supportEnds }, c.supportEnds)),
    el("td", null, c.daysLeft),
  ]);
}

function wireBacklog() {
  byId("backlog-reload").addEventListener("click", function () {
    showBacklog(routeGen);
  });
}
`;
