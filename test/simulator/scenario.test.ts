import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import {
  DEFAULT_LATENCY,
  loadScenarioFile,
  parseScenario,
  scenarioJsonSchema,
  startSimulator,
} from "../../src/local/simulator";
import { clientsFor, repoRoot } from "./support/harness";

const samplesDir = join(repoRoot, "samples", "scenarios");

describe("scenario files", () => {
  it("every sample in samples/scenarios is valid", () => {
    const files = readdirSync(samplesDir).filter((f) => f.endsWith(".json"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const parsed = loadScenarioFile(join(samplesDir, file));
      expect(parsed.ok ? [] : parsed.errors, file).toEqual([]);
    }
  });

  it("names the field of every problem", () => {
    const parsed = parseScenario({
      latency: { endpointSeconds: -1 },
      existing: [{ endpoint: "ep", deployments: [{ name: "blue", traffic: 60 }, { name: "green", traffic: 30, model: "ghost:1" }] }],
      faults: [
        { op: "onlineEndpoint.create", status: 500 },
        { op: "score", status: 500, reset: true },
        { op: "roleAssignments.create", provisioningError: "ImagePullFailure" },
        { op: "*", status: 429, times: 0 },
      ],
      surprise: true,
    });
    expect(parsed.ok).toBe(false);
    const errors = parsed.ok ? [] : parsed.errors;
    const has = (prefix: string, text?: string) =>
      expect(errors.some((e) => e.startsWith(prefix) && (text === undefined || e.includes(text))), `${prefix} in\n${errors.join("\n")}`).toBe(true);
    has("latency.endpointSeconds:");
    has("existing[0].deployments:", "sums to 90");
    has("faults[0].op:", "unknown operation 'onlineEndpoint.create'");
    has("faults[1]:", "exactly one of status, reset or provisioningError");
    has("faults[2].op:", "provisioningError applies only");
    has("faults[3].times:");
    has("(scenario):", "surprise");
  });

  it("reports cross references and unreadable files", () => {
    const parsed = parseScenario({ existing: [{ endpoint: "web-ep", deployments: [{ name: "blue", traffic: 100, model: "ghost:1" }] }] });
    expect(parsed.ok ? [] : parsed.errors).toEqual(["existing[0].deployments[0].model: model 'ghost:1' is not listed in models"]);
    const missing = loadScenarioFile(join(samplesDir, "does-not-exist.json"));
    expect(missing.ok ? [] : missing.errors[0]).toMatch(/does-not-exist\.json: cannot read/);
  });

  it("exports a JSON Schema with the fault operations enumerated", () => {
    const schema = scenarioJsonSchema() as { properties: Record<string, { items?: { properties?: Record<string, { enum?: string[] }> } }> };
    const ops = schema.properties["faults"]?.items?.properties?.["op"]?.enum ?? [];
    expect(ops).toEqual(expect.arrayContaining(["*", "score", "onlineEndpoints.createOrUpdate", "roleAssignments.create", "onlineDeployments.*"]));
  });

  it("seeds existing endpoints, deployments, traffic and models, ready to score at once", async () => {
    const clock = new VirtualClock();
    const parsed = loadScenarioFile(join(samplesDir, "existing-endpoint-blue.json"));
    if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
    const sim = await startSimulator({ clock, scenario: parsed.value });
    try {
      const c = clientsFor(sim);
      const ep = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "web-classify");
      expect(ep.properties).toMatchObject({ provisioningState: "Succeeded", traffic: { blue: 100 }, authMode: "Key" });
      expect(ep.identity?.principalId).toMatch(/^[0-9a-f-]{36}$/);
      const blue = await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "web-classify", "blue");
      expect(blue.properties.provisioningState).toBe("Succeeded");
      expect((blue.properties as { model?: string }).model).toMatch(/\/models\/web-classification-model\/versions\/3$/);
      const v = await c.ml.modelVersions.get(c.ws.resourceGroup, c.ws.workspace, "web-classification-model", "3");
      expect(v.properties.properties).toEqual({ "azureml.promptflow.mode": "standard" });
      const keys = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "web-classify");
      const answer = await c.scoring.score({ scoringUri: ep.properties.scoringUri ?? "", secret: keys.primaryKey ?? "", input: { url: "https://arxiv.org/abs/2401.00001" } });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ category: "Academic", evidence: "Text content" });
    } finally {
      await sim.close();
    }
  });

  it("uses Azure's realistic durations unless the scenario overrides them", async () => {
    expect(DEFAULT_LATENCY).toMatchObject({ endpointSeconds: 90, deploymentSeconds: 720, propagationSeconds: 900 });
    const sim = await startSimulator({ clock: new VirtualClock(), scenario: { latency: { deploymentSeconds: 60 }, workspace: { subscriptionId: "s", resourceGroup: "r", name: "w" } } });
    try {
      expect(sim.state().latency).toMatchObject({ endpointSeconds: 90, deploymentSeconds: 60, deploymentUpdateSeconds: 60, propagationSeconds: 900 });
      expect(sim.workspace).toEqual({ subscriptionId: "s", resourceGroup: "r", workspace: "w" });
    } finally {
      await sim.close();
    }
    await expect(startSimulator({ scenario: { faults: [{ op: "bogus" }] } as never })).rejects.toThrow(/invalid simulator scenario/);
  });
});
