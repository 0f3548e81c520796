import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, type Simulator } from "../../src/local/simulator";
import { parseScenario, scenarioJsonSchema, type ScenarioInput } from "../../src/local/simulator/scenario";
import { setTraffic } from "./support/flows";
import { clientsFor, raw, repoRoot, wsPath } from "./support/harness";

/**
 * scoringBehaviour[].latencyAboveShare: a deployment whose reported latency rises with its share of
 * the endpoint's traffic, so "a canary that fails on latency only at 50%" can be written
 * (samples/scenarios/canary-latency-at-50.json: 150 ms up to 40%, 2500 ms above).
 */

const T0 = Date.parse("2026-10-01T00:00:00Z");
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString().replace(".000Z", "Z");

const sample = JSON.parse(readFileSync(join(repoRoot, "samples/scenarios/canary-latency-at-50.json"), "utf8")) as ScenarioInput;

interface MetricsBody {
  value: { timeseries: { metadatavalues: { value: string }[]; data?: { average?: number }[] }[] }[];
}

async function p95ByDeployment(sim: Simulator, endpoint: string, from: number, to: number): Promise<Record<string, (number | undefined)[]>> {
  const path = wsPath(sim.workspace, `/onlineEndpoints/${endpoint}`);
  const query = `api-version=2018-01-01&timespan=${encodeURIComponent(`${iso(from)}/${iso(to)}`)}&interval=PT1M&metricnames=RequestLatency_P95&aggregation=Average&$filter=${encodeURIComponent("deployment eq '*'")}`;
  const answer = await raw(sim, "GET", `${path}/providers/Microsoft.Insights/metrics?${query}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return Object.fromEntries((answer.body as MetricsBody).value[0]!.timeseries.map((s) => [s.metadatavalues[0]!.value, (s.data ?? []).map((p) => p.average)]));
}

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("latency that depends on the deployment's share of the traffic", () => {
  it("the sample's green: P95 150 ms at a 25% share, 2500 ms at 50%", async () => {
    const clock = new VirtualClock(new Date(T0));
    sim = await startSimulator({
      clock,
      scenario: {
        ...sample,
        latency: { trafficUpdateSeconds: 30 },
        // The canary's 25% step, as the pipeline would have left it.
        existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 75, model: "web-classification-model:3" }, { name: "green", traffic: 25, model: "web-classification-model:3" }] }],
      },
    });
    const c = clientsFor(sim);
    clock.advanceTo(new Date(T0 + 10 * 60_000));
    // The next step: 50/50 from 00:10:30.
    await setTraffic(c, clock, "web-classify", { blue: 50, green: 50 });
    clock.advanceTo(new Date(T0 + 20 * 60_000));

    const p95 = await p95ByDeployment(sim, "web-classify", 0, 20);
    expect(p95["green"]!.slice(0, 10)).toEqual(Array(10).fill(150));
    // 00:10: 7 or 8 calls at 25% (150 ms), then 15 at 50% (2500 ms): the P95 is the slow one.
    expect(p95["green"]!.slice(10)).toEqual(Array(10).fill(2500));
    expect(p95["blue"]).toEqual(Array(20).fill(120));
  });

  it("mirrored copies load the deployment too: 20% mirrored reports 150 ms, 50% mirrored 2500 ms", async () => {
    const clock = new VirtualClock(new Date(T0));
    sim = await startSimulator({
      clock,
      scenario: {
        latency: { trafficUpdateSeconds: 30 },
        existing: [{ endpoint: "shadow-ep", deployments: [{ name: "blue", traffic: 100 }, { name: "green", mirrorTraffic: 20 }] }],
        load: { requestsPerMinute: 60 },
        scoringBehaviour: sample.scoringBehaviour,
      },
    });
    clock.advanceTo(new Date(T0 + 5 * 60_000));
    const answer = await raw(sim, "PUT", `${wsPath(sim.workspace, "/onlineEndpoints/shadow-ep")}?api-version=2024-10-01`, {
      body: { location: "eastus", properties: { authMode: "Key", traffic: { blue: 100, green: 0 }, mirrorTraffic: { green: 50 } } },
    });
    expect(answer.status).toBe(200);
    clock.advanceTo(new Date(T0 + 10 * 60_000));

    const p95 = await p95ByDeployment(sim, "shadow-ep", 0, 10);
    expect(p95["green"]).toEqual([150, 150, 150, 150, 150, 2500, 2500, 2500, 2500, 2500]);
  });

  it("a call naming green keeps green's share of the split: a smoke test of a 0% deployment reports the low latency", async () => {
    const clock = new VirtualClock(new Date(T0));
    sim = await startSimulator({
      clock,
      scenario: { existing: [{ endpoint: "smoke-ep", deployments: [{ name: "blue", traffic: 100 }, { name: "green" }] }], scoringBehaviour: sample.scoringBehaviour },
    });
    const c = clientsFor(sim);
    const keys = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "smoke-ep");
    for (let i = 0; i < 5; i++) {
      const r = await c.scoring.score({ scoringUri: sim.scoringUri("smoke-ep"), secret: keys.primaryKey ?? "", input: { url: "https://x.example/" }, deployment: "green" });
      expect(r.status).toBe(200);
    }
    clock.advanceBy(60_000);
    expect(await p95ByDeployment(sim, "smoke-ep", 0, 1)).toEqual({ green: [150] });
  });

  it("the scenario schema and the validator agree on latencyAboveShare", () => {
    const schemaAccepts = new Ajv2020({ allErrors: true }).addFormat("uuid", /^[0-9a-f-]{36}$/i).compile(scenarioJsonSchema());
    const withAbove = (latencyAboveShare: unknown) => ({ scoringBehaviour: [{ deployment: "green", latencyMs: 150, latencyAboveShare }] });
    for (const valid of [{ sharePercent: 40, latencyMs: 2500 }, { sharePercent: 0, latencyMs: 0 }, { sharePercent: 99, latencyMs: 600_000 }]) {
      expect(parseScenario(withAbove(valid)).ok, JSON.stringify(valid)).toBe(true);
      expect(schemaAccepts(withAbove(valid)), JSON.stringify(valid)).toBe(true);
    }
    for (const invalid of [{ sharePercent: 100, latencyMs: 2500 }, { sharePercent: 40.5, latencyMs: 2500 }, { sharePercent: -1, latencyMs: 2500 }, { sharePercent: 40 }, { latencyMs: 2500 }, { sharePercent: 40, latencyMs: -1 }, { sharePercent: 40, latencyMs: 2500, extra: 1 }]) {
      expect(parseScenario(withAbove(invalid)).ok, JSON.stringify(invalid)).toBe(false);
      expect(schemaAccepts(withAbove(invalid)), JSON.stringify(invalid)).toBe(false);
    }
    expect(parseScenario(sample).ok).toBe(true);
  });
});
