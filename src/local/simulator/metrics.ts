import { randomUUID } from "node:crypto";
import { resourceNotFound } from "./armErrors";
import { json, type SimResponse } from "./httpResponse";
import { resourceKey, type WorkspaceRef } from "./ids";
import type { RequestContext } from "./requestContext";
import { findDeployment, findEndpoint } from "./resourceLookup";
import { minuteStart, scoringMinutesOf, type ScoringMinute } from "./scoringTelemetry";
import { serveSyntheticLoad } from "./syntheticLoad";

/**
 * Azure Monitor's Metrics – List for online endpoints and deployments, as ARM serves it:
 * `GET {resourceUri}/providers/Microsoft.Insights/metrics?api-version=…&timespan=&interval=&metricnames=
 * &aggregation=&$filter=&top=&orderby=&resultType=&metricnamespace=` (azure-rest-api-specs
 * specification/monitor/resource-manager/Microsoft.Insights/stable/2018-01-01/metrics_API.json, the
 * version @azure/arm-monitor 7 sends; the same query at 2023-10-01 and 2024-02-01).
 *
 * The values are computed from the scoring calls the simulator really answered (`scoringTelemetry.ts`,
 * plus scenario `load`, served first: `syntheticLoad.ts`), per minute:
 * - RequestsPerMinute: calls answered in the minute (dimensions at endpoint scope: deployment,
 *   statusCode, statusCodeClass, modelStatusCode; at deployment scope: envoy_response_code).
 * - RequestLatency (mean) and RequestLatency_P50/_P90/_P95/_P99 (nearest rank) of the latencies the
 *   answers reported (dimension deployment at endpoint scope, none at deployment scope).
 * Metric names, units, dimensions and the PT1M grain: MicrosoftDocs/azure-reference-other
 * azure-monitor-ref/supported-metrics/includes/microsoft-machinelearningservices-workspaces-onlineendpoints-metrics-include.md
 * and …-onlineendpoints-deployments-metrics-include.md. Other metrics of those tables are known (they
 * are valid names) but carry no values here.
 *
 * Wire details, with where they come from:
 * - Dimension names come back lower-case in `metadatavalues`, every dimension the filter names becomes
 *   one (a `ne` filter too), values such as "4xx" (a 2021 recording of this very metric:
 *   rsethur/validate-metrics test/metrics_vcr/test_metric_with_filtering_and_multiple_dimensions.yaml).
 * - A count metric's idle minutes inside a series read 0 (same recording; GetMetricError.json's
 *   `"average": 0.0`); a latency minute without calls has no value (the spec makes every aggregation
 *   optional). Buckets start at the timespan's start (inclusive) and end before its end.
 * - `interval=FULL` gives one point for the whole span and echoes the span's length as the interval
 *   (GetMetricError.json: FULL over four hours answers "PT4H").
 * - Refusals are 400 with the Metrics API's own error body — `{"code","message"}` at the top level,
 *   not ARM's `{"error":{…}}` (metrics_API.json 2018-01-01 `ErrorResponse`; the same body recorded
 *   in Azure/azure-libraries-for-java#688 and Azure/azure-sdk-for-net#29584):
 *   - an unknown metric: "Failed to find metric configuration for provider: …, resource Type: …,
 *     metric: …, Valid metrics: …" (both issues);
 *   - a dimension the metric does not have: "Metric: … does not support requested dimension
 *     combination: …, supported ones are: …, TraceId: {…}" (tomkerkhove/promitor#2084);
 *   - a grain it does not keep: "Invalid time grain duration: PT3M, supported ones are:
 *     00:01:00,00:05:00,…" (Azure/azure-libraries-for-net#495).
 *   The wording of the other refusals (timespan, aggregation, filter syntax, top, resultType,
 *   metricnamespace) is not recorded publicly: the simulator's own, same code and shape.
 */

/** What @azure/arm-monitor 7 sends (2018-01-01), and the newer stable versions with the same query (8.x: 2024-02-01). */
export const METRICS_API_VERSIONS = ["2018-01-01", "2023-10-01", "2024-02-01"] as const;

export const ENDPOINT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
export const DEPLOYMENT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments";

type Source = { kind: "requests" } | { kind: "latency"; stat: "mean" | 50 | 90 | 95 | 99 } | { kind: "none" };

