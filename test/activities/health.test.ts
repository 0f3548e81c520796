import { isRestError, type RestError } from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import { isFailedStatus } from "../../src/activities/health";
import type { AnalyzeHealthInput } from "../../src/contracts/activities";
import { PipelineError, toPipelineError } from "../../src/errors";
import type { ScenarioInput } from "../../src/local/simulator";
import { raw } from "../simulator/support/harness";
import { advanceMinutes, simWorkspace, startActivityHarness, type ActivityHarness } from "../support/activityHarness";

/**
 * analyzeDeploymentHealth against the simulator's Metrics API: the real @azure/arm-monitor 7 client,
 * metrics computed from the scoring calls the simulator served — here its synthetic load, 60 calls a
 * minute routed 90/10 between blue and the canary green.
 */

let h: ActivityHarness;
const leakSources: string[] = [];
afterEach(async () => {
  if (h) {
    const secrets = h.sim.secrets();
    const haystack = [...leakSources, ...h.logs].join("\n");
    for (const secret of secrets) expect(haystack.includes(secret), "a key or token leaked").toBe(false);
    leakSources.length = 0;
    await h.close();
  }
});

const START = "2026-11-23T10:00:00.000Z";
const at = (minutes: number) => new Date(Date.parse(START) + minutes * 60_000).toISOString();

function canary(extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 90 }, { name: "green", traffic: 10 }] }],
    load: { requestsPerMinute: 60 },
    ...extra,
  };
}

function input(analysis: AnalyzeHealthInput["analysis"], window: [number, number] = [0, 15]): AnalyzeHealthInput {
  return { workspace: simWorkspace(h), endpointName: "web-classify", deploymentName: "green", from: at(window[0]), to: at(window[1]), analysis };
}

async function analyze(i: AnalyzeHealthInput) {
  try {
    const verdict = await h.activities.analyzeDeploymentHealth(i);
    leakSources.push(JSON.stringify(verdict));
    return verdict;
  } catch (err) {
    leakSources.push(String(err), JSON.stringify(err));
    throw err;
  }
}

async function failure(p: Promise<unknown>): Promise<PipelineError> {
  try {
    await p;
  } catch (err) {
    leakSources.push(String(err), JSON.stringify(err));
    expect(err).toBeInstanceOf(PipelineError);
    return err as PipelineError;
  }
  throw new Error("expected the activity to fail");
}

