import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, type Simulator } from "../../src/local/simulator";
import type { ScenarioInput } from "../../src/local/simulator/scenario";
import { clientsFor, raw, wsPath } from "./support/harness";

/**
 * Mirrored traffic reaches the mirrored deployment (the safe-rollout how-to, "Test the deployment with
 * mirrored traffic"): the endpoint copies the mirror percentage of the calls it routes by its split to
 * the shadow deployment, whose metrics show them, while clients get the live deployment's answer; a
 * call that names a deployment (`azureml-model-deployment`) is not mirrored.
 */

const T0 = Date.parse("2026-09-01T00:00:00Z");
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString().replace(".000Z", "Z");

interface Series {
  metadatavalues: { name: { value: string }; value: string }[];
  data?: { timeStamp: string; total?: number }[];
}
interface MetricsBody {
  value: { name: { value: string }; timeseries: Series[] }[];
}

const blueLiveGreenIdle = (endpoint: string): ScenarioInput["existing"] => [{ endpoint, deployments: [{ name: "blue", traffic: 100 }, { name: "green" }] }];

/** The Metrics API's per-minute totals of `metric`, one series per value of the filter's dimensions. */
async function perMinute(sim: Simulator, endpoint: string, metric: string, filter: string, from: number, to: number): Promise<Record<string, (number | undefined)[]>> {
  const path = wsPath(sim.workspace, `/onlineEndpoints/${endpoint}`);
  const query = `api-version=2018-01-01&timespan=${encodeURIComponent(`${iso(from)}/${iso(to)}`)}&interval=PT1M&metricnames=${metric}&aggregation=Total&$filter=${encodeURIComponent(filter)}`;
  const answer = await raw(sim, "GET", `${path}/providers/Microsoft.Insights/metrics?${query}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const series = (answer.body as MetricsBody).value[0]!.timeseries;
  return Object.fromEntries(series.map((s) => [s.metadatavalues.map((m) => m.value).join("/"), (s.data ?? []).map((p) => p.total)]));
}

/** PUT of the endpoint at 2024-10-01 (the api-version with mirrorTraffic); the update ends 30 s later. */
async function putMirror(sim: Simulator, clock: VirtualClock, endpoint: string, traffic: Record<string, number>, mirrorTraffic: Record<string, number>) {
  const path = wsPath(sim.workspace, `/onlineEndpoints/${endpoint}`);
  const answer = await raw(sim, "PUT", `${path}?api-version=2024-10-01`, { body: { location: "eastus", properties: { authMode: "Key", traffic, mirrorTraffic } } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  clock.advanceBy(30_000);
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("mirrored traffic", () => {
  it("synthetic load: 20% mirrored to green shows ~12 calls a minute for green and 60 for blue, by the mirror split in force each minute, and none once it is 0", async () => {
    const clock = new VirtualClock(new Date(T0));
    sim = await startSimulator({
      clock,
      scenario: {
        latency: { trafficUpdateSeconds: 30 },
        existing: blueLiveGreenIdle("mirror-ep"),
        load: { requestsPerMinute: 60 },
        scoringBehaviour: [{ deployment: "green", latencyMs: 900, errorRatePercent: 50 }],
      },
    });
    clock.advanceTo(new Date(T0 + 5 * 60_000));
    // Takes effect when the update ends, at 00:05:30; turned off by the update that ends at 00:15:30.
    await putMirror(sim, clock, "mirror-ep", { blue: 100, green: 0 }, { green: 20 });
    clock.advanceTo(new Date(T0 + 15 * 60_000));
    await putMirror(sim, clock, "mirror-ep", { blue: 100, green: 0 }, { green: 0 });
    clock.advanceTo(new Date(T0 + 20 * 60_000));

    const calls = await perMinute(sim, "mirror-ep", "RequestsPerMinute", "deployment eq '*'", 0, 20);
    expect(calls["blue"]).toEqual(Array(20).fill(60));
    expect(calls["green"]!.slice(0, 5)).toEqual(Array(5).fill(0));
    // 00:05: thirty calls after the update ended, a fifth of them copied.
    expect(calls["green"]![5]).toBe(6);
    expect(calls["green"]!.slice(6, 15)).toEqual(Array(9).fill(12));
    expect(calls["green"]![15]).toBe(6);
    expect(calls["green"]!.slice(16)).toEqual(Array(4).fill(0));

    // The copies are green's calls: its errors and its latency, split by deployment.
    const classes = await perMinute(sim, "mirror-ep", "RequestsPerMinute", "deployment eq '*' and statusCodeClass eq '*'", 6, 15);
    expect(classes["green/4xx"]).toEqual(Array(9).fill(6));
    expect(classes["green/2xx"]).toEqual(Array(9).fill(6));
    expect(classes["blue/2xx"]).toEqual(Array(9).fill(60));
    expect(classes["blue/4xx"]).toBeUndefined();
    const p95 = await perMinute(sim, "mirror-ep", "RequestLatency_P95", "deployment eq '*'", 6, 8);
    expect(p95).toEqual({ blue: [120, 120], green: [900, 900] });
    // Copies are not HTTP requests: the request log has no scoring call.
    expect(sim.requestCounts()["score"]).toBeUndefined();
  });

  it("a caller without the header gets blue's answer while the failing mirrored green records its errors; a call naming a deployment is not mirrored", async () => {
    const clock = new VirtualClock(new Date(T0));
    sim = await startSimulator({
      clock,
      scenario: {
        existing: [{ endpoint: "shadow-ep", deployments: [{ name: "blue", traffic: 100 }, { name: "green", mirrorTraffic: 50 }] }],
        scoringBehaviour: [{ deployment: "green", errorRatePercent: 100 }],
      },
    });
    const c = clientsFor(sim);
    const keys = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "shadow-ep");
    const call = (deployment?: string) =>
      c.scoring.score({ scoringUri: sim!.scoringUri("shadow-ep"), secret: keys.primaryKey ?? "", input: { url: "https://x.example/" }, ...(deployment ? { deployment } : {}) });

    for (let i = 0; i < 10; i++) {
      const answer = await call();
      expect(answer.status).toBe(200);
      expect(answer.headers["azureml-model-deployment"]).toBe("blue");
    }
    // Named deployments: not mirrored. A call naming green is green's own (and fails, as green does).
    for (let i = 0; i < 4; i++) expect((await call("blue")).status).toBe(200);
    expect((await call("green")).status).toBe(424);
    clock.advanceBy(60_000);

    const byStatus = await perMinute(sim, "shadow-ep", "RequestsPerMinute", "deployment eq '*' and statusCode eq '*'", 0, 1);
    // Half of the 10 routed calls copied to green (all failing), plus the one call that named it.
    expect(byStatus).toEqual({ "blue/200": [14], "green/424": [6] });
    expect(sim.requestCounts()["score"]).toBe(15);
  });

  it("a copy takes only the injected faults that name its deployment: the callers' faults keep their count", async () => {
    const clock = new VirtualClock(new Date(T0));
    sim = await startSimulator({
      clock,
      scenario: {
        existing: [{ endpoint: "faulty-ep", deployments: [{ name: "blue", traffic: 100 }, { name: "green", mirrorTraffic: 50 }] }],
        faults: [
          { op: "score", status: 503, times: 2 },
          { op: "score", deployment: "green", status: 500, times: -1 },
        ],
      },
    });
    const c = clientsFor(sim);
    const keys = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "faulty-ep");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.scoring.score({ scoringUri: sim.scoringUri("faulty-ep"), secret: keys.primaryKey ?? "", input: { url: "https://x.example/" } })).status);
    expect(statuses).toEqual([503, 503, 200, 200, 200, 200]);
    clock.advanceBy(60_000);
    expect(await perMinute(sim, "faulty-ep", "RequestsPerMinute", "deployment eq '*' and statusCode eq '*'", 0, 1)).toEqual({ "blue/200": [4], "blue/503": [2], "green/500": [3] });
  });

  it("an endpoint update that fails leaves the mirror split in force before it", async () => {
    const clock = new VirtualClock(new Date(T0));
    sim = await startSimulator({
      clock,
      scenario: {
        latency: { trafficUpdateSeconds: 30 },
        existing: blueLiveGreenIdle("failing-ep"),
        load: { requestsPerMinute: 60 },
        faults: [{ op: "onlineEndpoints.createOrUpdate", endpoint: "failing-ep", provisioningError: "InternalServerError" }],
      },
    });
    clock.advanceTo(new Date(T0 + 60_000));
    await putMirror(sim, clock, "failing-ep", { blue: 100, green: 0 }, { green: 20 });
    clock.advanceTo(new Date(T0 + 4 * 60_000));
    expect(sim.state().operations.at(-1)).toMatchObject({ status: "Failed" });
    const calls = await perMinute(sim, "failing-ep", "RequestsPerMinute", "deployment eq '*'", 0, 4);
    expect(calls).toEqual({ blue: [60, 60, 60, 60] });
  });

  it("the mirror history survives the state file: a simulator restarted before the load was served copies by the split in force at each minute", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flowdeploy-sim-mirror-"));
    try {
      const stateFile = join(dir, "state.json");
      const clock = new VirtualClock(new Date(T0));
      const scenario = { latency: { trafficUpdateSeconds: 30 }, existing: [{ endpoint: "kept-ep", deployments: [{ name: "blue", traffic: 100 }, { name: "green", mirrorTraffic: 20 }] }], load: { requestsPerMinute: 60 } };
      const first = await startSimulator({ clock, stateFile, scenario });
      clock.advanceTo(new Date(T0 + 3 * 60_000));
      await putMirror(first, clock, "kept-ep", { blue: 100, green: 0 }, { green: 0 });
      await first.close();

      clock.advanceTo(new Date(T0 + 6 * 60_000));
      sim = await startSimulator({ clock, stateFile });
      const calls = await perMinute(sim, "kept-ep", "RequestsPerMinute", "deployment eq '*'", 0, 6);
      expect(calls["blue"]).toEqual(Array(6).fill(60));
      // The seeded 20% until the update ended at 00:03:30, then nothing.
      expect(calls["green"]).toEqual([12, 12, 12, 6, 0, 0]);
      await sim.close();

      // Mirrored again after a second restart: the round-robin position was kept as well.
      sim = await startSimulator({ clock, stateFile });
      await putMirror(sim, clock, "kept-ep", { blue: 100, green: 0 }, { green: 10 });
      await sim.close();
      clock.advanceTo(new Date(T0 + 9 * 60_000));
      sim = await startSimulator({ clock, stateFile });
      const later = await perMinute(sim, "kept-ep", "RequestsPerMinute", "deployment eq 'green'", 7, 9);
      expect(later["green"]).toEqual([6, 6]);
    } finally {
      await sim?.close();
      sim = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