interface MetricDefinition {
  name: string;
  localizedName: string;
  unit: string;
  description: string;
  dimensions: readonly string[];
  source: Source;
}

const LATENCY_DESCRIPTION = (p: number) => `The average P${p} request latency aggregated by all request latency values collected over the selected time period`;
const latencyPercentiles = (dimensions: readonly string[]): MetricDefinition[] =>
  ([50, 90, 95, 99] as const).map((p) => ({
    name: `RequestLatency_P${p}`,
    localizedName: `Request Latency P${p}`,
    // The docs write "Milliseconds"; the wire says "MilliSeconds" (the 2021 recording; the spec's MetricUnit enum).
    unit: "MilliSeconds",
    description: LATENCY_DESCRIPTION(p),
    dimensions,
    source: { kind: "latency", stat: p },
  }));

/** Microsoft.MachineLearningServices/workspaces/onlineEndpoints, in the docs' order. */
const ENDPOINT_METRICS: readonly MetricDefinition[] = [
  { name: "ConnectionsActive", localizedName: "Connections Active", unit: "Count", description: "The total number of concurrent TCP connections active from clients.", dimensions: [], source: { kind: "none" } },
  { name: "DataCollectionErrorsPerMinute", localizedName: "Data Collection Errors Per Minute", unit: "Count", description: "The number of data collection events dropped per minute.", dimensions: ["deployment", "reason", "type"], source: { kind: "none" } },
  { name: "DataCollectionEventsPerMinute", localizedName: "Data Collection Events Per Minute", unit: "Count", description: "The number of data collection events processed per minute.", dimensions: ["deployment", "type"], source: { kind: "none" } },
  { name: "NetworkBytes", localizedName: "Network Bytes", unit: "BytesPerSecond", description: "The bytes per second served for the endpoint.", dimensions: [], source: { kind: "none" } },
  { name: "NewConnectionsPerSecond", localizedName: "New Connections Per Second", unit: "CountPerSecond", description: "The average number of new TCP connections per second established from clients.", dimensions: [], source: { kind: "none" } },
  { name: "RequestLatency", localizedName: "Request Latency", unit: "MilliSeconds", description: "The average complete interval of time taken for a request to be responded in milliseconds", dimensions: ["deployment"], source: { kind: "latency", stat: "mean" } },
  ...latencyPercentiles(["deployment"]),
  { name: "RequestsPerMinute", localizedName: "Requests Per Minute", unit: "Count", description: "The number of requests sent to online endpoint within a minute", dimensions: ["deployment", "statusCode", "statusCodeClass", "modelStatusCode"], source: { kind: "requests" } },
];

const utilization = (name: string, localizedName: string, description: string, dimensions: readonly string[] = ["instanceId"], unit = "Percent"): MetricDefinition => ({ name, localizedName, unit, description, dimensions, source: { kind: "none" } });

/** Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments, in the docs' order. */
const DEPLOYMENT_METRICS: readonly MetricDefinition[] = [
  utilization("CpuMemoryUtilizationPercentage", "CPU Memory Utilization Percentage", "Percentage of memory utilization on an instance. Utilization is reported at one minute intervals."),
  utilization("CpuUtilizationPercentage", "CPU Utilization Percentage", "Percentage of CPU utilization on an instance. Utilization is reported at one minute intervals."),
  utilization("DataCollectionErrorsPerMinute", "Data Collection Errors Per Minute", "The number of data collection events dropped per minute.", ["instanceId", "reason", "type"], "Count"),
  utilization("DataCollectionEventsPerMinute", "Data Collection Events Per Minute", "The number of data collection events processed per minute.", ["instanceId", "type"], "Count"),
  utilization("DeploymentCapacity", "Deployment Capacity", "The number of instances in the deployment.", ["instanceId", "State"], "Count"),
  utilization("DiskUtilization", "Disk Utilization", "Percentage of disk utilization on an instance. Utilization is reported at one minute intervals.", ["instanceId", "disk"]),
  utilization("GpuEnergyJoules", "GPU Energy in Joules", "Interval energy in Joules on a GPU node. Energy is reported at one minute intervals.", ["instanceId"], "Count"),
  utilization("GpuMemoryUtilizationPercentage", "GPU Memory Utilization Percentage", "Percentage of GPU memory utilization on an instance. Utilization is reported at one minute intervals."),
  utilization("GpuUtilizationPercentage", "GPU Utilization Percentage", "Percentage of GPU utilization on an instance. Utilization is reported at one minute intervals."),
  ...latencyPercentiles([]),
  { name: "RequestsPerMinute", localizedName: "Requests Per Minute", unit: "Count", description: "The number of requests sent to online deployment within a minute", dimensions: ["envoy_response_code"], source: { kind: "requests" } },
];

