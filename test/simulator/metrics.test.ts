import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMonitorClient } from "../../src/azure/clients";
import { staticTokenCredential } from "../../src/azure/staticCredential";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, type Simulator } from "../../src/local/simulator";
import { parseMetricsFilter } from "../../src/local/simulator/metrics";
import { setTraffic } from "./support/flows";
import { clientsFor, raw, type Clients } from "./support/harness";

/**
 * The Metrics API (`{resourceUri}/providers/Microsoft.Insights/metrics`) computed from the scoring
 * calls the simulator served: here the scenario's synthetic load, 60 calls a minute routed by the
 * split in force at each minute — 90/10 for ten minutes, then 50/50.
 */

const T0 = Date.parse("2026-07-01T00:00:00Z");
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString().replace(".000Z", "Z");

interface Point {
  timeStamp: string;
  average?: number;
  total?: number;
  count?: number;
  maximum?: number;
}
interface Series {
  metadatavalues: { name: { value: string; localizedValue: string }; value: string }[];
  data?: Point[];
}
interface MetricsBody {
  timespan: string;
  interval?: string;
  namespace: string;
  resourceregion: string;
  value: { id: string; type: string; name: { value: string; localizedValue: string }; unit: string; timeseries: Series[]; errorCode: string }[];
}

describe("the simulator's Azure Monitor metrics", () => {
  const clock = new VirtualClock(new Date(T0));
  let sim: Simulator;
  let c: Clients;
  let endpointPath: string;

  const get = async (path: string, query: Record<string, string>) => {
    const qs = Object.entries(query)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join("&");
    return raw(sim, "GET", `${path}/providers/Microsoft.Insights/metrics?${qs}`);
  };
  const metrics = async (query: Record<string, string>, path = endpointPath) => {
    const answer = await get(path, { "api-version": "2018-01-01", ...query });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as MetricsBody;
  };
  const perDeployment = (series: Series[]) =>
    Object.fromEntries(series.map((s) => [s.metadatavalues.find((m) => m.name.value === "deployment")?.value ?? "", (s.data ?? []).map((p) => p.average)]));

  beforeAll(async () => {
    sim = await startSimulator({
      clock,
      scenario: {
        latency: { trafficUpdateSeconds: 30 },
        existing: [{ endpoint: "metrics-ep", deployments: [{ name: "blue", traffic: 90 }, { name: "green", traffic: 10 }] }],
        load: { requestsPerMinute: 60 },
        scoringBehaviour: [{ deployment: "green", latencyMs: 900, errorRatePercent: 10 }],
      },
    });
    c = clientsFor(sim);
    endpointPath = `/subscriptions/${c.ws.subscriptionId}/resourceGroups/${c.ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.ws.workspace}/onlineEndpoints/metrics-ep`;
    clock.advanceBy(10 * 60_000);
    // The update's operation ends at 00:10:30: scoring routes 50/50 from then on.
    await setTraffic(c, clock, "metrics-ep", { blue: 50, green: 50 });
    clock.advanceTo(new Date(T0 + 20 * 60_000));
  });
  afterAll(async () => sim.close());

  it("routes the synthetic load by the split in force at each minute: 10% of it to green, then half", async () => {
    const body = await metrics({ timespan: `${iso(0)}/${iso(20)}`, interval: "PT1M", metricnames: "RequestsPerMinute", aggregation: "Average", $filter: "deployment eq '*'" });
    const calls = perDeployment(body.value[0]!.timeseries);
    expect(calls["green"]!.slice(0, 10)).toEqual(Array(10).fill(6));
    expect(calls["blue"]!.slice(0, 10)).toEqual(Array(10).fill(54));
    // 00:10: thirty calls before the update ended (3 to green), thirty after (15).
    expect(calls["green"]![10]).toBe(18);
    for (const n of calls["green"]!.slice(11)) expect(Math.abs(n! - 30)).toBeLessThanOrEqual(1);
    const sum = (xs: (number | undefined)[]) => xs.reduce<number>((s, x) => s + (x ?? 0), 0);
    expect(sum(calls["green"]!.slice(0, 10)) / (sum(calls["green"]!.slice(0, 10)) + sum(calls["blue"]!.slice(0, 10)))).toBeCloseTo(0.1, 5);
    expect(sum(calls["green"]!.slice(11)) + sum(calls["blue"]!.slice(11))).toBe(9 * 60);
    // Synthetic calls are not HTTP requests: the request log does not show them.
    expect(sim.requestCounts()["score"]).toBeUndefined();
  });

  it("answers in Azure's shape: lower-case dimension names, whole-minute stamps, PT1M, the namespace and region", async () => {
    const body = await metrics({ timespan: `${iso(0)}/${iso(3)}`, metricnames: "RequestsPerMinute", $filter: "deployment eq 'green' and statusCodeClass eq '*'", aggregation: "Average,Total,Count" });
    expect(body).toMatchObject({
      timespan: `${iso(0)}/${iso(3)}`,
      interval: "PT1M",
      namespace: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
      resourceregion: "eastus",
    });
    const metric = body.value[0]!;
    expect(metric).toMatchObject({
      id: `${endpointPath}/providers/Microsoft.Insights/metrics/RequestsPerMinute`,
      type: "Microsoft.Insights/metrics",
      name: { value: "RequestsPerMinute", localizedValue: "Requests Per Minute" },
      unit: "Count",
      errorCode: "Success",
    });
    // green fails every tenth call (424): 6 calls a minute, 0.6 failures.
    expect(metric.timeseries.map((s) => s.metadatavalues.map((m) => [m.name.value, m.value]))).toEqual([
      [
        ["deployment", "green"],
        ["statuscodeclass", "2xx"],
      ],
      [
        ["deployment", "green"],
        ["statuscodeclass", "4xx"],
      ],
    ]);
    expect(metric.timeseries[0]!.data!.map((p) => p.timeStamp)).toEqual([iso(0), iso(1), iso(2)]);
    expect(metric.timeseries[0]!.data![0]).toEqual({ timeStamp: iso(0), average: 6, total: 6, count: 1 });
    const failures = metric.timeseries[1]!.data!.map((p) => p.total);
    expect(failures.reduce((a, b) => a! + b!, 0)).toBeGreaterThan(0);
    // A minute of that series without a failure reads 0: a count metric's idle minute.
    expect(failures).toContain(0);
  });

  it("latency: each deployment's p95 per minute; a minute without calls has no value, a count reads 0", async () => {
    const body = await metrics({ timespan: `${iso(-3)}/${iso(2)}`, metricnames: "RequestLatency_P95,RequestsPerMinute", $filter: "deployment eq '*'", aggregation: "Average" });
    const [latency, requests] = body.value;
    expect(latency!.unit).toBe("MilliSeconds");
    expect(perDeployment(latency!.timeseries)).toEqual({ blue: [undefined, undefined, undefined, 120, 120], green: [undefined, undefined, undefined, 900, 900] });
    expect(latency!.timeseries[0]!.data![0]).toEqual({ timeStamp: iso(-3) });
    expect(perDeployment(requests!.timeseries)["green"]).toEqual([0, 0, 0, 6, 6]);
  });

  it("FULL: one point for the whole span, the span's length as the interval; no filter: one series without metadata", async () => {
    const body = await metrics({ timespan: `${iso(0)}/${iso(20)}`, interval: "FULL", metricnames: "RequestsPerMinute", aggregation: "Total" });
    expect(body.interval).toBe("PT20M");
    expect(body.value[0]!.timeseries).toEqual([{ metadatavalues: [], data: [{ timeStamp: iso(0), total: 1200 }] }]);
    const five = await metrics({ timespan: `${iso(0)}/${iso(10)}`, interval: "PT5M", metricnames: "RequestsPerMinute", aggregation: "Average,Maximum" });
    expect(five.value[0]!.timeseries[0]!.data).toEqual([
      { timeStamp: iso(0), average: 60, maximum: 60 },
      { timeStamp: iso(5), average: 60, maximum: 60 },
    ]);
  });

  it("the deployment's own metrics: RequestsPerMinute by envoy_response_code, latency without dimensions", async () => {
    const body = await metrics({ timespan: `${iso(0)}/${iso(10)}`, interval: "FULL", metricnames: "RequestsPerMinute", aggregation: "Total", $filter: "envoy_response_code eq '*'" }, `${endpointPath}/deployments/green`);
    expect(body.namespace).toBe("Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments");
    expect(body.value[0]!.timeseries.map((s) => [s.metadatavalues[0]!.value, s.data![0]!.total])).toEqual([
      ["200", 54],
      ["424", 6],
    ]);
    const refused = await get(`${endpointPath}/deployments/green`, { "api-version": "2018-01-01", metricnames: "RequestLatency_P95", $filter: "deployment eq 'green'" });
    expect(refused.status).toBe(400);
  });

  it("serves what @azure/arm-monitor 7 sends, and 8.x's request: %24filter, api-version 2024-02-01, top, resultType", async () => {
    // endpointPath has a leading slash, so the SDK sends `//subscriptions/…` (ARM tolerates it; so does the simulator).
    const monitor = createMonitorClient({ subscriptionId: c.ws.subscriptionId, endpoint: sim.url, caCertPem: sim.caCertPem, credential: staticTokenCredential() });
    const response = await monitor.metrics.list(endpointPath, { timespan: `${iso(0)}/${iso(2)}`, interval: "PT1M", metricnames: "RequestsPerMinute", aggregation: "Average", filter: "deployment eq 'green' and statusCode eq '*'", top: 10, resultType: "Data" });
    expect(response.value[0]!.timeseries.map((s) => s.metadatavalues?.map((m) => `${m.name?.value}=${m.value}`).join(","))).toEqual(["deployment=green,statuscode=200", "deployment=green,statuscode=424"]);
    expect(response.value[0]!.timeseries[0]!.data![0]!.timeStamp).toEqual(new Date(T0));
    // What the 8.x probe sent (/tmp/research/metrics.md): the same query, %24filter, a newer api-version.
    const v8 = await raw(
      sim,
      "GET",
      `${endpointPath}/providers/Microsoft.Insights/metrics?api-version=2024-02-01&timespan=${encodeURIComponent(`${iso(0)}/${iso(2)}`)}&interval=PT1M&metricnames=RequestsPerMinute&aggregation=Average&top=10&%24filter=deployment%20eq%20%27green%27%20and%20statusCodeClass%20eq%20%27%2A%27&resultType=Data&metricnamespace=Microsoft.MachineLearningServices%2Fworkspaces%2FonlineEndpoints`,
    );
    expect(v8.status).toBe(200);
    expect((v8.body as MetricsBody).value[0]!.timeseries.map((s) => s.metadatavalues[1]!.value)).toEqual(["2xx", "4xx"]);
    const metadata = await metrics({ timespan: `${iso(0)}/${iso(2)}`, metricnames: "RequestsPerMinute", $filter: "deployment eq '*'", resultType: "Metadata", top: "1" });
    expect(metadata.interval).toBeUndefined();
    expect(metadata.value[0]!.timeseries).toEqual([{ metadatavalues: [{ name: { value: "deployment", localizedValue: "deployment" }, value: "blue" }] }]);
  });

  it("refuses what Azure refuses, with the Metrics API's {code, message}", async () => {
    const refusal = async (query: Record<string, string>) => {
      const answer = await get(endpointPath, { "api-version": "2018-01-01", timespan: `${iso(0)}/${iso(2)}`, ...query });
      expect(answer.status).toBe(400);
      const body = answer.body as { code: string; message: string };
      expect(body.code).toBe("BadRequest");
      return body.message;
    };
    expect(await refusal({ metricnames: "RequestCount" })).toBe(
      "Failed to find metric configuration for provider: Microsoft.MachineLearningServices, resource Type: workspaces/onlineEndpoints, metric: RequestCount, Valid metrics: ConnectionsActive,DataCollectionErrorsPerMinute,DataCollectionEventsPerMinute,NetworkBytes,NewConnectionsPerSecond,RequestLatency,RequestLatency_P50,RequestLatency_P90,RequestLatency_P95,RequestLatency_P99,RequestsPerMinute",
    );
    expect(await refusal({ metricnames: "RequestLatency_P95", $filter: "deployment eq 'green' and statusCode eq '*'" })).toMatch(
      /^Metric: RequestLatency_P95 does not support requested dimension combination: deployment,statuscode, supported ones are: deployment, TraceId: \{[0-9a-f-]{36}\}$/,
    );
    expect(await refusal({ metricnames: "RequestsPerMinute", interval: "PT3M" })).toBe(
      "Invalid time grain duration: PT3M, supported ones are: 00:01:00,00:05:00,00:15:00,00:30:00,01:00:00,06:00:00,12:00:00,1.00:00:00",
    );
    expect(await refusal({ metricnames: "RequestsPerMinute", $filter: "deployment eq 'green' or statusCode eq '500'" })).toMatch(/'or' joins clauses on different dimensions/);
    expect(await refusal({ metricnames: "RequestsPerMinute", aggregation: "P95" })).toMatch(/aggregation/);
    expect(await refusal({ metricnames: "RequestsPerMinute", timespan: `${iso(2)}/${iso(0)}` })).toMatch(/timespan/);
    expect(await refusal({ metricnames: "RequestsPerMinute", metricnamespace: "Microsoft.Compute/virtualMachines" })).toMatch(/namespace/i);

    // ARM's own refusals keep ARM's body.
    const version = await get(endpointPath, { "api-version": "2019-03-01", metricnames: "RequestsPerMinute" });
    expect(version.status).toBe(400);
    expect(version.body).toMatchObject({ error: { code: "NoRegisteredProviderFound" } });
    const missing = await get(endpointPath.replace("metrics-ep", "no-such-ep"), { "api-version": "2018-01-01" });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: "ResourceNotFound" } });
  });

  it("parses the documented $filter forms", () => {
    expect(parseMetricsFilter("A eq 'a1' and B eq 'b1' or B eq 'b2' and C eq '*'")).toEqual([
      { dimension: "A", clauses: [{ op: "eq", value: "a1" }] },
      { dimension: "B", clauses: [{ op: "eq", value: "b1" }, { op: "eq", value: "b2" }] },
      { dimension: "C", clauses: [{ op: "eq", value: "*" }] },
    ]);
    expect(parseMetricsFilter("deployment eq 'it''s' and statusCodeClass ne '2xx'")).toEqual([
      { dimension: "deployment", clauses: [{ op: "eq", value: "it's" }] },
      { dimension: "statusCodeClass", clauses: [{ op: "ne", value: "2xx" }] },
    ]);
    // "Invalid variant": or across two dimensions.
    expect(typeof parseMetricsFilter("A eq 'a1' and B eq 'b1' and C eq '*' or B eq 'b2'")).toBe("string");
    expect(typeof parseMetricsFilter("deployment eq")).toBe("string");
    expect(typeof parseMetricsFilter("deployment eq 'x' and")).toBe("string");
  });
});
