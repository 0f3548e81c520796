/**
 * Which view the address shows, and the one timer behind live updates. The view is in the fragment
 * (`#/?outcome=Failed`, `#/deployments/<instanceId>`, `#/backlog`), so moving between views never reloads the page
 * and the address keeps the query string it was opened with (on Azure, `?code=`) without the page
 * writing it anywhere: a link is only ever a fragment. Browser JavaScript.
 */
export const BROWSER_ROUTER = String.raw`
// Each route change starts a new generation; answers and timers of an older one are dropped.
var routeGen = 0;
var pollTimer = null;
var shownView = null;

// Runs fn after delay unless the view changed meanwhile; while the tab is hidden it waits, then runs.
function later(gen, fn, delay) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(function () {
    if (gen !== routeGen) return;
    if (document.hidden) return later(gen, fn, delay);
    fn();
  }, delay);
}

function navigate(hash) {
  if (window.location.hash === hash || (hash === "#/" && window.location.hash === "")) route(true);
  else window.location.hash = hash;
}

function route(moved) {
  routeGen += 1;
  clearTimeout(pollTimer);
  var gen = routeGen;
  var hash = window.location.hash.replace(/^#/, "");
  var match = /^\/deployments\/([^/?#]+)$/.exec(hash);
  var id = null;
  if (match) {
    try {
      id = decodeURIComponent(match[1]);
    } catch (e) {
      id = match[1];
    }
  }
  var backlog = id === null && /^\/backlog\/?$/.test(hash);
  byId("list-view").hidden = id !== null || backlog;
  byId("backlog-view").hidden = !backlog;
  byId("deployment-view").hidden = id === null;
  if (id !== null) {
    showDeployment(gen, id);
  } else if (backlog) {
    showBacklog(gen);
    document.title = "Migration backlog \u2014 flowdeploy";
  } else {
    var at = hash.indexOf("?");
    showList(gen, new URLSearchParams(at >= 0 ? hash.slice(at + 1) : ""));
    document.title = "Deployments \u2014 flowdeploy";
  }
  // Moving to the other view puts focus on its heading, so keyboard and screen reader users start
  // there; a new filter keeps the focus where it is.
  var view = id !== null ? "deployment" : backlog ? "backlog" : "list";
  if (moved && view !== shownView) byId(view === "deployment" ? "d-title" : view === "backlog" ? "backlog-title" : "list-title").focus();
  shownView = view;
}

function start() {
  wireList();
  wireDeployment();
  wireBacklog();
  window.addEventListener("hashchange", function () {
    route(true);
  });
  route(false);
}
`;