describe("analyzeDeploymentHealth", () => {
  it("healthy: 10% of 60 calls a minute for 15 minutes, none failed, p95 within the limit", async () => {
    h = await startActivityHarness(canary());
    advanceMinutes(h, 16);
    const verdict = await analyze(input({ maxErrorRatePercent: 1, maxP95LatencyMs: 1000, minRequests: 50 }));
    expect(verdict).toEqual({ verdict: "healthy", requests: 90, errors: 0, errorRatePercent: 0, p95LatencyMs: 120, reasons: [] });
  });

  it("unhealthy by error rate: a fifth of green's calls fail as 424 model errors", async () => {
    h = await startActivityHarness(canary({ scoringBehaviour: [{ deployment: "green", errorRatePercent: 20 }] }));
    advanceMinutes(h, 16);
    const verdict = await analyze(input({ maxErrorRatePercent: 5, minRequests: 1 }));
    expect(verdict).toMatchObject({ verdict: "unhealthy", requests: 90, errors: 18, errorRatePercent: 20 });
    expect(verdict.reasons).toEqual(["error rate 20% (18 of 90 requests failed) is above the 5% allowed"]);
    // blue is untouched by green's behaviour.
    const blue = await analyze({ ...input({ maxErrorRatePercent: 5 }), deploymentName: "blue" });
    expect(blue).toMatchObject({ verdict: "healthy", requests: 810, errors: 0 });
  });

  it("5xx answers count as errors too (an injected 500 on green's scoring)", async () => {
    h = await startActivityHarness(canary({ faults: [{ op: "score", deployment: "green", status: 500, times: 3 }] }));
    advanceMinutes(h, 16);
    const verdict = await analyze(input({ maxErrorRatePercent: 10 }));
    expect(verdict).toMatchObject({ verdict: "healthy", requests: 90, errors: 3 });
    expect(verdict.errorRatePercent).toBeCloseTo(3.333, 2);
  });

  it("unhealthy by latency: green reports 900 ms, the limit is 500 ms", async () => {
    h = await startActivityHarness(canary({ scoringBehaviour: [{ deployment: "green", latencyMs: 900 }] }));
    advanceMinutes(h, 16);
    const verdict = await analyze(input({ maxErrorRatePercent: 1, maxP95LatencyMs: 500 }));
    expect(verdict).toEqual({
      verdict: "unhealthy",
      requests: 90,
      errors: 0,
      errorRatePercent: 0,
      p95LatencyMs: 900,
      reasons: ["p95 latency 900 ms is above the 500 ms allowed"],
    });
    // Without a latency limit, latency is reported but not judged.
    expect((await analyze(input({ maxErrorRatePercent: 1 }))).verdict).toBe("healthy");
  });

  it("insufficient: no calls at all (no data is not zero latency), or fewer than minRequests", async () => {
    h = await startActivityHarness({ existing: canary().existing! });
    advanceMinutes(h, 16);
    expect(await analyze(input({ maxErrorRatePercent: 1, maxP95LatencyMs: 500 }))).toEqual({
      verdict: "insufficient",
      requests: 0,
      errors: 0,
      errorRatePercent: null,
      p95LatencyMs: null,
      reasons: ["0 requests in the window, fewer than the 1 needed to judge it"],
    });
    await h.close();

    h = await startActivityHarness(canary({ scoringBehaviour: [{ deployment: "green", errorRatePercent: 100 }] }));
    advanceMinutes(h, 16);
    // Judged only with enough traffic: 90 failed calls are fewer than the 100 asked for.
    expect(await analyze(input({ maxErrorRatePercent: 1, minRequests: 100 }))).toMatchObject({ verdict: "insufficient", requests: 90, errors: 90, errorRatePercent: 100 });
  });

  it("counts what the endpoint's callers really sent, and minutes not yet over are no data", async () => {
    h = await startActivityHarness({ existing: canary().existing!, scoringBehaviour: [{ deployment: "green", latencyMs: 300 }] });
    const workspace = simWorkspace(h);
    const keys = await h.deps.ml(workspace.subscriptionId).onlineEndpoints.listKeys(workspace.resourceGroup, workspace.name, "web-classify");
    advanceMinutes(h, 2);
    for (let i = 0; i < 4; i++) {
      const answer = await h.deps.scoring.score({ scoringUri: h.sim.scoringUri("web-classify"), secret: keys.primaryKey!, input: { url: "https://arxiv.org/abs/1" }, deployment: "green" });
      expect(answer.status).toBe(200);
    }
    advanceMinutes(h, 1);
    const verdict = await analyze(input({ maxErrorRatePercent: 1, maxP95LatencyMs: 250 }, [0, 5]));
    expect(verdict).toMatchObject({ verdict: "unhealthy", requests: 4, errors: 0, p95LatencyMs: 300 });
  });

  it("sends the SDK's own request, which the simulator serves as Azure does (api-version 2018-01-01, $filter, PT1M, Average)", async () => {
    h = await startActivityHarness(canary());
    const urls: string[] = [];
    h.deps.monitor(simWorkspace(h).subscriptionId).pipeline.addPolicy({
      name: "capture",
      sendRequest: (request, next) => {
        urls.push(request.url);
        return next(request);
      },
    });
    advanceMinutes(h, 16);
    await analyze(input({ maxErrorRatePercent: 1 }));
    const ws = simWorkspace(h);
    const resource = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.name}/onlineEndpoints/web-classify`;
    expect(urls).toHaveLength(2);
    const queries = urls.map((u) => new URL(u));
    for (const u of queries) {
      expect(u.origin).toBe(h.sim.url);
      expect(u.pathname).toBe(`${resource}/providers/Microsoft.Insights/metrics`);
      expect(Object.fromEntries([...u.searchParams].filter(([k]) => !["metricnames", "$filter", "top"].includes(k)))).toEqual({
        "api-version": "2018-01-01",
        timespan: `${at(0)}/${at(15)}`,
        interval: "PT1M",
        aggregation: "Average",
        resultType: "Data",
        metricnamespace: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
      });
    }
    expect(queries.map((u) => [u.searchParams.get("metricnames"), u.searchParams.get("$filter"), u.searchParams.get("top")])).toEqual([
      ["RequestsPerMinute", "deployment eq 'green' and statusCode eq '*'", "50"],
      ["RequestLatency_P95", "deployment eq 'green'", null],
    ]);
    // 7.x writes `$filter` literally (8.x sends %24filter: test/simulator/metrics.test.ts).
    expect(urls[0]).toContain("?$filter=deployment%20eq%20%27green%27%20and%20statusCode%20eq%20%27*%27&api-version=2018-01-01&");
    expect(h.sim.requests({ operation: "metrics.list" }).map((r) => [r.status, r.apiVersion])).toEqual([
      [200, "2018-01-01"],
      [200, "2018-01-01"],
    ]);
  });

  it("an unknown metric name gets Azure's 400 BadRequest, in the Metrics API's error body, a non-retryable PipelineError", async () => {
    h = await startActivityHarness(canary());
    const ws = simWorkspace(h);
    const resource = `subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.name}/onlineEndpoints/web-classify`;
    const err = await h.deps
      .monitor(ws.subscriptionId)
      .metrics.list(resource, { metricnames: "RequestsPerMinutes", aggregation: "Average" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isRestError(err)).toBe(true);
    expect(err).toMatchObject({ statusCode: 400, code: "BadRequest" });
    const message = (err as RestError).message;
    expect(message).toMatch(/^Failed to find metric configuration for provider: Microsoft\.MachineLearningServices, resource Type: workspaces\/onlineEndpoints, metric: RequestsPerMinutes, Valid metrics: ConnectionsActive,.*,RequestLatency_P95,.*RequestsPerMinute$/);
    expect(toPipelineError(err).toProperties()).toEqual({ code: "BadRequest", retryable: false, status: 400 });

    // On the wire: {code, message} at the top level, as Azure's Metrics API answers (not ARM's {error: {...}}).
    const answer = await raw(h.sim, "GET", `/${resource}/providers/microsoft.insights/metrics?api-version=2018-01-01&metricnames=Nope`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ code: "BadRequest", message: expect.stringContaining("metric: Nope, Valid metrics:") });
  });

  it("fails as a PipelineError for an endpoint that does not exist, and refuses a window that is not whole minutes", async () => {
    h = await startActivityHarness(canary());
    const missing = await failure(h.activities.analyzeDeploymentHealth({ ...input({ maxErrorRatePercent: 1 }), endpointName: "no-such-endpoint" }));
    expect(missing.toProperties()).toEqual({ code: "ResourceNotFound", retryable: false, status: 404 });
    const window = await failure(h.activities.analyzeDeploymentHealth({ ...input({ maxErrorRatePercent: 1 }), from: "2026-11-23T10:00:30.000Z" }));
    expect(window.toProperties()).toEqual({ code: "InvalidAnalysisWindow", retryable: false });
    const backwards = await failure(h.activities.analyzeDeploymentHealth(input({ maxErrorRatePercent: 1 }, [5, 5])));
    expect(backwards.code).toBe("InvalidAnalysisWindow");
    expect(missing.message).not.toMatch(/analysis/i);
  });

  it("what counts as a failed call: 5xx, 408, 424, 429", () => {
    expect(["500", "502", "503", "408", "424", "429"].every(isFailedStatus)).toBe(true);
    expect(["200", "201", "400", "401", "403", "404", "", "abc"].some(isFailedStatus)).toBe(false);
  });
});
