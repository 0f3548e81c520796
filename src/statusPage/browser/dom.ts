/**
 * Building the page from data without parsing markup: elements and SVG elements made with their
 * attributes, text as text nodes (so any string from a route is shown, never interpreted), and the
 * time formats the page uses (UTC, as the CLI prints orchestration time). Browser JavaScript.
 */
export const BROWSER_DOM = String.raw`
var SVG_NS = "http://www.w3.org/2000/svg";

function el(tag, attrs, children) {
  return fill(document.createElement(tag), attrs, children);
}

function svgEl(tag, attrs, children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(node, attrs, children) {
  if (attrs) {
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      node.setAttribute(name, value === true ? "" : String(value));
    });
  }
  [].concat(children === undefined ? [] : children).forEach(function (child) {
    if (child === undefined || child === null || child === false) return;
    node.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  });
  return node;
}

function byId(id) {
  return document.getElementById(id);
}

// Sets a text only when it changed: a live region re-announces every assignment.
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function toMs(iso) {
  if (typeof iso !== "string") return null;
  var t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function pad2(n) {
  return (n < 10 ? "0" : "") + n;
}

// 10:17:30 (UTC)
function clockText(t) {
  return new Date(t).toISOString().slice(11, 19);
}

// 2026-11-23 10:17:30 UTC
function dateTimeText(t) {
  return new Date(t).toISOString().slice(0, 19).replace("T", " ") + " UTC";
}

// 16m00s, 1h05m, 30s: as flowdeploy local prints stage durations.
function durationText(ms) {
  var s = Math.max(0, Math.round(ms / 1000));
  var h = Math.floor(s / 3600);
  var m = Math.floor((s % 3600) / 60);
  var sec = s % 60;
  if (h > 0) return h + "h" + pad2(m) + "m";
  if (m > 0) return m + "m" + pad2(sec) + "s";
  return sec + "s";
}

function timeEl(t, text) {
  return el("time", { datetime: new Date(t).toISOString() }, text === undefined ? dateTimeText(t) : text);
}

function outcomeBadge(outcome) {
  var known = ["Running", "Succeeded", "Failed", "Cancelled", "Terminated", "Skipped"].indexOf(outcome) >= 0;
  return el("span", { class: "badge " + (known ? "o-" + outcome.toLowerCase() : "o-unknown") }, outcome || "unknown");
}
`;