const AGGREGATIONS = ["average", "count", "maximum", "minimum", "total"] as const;
type Aggregation = (typeof AGGREGATIONS)[number];

/**
 * The grains Azure Monitor keeps (the list its "Invalid time grain duration" refusal gives, in
 * .NET TimeSpan notation), as ISO 8601 durations.
 */
const TIME_GRAINS: readonly { iso: string; ms: number; timeSpan: string }[] = [
  { iso: "PT1M", ms: 60_000, timeSpan: "00:01:00" },
  { iso: "PT5M", ms: 300_000, timeSpan: "00:05:00" },
  { iso: "PT15M", ms: 900_000, timeSpan: "00:15:00" },
  { iso: "PT30M", ms: 1_800_000, timeSpan: "00:30:00" },
  { iso: "PT1H", ms: 3_600_000, timeSpan: "01:00:00" },
  { iso: "PT6H", ms: 21_600_000, timeSpan: "06:00:00" },
  { iso: "PT12H", ms: 43_200_000, timeSpan: "12:00:00" },
  { iso: "P1D", ms: 86_400_000, timeSpan: "1.00:00:00" },
];

/** metricnames takes at most 20 names (metrics_API.json 2023-10-01+: "maximum of 20"). */
const MAX_METRIC_NAMES = 20;
/** `top` when the query splits: "Defaults to 10." (metrics_API.json TopParameter). */
const DEFAULT_TOP = 10;
/** Longest span the simulator answers at once: Azure Monitor keeps platform metrics 93 days. */
const MAX_SPAN_MS = 93 * 86_400_000;
/** A query's buckets are capped, to keep one answer small (a simulator limit, not Azure's). */
const MAX_BUCKETS = 50_000;

const MINUTE_MS = 60_000;

/** The Metrics API's error body: `{code, message}` at the top level (see above). */
function badRequest(message: string): SimResponse {
  return json(400, { code: "BadRequest", message });
}

interface MetricsResource {
  id: string;
  namespace: string;
  /** For "Failed to find metric configuration for provider: P, resource Type: T". */
  provider: string;
  resourceType: string;
  metrics: readonly MetricDefinition[];
  endpointKey: string;
  location: string;
  /** Deployment scope: only this deployment's calls. */
  deployment?: string;
}

