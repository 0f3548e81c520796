/**
 * The list of deployments: GET /api/deployments with the filters the route takes (outcome, endpoint,
 * workspace), newest first as the route answers, a page at a time ("Show older" follows its
 * continuationToken). Refreshed every 2 s while a deployment shown runs, every 10 s otherwise.
 * Browser JavaScript.
 */
export const BROWSER_LIST_VIEW = String.raw`
var LIST_PAGE = 25;
var FILTERS = ["outcome", "endpoint", "workspace"];
var list = { rows: [], token: null, filters: {} };

function listPath(extra) {
  var q = new URLSearchParams();
  FILTERS.forEach(function (name) {
    if (list.filters[name]) q.set(name, list.filters[name]);
  });
  Object.keys(extra).forEach(function (name) {
    q.set(name, extra[name]);
  });
  return "deployments?" + q.toString();
}

function showList(gen, query) {
  list.filters = {};
  FILTERS.forEach(function (name) {
    var value = (query.get(name) || "").trim();
    list.filters[name] = value;
    byId("filter-" + name).value = value;
  });
  list.rows = [];
  list.token = null;
  byId("list-body").replaceChildren();
  setText(byId("list-summary"), "Loading deployments\u2026");
  loadList(gen, false);
}

async function loadList(gen, older) {
  var top = older ? LIST_PAGE : Math.min(100, Math.max(LIST_PAGE, list.rows.length));
  var answer = await safely(function () {
    return apiGet(listPath(older ? { top: top, continuationToken: list.token } : { top: top }));
  });
  if (gen !== routeGen) return;
  var problem = byId("list-problem");
  if (!answer.ok) {
    setText(problem, "Could not list deployments: " + problemText(answer));
    problem.hidden = false;
    if (answer.status === 0 || answer.status >= 500) later(gen, function () { loadList(gen, false); }, 10000);
    return;
  }
  problem.hidden = true;
  var page = answer.body.deployments || [];
  list.rows = older ? list.rows.concat(page) : page;
  list.token = answer.body.continuationToken || null;
  renderList();
  var running = list.rows.some(function (d) {
    return d.outcome === "Running";
  });
  later(gen, function () { loadList(gen, false); }, running ? 2000 : 10000);
}

function renderList() {
  var body = byId("list-body");
  if (list.rows.length === 0) {
    body.replaceChildren(el("tr", null, el("td", { colspan: 6 }, "No deployments match.")));
  } else {
    body.replaceChildren.apply(body, list.rows.map(listRow));
  }
  var running = list.rows.filter(function (d) {
    return d.outcome === "Running";
  }).length;
  var filtered = FILTERS.filter(function (name) {
    return list.filters[name];
  }).map(function (name) {
    return name + " " + list.filters[name];
  });
  var summary = list.rows.length + (list.rows.length === 1 ? " deployment" : " deployments") + (filtered.length ? " with " + filtered.join(", ") : "") + ", " + running + " running.";
  setText(byId("list-summary"), summary + (running ? " Updating every 2 s." : ""));
  byId("list-more").hidden = !list.token;
}

function listRow(d) {
  var created = toMs(d.createdTime);
  var target = (d.endpoint || "?") + "/" + (d.deployment || "?");
  return el("tr", { "data-instance": d.instanceId, "data-outcome": d.outcome }, [
    el("td", { class: "nowrap" }, created === null ? "" : timeEl(created)),
    el("td", null, outcomeBadge(d.outcome)),
    el("td", null, d.stage || "\u2014"),
    el("th", { scope: "row" }, el("a", { href: "#/deployments/" + encodeURIComponent(d.instanceId) }, target)),
    el("td", { class: "nowrap" }, d.workspace || "\u2014"),
    el("td", { class: "request" }, d.requestId || d.instanceId),
  ]);
}

function wireList() {
  byId("filters").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = new URLSearchParams();
    FILTERS.forEach(function (name) {
      var value = byId("filter-" + name).value.trim();
      if (value) q.set(name, value);
    });
    navigate("#/" + (q.toString() ? "?" + q.toString() : ""));
  });
  byId("filters-clear").addEventListener("click", function () {
    navigate("#/");
  });
  byId("list-more").addEventListener("click", function () {
    loadList(routeGen, true);
  });
}
`;
