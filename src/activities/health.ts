import type { Metric, MetricsListOptionalParams } from "@azure/arm-monitor";
import { workspaceResourceId } from "../contracts/common";
import { AnalyzeHealthInput, type HealthVerdict } from "../contracts/activities";
import { NonRetryableError, RetryAfterError } from "../errors";
import type { ActivityDeps } from "./deps";

/**
 * A canary step's health, from the Azure Monitor metrics of the endpoint (Metrics – List through
 * `@azure/arm-monitor`, read access: Monitoring Reader, docs/pipeline.md), over the bake window
 * [from, to) at the metrics' one grain, PT1M (MicrosoftDocs/azure-reference-other, supported metrics
 * of Microsoft.MachineLearningServices/workspaces/onlineEndpoints):
 *
 * - RequestsPerMinute of the endpoint, filtered to the deployment and split by `statusCode`, with its
 *   documented aggregation Average (at PT1M a minute has one value: the calls of that minute). Errors
 *   are 5xx and 408, 424, 429: a failing model container reaches the caller as 424 (the
 *   troubleshooting guide's status code table), so counting 5xx alone would miss it.
 * - RequestLatency_P95, filtered to the deployment, Average: the step's p95 is the highest minute's.
 *   It has no statusCode dimension, so it is its own query (a dimension a metric lacks is refused).
 *
 * A minute without a value is "no data", never 0. Which minutes to ask about — Azure needs a few
 * minutes to show the latest ones — is the caller's choice of window.
 */

export const ENDPOINT_METRIC_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";

/** Series per query: the default is 10 when a filter splits (metrics_API.json `top`); status codes of one deployment are fewer. */
const MAX_STATUS_SERIES = 50;
const MINUTE_MS = 60_000;

/** 5xx, and what a failing model or an overloaded deployment answers: 408 timeout, 424 model error, 429 too many requests. */
export function isFailedStatus(statusCode: string): boolean {
  const status = Number(statusCode);
  if (!Number.isInteger(status)) return false;
  return (status >= 500 && status <= 599) || status === 408 || status === 424 || status === 429;
}

export async function analyzeDeploymentHealth(deps: ActivityDeps, rawInput: AnalyzeHealthInput): Promise<HealthVerdict> {
  const input = AnalyzeHealthInput.parse(rawInput);
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  if (from % MINUTE_MS !== 0 || to % MINUTE_MS !== 0 || !(to > from)) {
    throw new NonRetryableError(`the analysis window must be whole minutes, its start before its end (got ${input.from} to ${input.to})`, { code: "InvalidAnalysisWindow" });
  }
  const monitor = deps.monitor(input.workspace.subscriptionId);
  // Without a leading slash: the SDK puts "/" before the resource URI itself.
  const resourceUri = `${workspaceResourceId(input.workspace)}/onlineEndpoints/${input.endpointName}`.replace(/^\//, "");
  const deployment = `deployment eq '${input.deploymentName.replace(/'/g, "''")}'`;
  const common: MetricsListOptionalParams = {
    timespan: `${new Date(from).toISOString()}/${new Date(to).toISOString()}`,
    interval: "PT1M",
    aggregation: "Average",
    resultType: "Data",
    metricnamespace: ENDPOINT_METRIC_NAMESPACE,
  };
  // One after the other: a failed first query leaves no second one in flight.
  const requestsResponse = await monitor.metrics.list(resourceUri, { ...common, metricnames: "RequestsPerMinute", filter: `${deployment} and statusCode eq '*'`, top: MAX_STATUS_SERIES });
  const latencyResponse = await monitor.metrics.list(resourceUri, { ...common, metricnames: "RequestLatency_P95", filter: deployment });
  const inWindow = (t: Date) => t.getTime() >= from && t.getTime() < to;

  let requestSum = 0;
  let errorSum = 0;
  for (const series of metricNamed(requestsResponse.value, "RequestsPerMinute").timeseries) {
    const status = (series.metadatavalues ?? []).find((m) => m.name?.value.toLowerCase() === "statuscode")?.value ?? "";
    for (const point of series.data ?? []) {
      if (point.average === undefined || !inWindow(point.timeStamp)) continue;
      requestSum += point.average;
      if (isFailedStatus(status)) errorSum += point.average;
    }
  }
  let p95LatencyMs: number | null = null;
  for (const series of metricNamed(latencyResponse.value, "RequestLatency_P95").timeseries) {
    for (const point of series.data ?? []) {
      if (point.average === undefined || !inWindow(point.timeStamp)) continue;
      p95LatencyMs = Math.max(p95LatencyMs ?? 0, point.average);
    }
  }

  const requests = Math.round(requestSum);
  const errors = Math.min(requests, Math.round(errorSum));
  const errorRatePercent = requests === 0 ? null : (errors / requests) * 100;
  const { analysis } = input;
  const reasons: string[] = [];
  let verdict: HealthVerdict["verdict"];
  if (requests < analysis.minRequests) {
    verdict = "insufficient";
    reasons.push(`${requests} request${requests === 1 ? "" : "s"} in the window, fewer than the ${analysis.minRequests} needed to judge it`);
  } else {
    if (errorRatePercent !== null && errorRatePercent > analysis.maxErrorRatePercent) {
      reasons.push(`error rate ${round(errorRatePercent)}% (${errors} of ${requests} requests failed) is above the ${analysis.maxErrorRatePercent}% allowed`);
    }
    if (analysis.maxP95LatencyMs !== undefined && p95LatencyMs !== null && p95LatencyMs > analysis.maxP95LatencyMs) {
      reasons.push(`p95 latency ${round(p95LatencyMs)} ms is above the ${analysis.maxP95LatencyMs} ms allowed`);
    }
    verdict = reasons.length > 0 ? "unhealthy" : "healthy";
  }
  deps.log?.info(
    `analyzeDeploymentHealth ${input.endpointName}/${input.deploymentName} ${input.from}..${input.to}: ${verdict}, ${requests} requests, ${errors} errors, p95 ${p95LatencyMs ?? "n/a"} ms`,
  );
  return { verdict, requests, errors, errorRatePercent, p95LatencyMs, reasons };
}

/**
 * The metric in a Metrics – List answer, by its invariant name (ignoring case). A metric Azure could
 * not read comes back inside the 200 with its own errorCode (GetMetricError.json): that is worth
 * another try, not a verdict.
 */
function metricNamed(metrics: Metric[], name: string): Metric {
  const metric = metrics.find((m) => m.name.value.toLowerCase() === name.toLowerCase());
  if (!metric) throw new RetryAfterError(`Azure Monitor returned no ${name} metric`, { code: "MetricMissing" });
  if (metric.errorCode !== undefined && metric.errorCode !== "Success") {
    throw new RetryAfterError(`Azure Monitor could not read ${name}: ${metric.errorCode}${metric.errorMessage ? ` (${metric.errorMessage})` : ""}`, { code: metric.errorCode });
  }
  return metric;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