function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** The online endpoint or deployment a metrics URL names; 404 (ARM's body) when it does not exist. */
function resolveResource(ctx: RequestContext): MetricsResource | undefined {
  const uri = ctx.params["resourceUri"] ?? "";
  const s = uri.split("/").filter(Boolean);
  const isEndpoint =
    same(s[0], "subscriptions") && same(s[2], "resourceGroups") && same(s[4], "providers") && same(s[5], "Microsoft.MachineLearningServices") && same(s[6], "workspaces") && same(s[8], "onlineEndpoints");
  if (!isEndpoint || (s.length !== 10 && !(s.length === 12 && same(s[10], "deployments")))) return undefined;
  const ws: WorkspaceRef = { subscriptionId: s[1] ?? "", resourceGroup: s[3] ?? "", workspace: s[7] ?? "" };
  const endpointName = s[9] ?? "";
  const endpoint = findEndpoint(ctx.state, ws, endpointName);
  if (!endpoint) throw resourceNotFound("Microsoft.MachineLearningServices/workspaces/onlineEndpoints", `${ws.workspace}/${endpointName}`, ws.resourceGroup);
  const base = { provider: s[5] ?? "", endpointKey: resourceKey(endpoint.id), location: endpoint.location };
  if (s.length === 10) return { ...base, id: endpoint.id, namespace: ENDPOINT_NAMESPACE, resourceType: `${s[6]}/${s[8]}`, metrics: ENDPOINT_METRICS };
  const deploymentName = s[11] ?? "";
  const deployment = findDeployment(ctx.state, ws, endpoint.name, deploymentName);
  if (!deployment) throw resourceNotFound("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments", `${ws.workspace}/${endpoint.name}/${deploymentName}`, ws.resourceGroup);
  return { ...base, id: deployment.id, namespace: DEPLOYMENT_NAMESPACE, resourceType: `${s[6]}/${s[8]}/${s[10]}`, metrics: DEPLOYMENT_METRICS, deployment: deployment.name };
}

/** Query parameter names compare ignoring case (ARM); URLSearchParams has already percent-decoded them (`%24filter`). */
function param(query: URLSearchParams, name: string): string | undefined {
  for (const [key, value] of query) if (key.toLowerCase() === name.toLowerCase()) return value;
  return undefined;
}

// ---- $filter: `A eq 'a1' and B eq 'b1' or B eq 'b2' and C eq '*'` (metrics_API.json $filter)

type FilterOp = "eq" | "ne" | "sw";

interface FilterGroup {
  /** As written. */
  dimension: string;
  clauses: { op: FilterOp; value: string }[];
}

type Token = { kind: "word"; text: string } | { kind: "string"; text: string } | { kind: "paren" };

function tokenize(filter: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")") {
      tokens.push({ kind: "paren" });
      i++;
    } else if (c === "'") {
      let text = "";
      i++;
      for (;;) {
        if (i >= filter.length) return "a quoted value is not closed";
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += filter[i];
        i++;
      }
      tokens.push({ kind: "string", text });
    } else {
      let text = "";
      while (i < filter.length && !/[\s()']/.test(filter[i]!)) text += filter[i++];
      tokens.push({ kind: "word", text });
    }
  }
  return tokens;
}

/**
 * Clauses `<dimension> eq|ne|sw '<value>'` joined by `and`/`or`; `'*'` splits by the dimension. `or`
 * may join clauses on the same dimension only ("the logical or operator cannot separate two
 * different metadata names"). Parentheses are accepted and carry no meaning beyond that.
 */
export function parseMetricsFilter(filter: string): FilterGroup[] | string {
  const tokens = tokenize(filter);
  if (typeof tokens === "string") return tokens;
  const words = tokens.filter((t) => t.kind !== "paren");
  const groups: FilterGroup[] = [];
  let i = 0;
  let joiner: "and" | "or" | undefined;
  while (i < words.length) {
    const name: string[] = [];
    while (i < words.length && words[i]!.kind === "word" && !/^(eq|ne|sw)$/i.test(words[i]!.text)) name.push(words[i++]!.text);
    const op = words[i];
    const value = words[i + 1];
    if (name.length === 0 || op?.kind !== "word" || value?.kind !== "string") return "expected <dimension> eq|ne|sw '<value>'";
    i += 2;
    const dimension = name.join(" ");
    const clause = { op: op.text.toLowerCase() as FilterOp, value: value.text };
    const last = groups[groups.length - 1];
    if (joiner === "or") {
      if (!last || last.dimension.toLowerCase() !== dimension.toLowerCase()) return `'or' joins clauses on different dimensions (${last?.dimension ?? "?"}, ${dimension}); it may only join values of one dimension`;
      last.clauses.push(clause);
    } else {
      groups.push({ dimension, clauses: [clause] });
    }
    if (i === words.length) break;
    const next = words[i];
    if (next?.kind !== "word" || !/^(and|or)$/i.test(next.text)) return `expected 'and' or 'or' after the clause on ${dimension}`;
    joiner = next.text.toLowerCase() as "and" | "or";
    i++;
    if (i === words.length) return `nothing follows '${joiner}'`;
  }
  return groups;
}

function groupMatches(group: FilterGroup, value: string): boolean {
  const v = value.toLowerCase();
  return group.clauses.some(({ op, value: want }) => {
    const w = want.toLowerCase();
    if (op === "eq") return w === "*" || v === w;
    if (op === "ne") return v !== w;
    return v.startsWith(w);
  });
}

// ---- values

/** One call group of a minute: its dimension values (lower-case keys) and what it contributes. */
interface Row {
  minute: number;
  dims: Record<string, string>;
  calls: number;
  latencies: Record<string, number>;
}

function rowsFor(source: Source, minutes: ScoringMinute[]): Row[] {
  const rows: Row[] = [];
  for (const m of minutes) {
    const minute = new Date(m.minute).getTime();
    if (source.kind === "requests") {
      for (const [answer, calls] of Object.entries(m.answers)) {
        const [status = "", modelStatus = ""] = answer.split("/");
        rows.push({
          minute,
          dims: { deployment: m.deployment, statuscode: status, statuscodeclass: `${status.slice(0, 1)}xx`, modelstatuscode: modelStatus, envoy_response_code: status },
          calls,
          latencies: {},
        });
      }
    } else if (source.kind === "latency") {
      rows.push({ minute, dims: { deployment: m.deployment }, calls: 0, latencies: m.latencies });
    }
  }
  return rows;
}

function latencyStat(histogram: Record<string, number>, stat: "mean" | number): number | undefined {
  const entries = Object.entries(histogram)
    .map(([ms, n]) => [Number(ms), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return undefined;
  if (stat === "mean") return entries.reduce((s, [ms, n]) => s + ms * n, 0) / total;
  // Nearest rank.
  const rank = Math.max(1, Math.ceil((stat / 100) * total));
  let seen = 0;
  for (const [ms, n] of entries) {
    seen += n;
    if (seen >= rank) return ms;
  }
  return entries[entries.length - 1]?.[0];
}

/** A series' value per minute (only minutes with calls). */
function minuteValues(source: Source, rows: Row[]): Map<number, number> {
  const byMinute = new Map<number, Row[]>();
  for (const r of rows) byMinute.set(r.minute, [...(byMinute.get(r.minute) ?? []), r]);
  const values = new Map<number, number>();
  for (const [minute, rs] of byMinute) {
    if (source.kind === "requests") {
      values.set(minute, rs.reduce((s, r) => s + r.calls, 0));
    } else if (source.kind === "latency") {
      const merged: Record<string, number> = {};
      for (const r of rs) for (const [ms, n] of Object.entries(r.latencies)) merged[ms] = (merged[ms] ?? 0) + n;
      const v = latencyStat(merged, source.stat);
      if (v !== undefined) values.set(minute, v);
    }
  }
  return values;
}

function aggregate(samples: number[], aggregation: Aggregation): number {
  switch (aggregation) {
    case "average":
      return samples.reduce((s, v) => s + v, 0) / samples.length;
    case "count":
      return samples.length;
    case "maximum":
      return Math.max(...samples);
    case "minimum":
      return Math.min(...samples);
    case "total":
      return samples.reduce((s, v) => s + v, 0);
  }
}

function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** An ISO 8601 duration of whole seconds: PT4H, P1DT2H30M, PT90S. */
function isoDuration(ms: number): string {
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const time = `${h ? `${h}H` : ""}${m ? `${m}M` : ""}${s ? `${s}S` : ""}`;
  return `P${d ? `${d}D` : ""}${time ? `T${time}` : d ? "" : "T0S"}`;
}

/** PT1M, PT5M, PT1H, P1D … as milliseconds (days, hours, minutes, seconds only). */
function parseIsoDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  if (!m || text.toUpperCase() === "P" || /T$/i.test(text)) return undefined;
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 + Number(m[4] ?? 0) * 1000;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

// ---- the operation

export function listMetrics(ctx: RequestContext): SimResponse {
  const resource = resolveResource(ctx);
  if (!resource) {
    return json(404, { error: { code: "ResourceNotFound", message: `The flowdeploy simulator serves metrics for online endpoints and deployments only, not '${ctx.params["resourceUri"] ?? ""}'.` } });
  }
  const q = ctx.query;

  const namespace = param(q, "metricnamespace");
  if (namespace !== undefined && namespace !== "" && namespace.toLowerCase() !== resource.namespace.toLowerCase()) {
    return badRequest(`Metric namespace '${namespace}' is not valid for resource type '${resource.resourceType}'; its namespace is '${resource.namespace}'.`);
  }

  // metricnames: comma separated (a comma inside a name would be written %2); none → the first metric.
  const requested = (param(q, "metricnames") ?? "")
    .split(",")
    .map((n) => n.trim().replace(/%2/g, ","))
    .filter(Boolean);
  if (requested.length > MAX_METRIC_NAMES) return badRequest(`At most ${MAX_METRIC_NAMES} metric names can be requested at once; ${requested.length} were given.`);
  const metrics: MetricDefinition[] = [];
  for (const name of requested.length > 0 ? requested : [resource.metrics[0]!.name]) {
    const metric = resource.metrics.find((m) => m.name.toLowerCase() === name.toLowerCase());
    if (!metric) {
      return badRequest(
        `Failed to find metric configuration for provider: ${resource.provider}, resource Type: ${resource.resourceType}, metric: ${name}, Valid metrics: ${resource.metrics.map((m) => m.name).join(",")}`,
      );
    }
    if (!metrics.includes(metric)) metrics.push(metric);
  }

  const aggregationText = param(q, "aggregation");
  const aggregations: Aggregation[] = [];
  for (const a of (aggregationText ?? "average").split(",").map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (!(AGGREGATIONS as readonly string[]).includes(a)) return badRequest(`Invalid aggregation type '${a}'; supported ones are: Average,Count,Maximum,Minimum,Total.`);
    if (!aggregations.includes(a as Aggregation)) aggregations.push(a as Aggregation);
  }
  if (aggregations.length === 0) aggregations.push("average");

  // timespan: 'start/end' (inclusive start, exclusive end); none → the last hour.
  const timespan = param(q, "timespan");
  let start: number;
  let end: number;
  if (timespan === undefined || timespan === "") {
    end = ctx.now.getTime();
    start = end - 3_600_000;
  } else {
    const [from, to, extra] = timespan.split("/");
    if (extra !== undefined || !from || !to || !ISO_INSTANT.test(from) || !ISO_INSTANT.test(to)) {
      return badRequest(`Invalid timespan '${timespan}': expected 'startDateTime_ISO/endDateTime_ISO'.`);
    }
    start = Date.parse(from);
    end = Date.parse(to);
    if (!(end > start)) return badRequest(`Invalid timespan '${timespan}': the start must be before the end.`);
  }
  if (end - start > MAX_SPAN_MS) return badRequest(`The timespan '${timespan ?? ""}' is longer than the 93 days metrics are kept.`);

  const intervalText = param(q, "interval") ?? "PT1M";
  const full = intervalText.toUpperCase() === "FULL";
  const grainMs = full ? undefined : parseIsoDuration(intervalText);
  const grain = TIME_GRAINS.find((g) => g.ms === grainMs);
  if (!full && !grain) return badRequest(`Invalid time grain duration: ${intervalText}, supported ones are: ${TIME_GRAINS.map((g) => g.timeSpan).join(",")}`);

  const resultType = param(q, "resultType") ?? "Data";
  if (!/^(data|metadata)$/i.test(resultType)) return badRequest(`Invalid resultType '${resultType}'; use Data or Metadata.`);
  const metadataOnly = resultType.toLowerCase() === "metadata";

  const filterText = param(q, "$filter");
  const filter = filterText === undefined || filterText.trim() === "" ? [] : parseMetricsFilter(filterText);
  if (typeof filter === "string") return badRequest(`Invalid $filter '${filterText ?? ""}': ${filter}.`);

  const topText = param(q, "top");
  const top = topText === undefined ? DEFAULT_TOP : Number(topText);
  if (!Number.isInteger(top) || top < 1) return badRequest(`Invalid top '${topText ?? ""}': a whole number of at least 1.`);

  const orderbyText = param(q, "orderby");
  let orderby: { aggregation: Aggregation; descending: boolean } | undefined;
  if (orderbyText !== undefined && orderbyText.trim() !== "") {
    const m = /^\s*(\w+)(?:\s+(asc|desc))?\s*$/i.exec(orderbyText);
    const agg = m?.[1]?.toLowerCase() === "sum" ? "total" : m?.[1]?.toLowerCase();
    if (!m || !agg || !(AGGREGATIONS as readonly string[]).includes(agg)) return badRequest(`Invalid orderby '${orderbyText}': expected '<aggregation> asc|desc'.`);
    orderby = { aggregation: agg as Aggregation, descending: m[2]?.toLowerCase() === "desc" };
  }

  // Every dimension the filter names must be one of the metric's (ValidateDimensions defaults to true).
  for (const metric of metrics) {
    const unknown = filter.filter((g) => !metric.dimensions.some((d) => d.toLowerCase() === g.dimension.toLowerCase()));
    if (unknown.length > 0) {
      return badRequest(
        `Metric: ${metric.name} does not support requested dimension combination: ${filter.map((g) => g.dimension.toLowerCase()).join(",")}, supported ones are: ${metric.dimensions.join(",")}, TraceId: {${randomUUID()}}`,
      );
    }
  }

  // Buckets: PT1M … P1D aligned to the grain (whole minutes, hours, days in UTC), or FULL: one.
  const firstMinute = minuteStart(new Date(start)).getTime();
  const buckets: { start: number; end: number }[] = [];
  if (full) {
    buckets.push({ start, end });
  } else {
    const g = grain!.ms;
    for (let b = Math.floor(start / g) * g; b < end; b += g) {
      buckets.push({ start: b, end: b + g });
      if (buckets.length > MAX_BUCKETS) return badRequest(`The query asks for more than ${MAX_BUCKETS} points per series; use a coarser interval or a shorter timespan.`);
    }
  }

  serveSyntheticLoad(ctx.state, ctx.now);
  const minutes = scoringMinutesOf(ctx.state, resource.endpointKey, new Date(firstMinute), new Date(end)).filter((m) => resource.deployment === undefined || same(m.deployment, resource.deployment));
  const metadataNames = filter.map((g) => g.dimension.toLowerCase());

  const value = metrics.map((metric) => {
    const rows = rowsFor(metric.source, minutes).filter((r) => filter.every((g) => groupMatches(g, r.dims[g.dimension.toLowerCase()] ?? "")));
    const series = new Map<string, { labels: string[]; rows: Row[] }>();
    for (const r of rows) {
      const labels = metadataNames.map((d) => r.dims[d] ?? "");
      const key = JSON.stringify(labels.map((l) => l.toLowerCase()));
      const s = series.get(key) ?? { labels, rows: [] };
      s.rows.push(r);
      series.set(key, s);
    }
    // No calls: a query that does not split (no '*', 'ne', 'sw' or 'or') still answers its one series.
    const splits = filter.some((g) => g.clauses.length > 1 || g.clauses.some((c) => c.op !== "eq" || c.value === "*"));
    if (series.size === 0 && !splits) series.set("", { labels: filter.map((g) => g.clauses[0]!.value), rows: [] });

    const timeseries = [...series.values()].map((s) => {
      const perMinute = minuteValues(metric.source, s.rows);
      const data = buckets.map((b) => {
        const samples: number[] = [];
        for (let m = Math.max(b.start, firstMinute); m < Math.min(b.end, end); m += MINUTE_MS) {
          const v = perMinute.get(minuteStart(new Date(m)).getTime());
          // A count metric reads 0 in a minute without calls; a latency has no value there.
          if (v !== undefined) samples.push(v);
          else if (metric.source.kind === "requests") samples.push(0);
        }
        const point: Record<string, unknown> = { timeStamp: isoInstant(b.start) };
        if (samples.length > 0) for (const a of aggregations) point[a] = aggregate(samples, a);
        return point;
      });
      return {
        metadatavalues: metadataNames.map((name, i) => ({ name: { value: name, localizedValue: name }, value: s.labels[i] ?? "" })),
        ...(metadataOnly ? {} : { data }),
      };
    });

    const order = orderby ?? { aggregation: aggregations[0]!, descending: true };
    const weight = (t: (typeof timeseries)[number]) => (t.data ?? []).reduce((sum, p) => sum + (typeof p[order.aggregation] === "number" ? (p[order.aggregation] as number) : 0), 0);
    timeseries.sort((a, b) => (order.descending ? weight(b) - weight(a) : weight(a) - weight(b)));
    return {
      id: `${resource.id}/providers/Microsoft.Insights/metrics/${metric.name}`,
      type: "Microsoft.Insights/metrics",
      name: { value: metric.name, localizedValue: metric.localizedName },
      displayDescription: metric.description,
      unit: metric.unit,
      // `top` limits the series of a filtered query only ("Valid only if $filter is specified").
      timeseries: filter.length > 0 ? timeseries.slice(0, top) : timeseries,
      errorCode: "Success",
    };
  });

  return json(200, {
    cost: buckets.length * metrics.length,
    timespan: `${isoInstant(start)}/${isoInstant(end)}`,
    // "not present if a metadata request was made"; FULL echoes the span's length.
    ...(metadataOnly ? {} : { interval: full ? isoDuration(end - start) : grain!.iso }),
    value,
    namespace: resource.namespace,
    resourceregion: resource.location,
  });
}
