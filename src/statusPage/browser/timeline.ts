/**
 * The timeline picture of a deployment: `timelineModel` turns a status body (GET
 * /api/deployments/{id}) into rows on one time axis — pure, no DOM, unit-tested in Node — and
 * `drawTimeline` draws it as SVG. Browser JavaScript.
 *
 * Rows: one per stage record of custom status `stages[]` (the notification's once the run ended), in
 * the order they started, from `startedAt` to `endedAt` (a running one to the latest orchestration
 * time the status tells, `updatedAt`: the app's clock, not the browser's). What a running stage waits
 * for is drawn dashed after it: the propagation wait until `propagationDeadline` (it starts at the
 * grant, so it overlaps the model and deployment rows), an approval until `approval.expiresAt`. A
 * canary step's or a mirror's bake (`canary.bakeUntil`, `mirror.bakeUntil`) is a row of its own from
 * the end of the traffic move before it. Markers: the propagation deadline, the change window's
 * opening (`windowOpensAt`) and, while running, the last update.
 */
export const BROWSER_TIMELINE = String.raw`
var TICK_STEPS_S = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

function timelineModel(body) {
  var status = (body && body.customStatus) || {};
  var output = (body && body.output) || {};
  var records = Array.isArray(status.stages) ? status.stages : Array.isArray(output.stages) ? output.stages : [];
  var running = body.outcome === "Running";
  var seen = Math.max(toMs(status.updatedAt) || 0, toMs(body.lastUpdatedTime) || 0, toMs(body.createdTime) || 0);
  var deadline = toMs(status.propagationDeadline);
  var rows = [];
  var markers = [];
  var lastTrafficEnd = null;

  records.forEach(function (r) {
    var start = toMs(r.startedAt);
    if (start === null) return;
    var ended = toMs(r.endedAt);
    var row = {
      kind: "stage",
      name: String(r.name),
      note: typeof r.note === "string" ? r.note : "",
      outcome: String(r.outcome),
      start: start,
      end: ended !== null ? ended : Math.max(seen, start),
      open: ended === null,
      until: null,
      untilText: "",
    };
    if (row.open && row.name === "propagation" && deadline !== null && deadline > row.end) {
      row.until = deadline;
      row.untilText = "roles usable at " + clockText(deadline);
    }
    var expires = status.approval ? toMs(status.approval.expiresAt) : null;
    if (row.open && row.name === "approval" && expires !== null && expires > row.end) {
      row.until = expires;
      row.untilText = "answer by " + clockText(expires);
    }
    if (row.name === "traffic" && ended !== null) lastTrafficEnd = ended;
    rows.push(row);
  });

  function bake(name, note, bakeUntil) {
    var until = toMs(bakeUntil);
    if (!running || until === null) return;
    var start = lastTrafficEnd !== null ? lastTrafficEnd : seen;
    var end = Math.max(seen, start);
    rows.push({ kind: "bake", name: name, note: note, outcome: "Running", start: start, end: end, open: true, until: until > end ? until : null, untilText: "judged after " + clockText(until) });
  }
  if (status.mirror) bake("bake", "mirror " + status.mirror.percent + "% (copies only)", status.mirror.bakeUntil);
  if (status.canary) bake("bake", "step " + status.canary.step + " of " + status.canary.of + ": " + status.canary.percent + "% live", status.canary.bakeUntil);

  // Roles an earlier run granted have a deadline before this run began (a stage note says so): no marker far off the axis.
  var firstStart = rows.length ? Math.min.apply(null, rows.map(function (r) { return r.start; })) : null;
  if (deadline !== null && (firstStart === null || deadline >= firstStart)) markers.push({ kind: "deadline", at: deadline, text: "roles usable" });
  var windowOpens = toMs(status.windowOpensAt);
  if (running && windowOpens !== null) markers.push({ kind: "window", at: windowOpens, text: "window opens" });
  if (running) markers.push({ kind: "now", at: seen, text: "last update" });

  var times = [];
  rows.forEach(function (r) {
    times.push(r.start, r.end);
    if (r.until !== null) times.push(r.until);
  });
  markers.forEach(function (m) {
    times.push(m.at);
  });
  if (times.length === 0) times.push(toMs(body.createdTime) || seen);
  var from = Math.min.apply(null, times);
  var to = Math.max.apply(null, times);
  if (to - from < 60000) to = from + 60000;
  return { from: from, to: to, rows: rows, markers: markers, ticks: axisTicks(from, to) };
}

// At most 8 ticks, on round UTC multiples of the step.
function axisTicks(from, to) {
  var step = 86400000;
  for (var i = 0; i < TICK_STEPS_S.length; i++) {
    if ((to - from) / (TICK_STEPS_S[i] * 1000) <= 8) {
      step = TICK_STEPS_S[i] * 1000;
      break;
    }
  }
  var ticks = [];
  for (var t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return { step: step, at: ticks };
}

function rowLabel(row) {
  return row.note ? row.name + " (" + row.note + ")" : row.name;
}

function rowDescription(row) {
  var text = rowLabel(row) + ": " + (row.open ? "running since " + clockText(row.start) : row.outcome + ", " + clockText(row.start) + " to " + clockText(row.end) + " (" + durationText(row.end - row.start) + ")");
  return row.untilText ? text + "; " + row.untilText : text;
}

function shorten(text, max) {
  return text.length > max ? text.slice(0, max - 1) + "\u2026" : text;
}

var TL = { width: 760, label: 200, right: 14, top: 34, row: 26, bar: 14, axis: 26 };

function drawTimeline(model, titleText) {
  var plot = TL.width - TL.label - TL.right;
  var height = TL.top + model.rows.length * TL.row + TL.axis;
  var bottom = height - TL.axis;
  function x(t) {
    return TL.label + ((t - model.from) / (model.to - model.from)) * plot;
  }
  var root = svgEl("svg", { viewBox: "0 0 " + TL.width + " " + height, class: "timeline", role: "img", "aria-labelledby": "tl-title tl-desc", "data-rows": model.rows.length });
  var desc = model.rows.length + " rows from " + clockText(model.from) + " to " + clockText(model.to) + " UTC. " + model.rows.map(rowDescription).join(". ");
  root.append(svgEl("title", { id: "tl-title" }, titleText), svgEl("desc", { id: "tl-desc" }, desc));

  var seconds = model.ticks.step < 60000;
  model.ticks.at.forEach(function (t) {
    root.append(
      svgEl("line", { class: "grid", x1: x(t), x2: x(t), y1: TL.top - 4, y2: bottom }),
      svgEl("text", { class: "tick", x: x(t), y: height - 8, "text-anchor": "middle" }, seconds ? clockText(t) : clockText(t).slice(0, 5)),
    );
  });
  root.append(svgEl("line", { class: "axis", x1: TL.label, x2: TL.width - TL.right, y1: bottom, y2: bottom }));

  model.rows.forEach(function (row, i) {
    var y = TL.top + i * TL.row;
    var barY = y + (TL.row - TL.bar) / 2;
    var x0 = x(row.start);
    var x1 = Math.max(x(row.end), x0 + 2);
    var group = svgEl("g", { class: "row", "data-kind": row.kind, "data-stage": row.name });
    group.append(svgEl("text", { class: "label", x: TL.label - 8, y: y + TL.row / 2 + 4, "text-anchor": "end" }, [shorten(rowLabel(row), 30), svgEl("title", null, rowLabel(row))]));
    group.append(
      svgEl(
        "rect",
        { class: "bar o-" + row.outcome.toLowerCase() + (row.open ? " open" : ""), x: x0, y: barY, width: x1 - x0, height: TL.bar, rx: 2, "data-stage": row.name, "data-outcome": row.outcome },
        svgEl("title", null, rowDescription(row)),
      ),
    );
    if (row.until !== null) {
      group.append(svgEl("rect", { class: "pending", x: x1, y: barY, width: Math.max(1, x(row.until) - x1), height: TL.bar, rx: 2 }, svgEl("title", null, row.untilText)));
    }
    root.append(group);
  });

  model.markers.forEach(function (m, i) {
    var mx = x(m.at);
    var anchor = mx > TL.width - 90 ? "end" : mx < TL.label + 60 ? "start" : "middle";
    root.append(
      svgEl("line", { class: "marker m-" + m.kind, x1: mx, x2: mx, y1: TL.top - 6, y2: bottom }),
      svgEl("text", { class: "marker-label m-" + m.kind, x: mx, y: 12 + (i % 2) * 12, "text-anchor": anchor }, m.text + " " + clockText(m.at)),
    );
  });
  return root;
}
`;
