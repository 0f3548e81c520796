import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, type SimulatorStateView } from "../../src/local/simulator";
import { createEndpoint, grantSecretsReader, registerModel } from "./support/flows";
import { clientsFor, POLL, raw } from "./support/harness";

/**
 * A crashed simulator restarted with the same state file sees the same Azure: resources, traffic,
 * keys, role assignments with their creation times, running operations, fault counts, request log.
 */
describe("state file", () => {
  const dir = mkdtempSync(join(tmpdir(), "flowdeploy-sim-state-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("survives a restart, including an operation that was still running", async () => {
    const stateFile = join(dir, "state.json");
    const clock = new VirtualClock("2026-08-01T00:00:00Z");
    const first = await startSimulator({
      clock,
      stateFile,
      scenario: { faults: [{ op: "workspaces.get", status: 503, times: 3 }] },
    });
    const c = clientsFor(first);
    const ep = await createEndpoint(c, clock, "persisted");
    await grantSecretsReader(c, ep.identity?.principalId ?? "");
    const model = await registerModel(c, "kept", "1");
    await c.ml.onlineDeployments.beginCreateOrUpdate(
      c.ws.resourceGroup, c.ws.workspace, "persisted", "blue",
      { location: "eastus", properties: { endpointComputeType: "Managed", model } as never }, POLL,
    );
    await raw(first, "GET", `/subscriptions/${c.ws.subscriptionId}/resourceGroups/${c.ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${c.ws.workspace}?api-version=2022-10-01`);
    const keys = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "persisted");
    const before = first.state();
    const requestsBefore = first.requests();
    expect(existsSync(stateFile)).toBe(true);
    // Simulate a crash: the file was written after every request; closing adds nothing new.
    await first.close();
    expect(readdirSync(dir)).toEqual(["state.json"]); // atomic writes leave no temp files

    const second = await startSimulator({ clock, stateFile });
    try {
      const after: SimulatorStateView = second.state();
      expect(after.endpoints).toEqual(before.endpoints.map((e) => ({ ...e, scoringUri: e.scoringUri?.replace(first.url, second.url) ?? null })));
      expect(after.roleAssignments).toEqual(before.roleAssignments);
      expect(after.models).toEqual(before.models);
      expect(after.operations).toEqual(before.operations);
      expect(after.faults[0]?.remaining).toBe(2);
      expect(second.requests()).toEqual(requestsBefore);
      expect(second.secrets()).toEqual(first.secrets());

      const c2 = clientsFor(second);
      expect((await c2.ml.onlineEndpoints.listKeys(c2.ws.resourceGroup, c2.ws.workspace, "persisted")).primaryKey).toBe(keys.primaryKey);
      // The deployment started before the crash finishes on schedule after it.
      expect((await c2.ml.onlineDeployments.get(c2.ws.resourceGroup, c2.ws.workspace, "persisted", "blue")).properties.provisioningState).toBe("Creating");
      clock.advanceBy(720_000);
      expect((await c2.ml.onlineDeployments.get(c2.ws.resourceGroup, c2.ws.workspace, "persisted", "blue")).properties.provisioningState).toBe("Succeeded");
      // The grant's createdOn survived too: 720 s after it, propagation (900 s) is not done yet.
      const request = { scoringUri: second.scoringUri("persisted"), secret: keys.primaryKey ?? "", input: { url: "https://x.example/" }, deployment: "blue" };
      expect((await c2.scoring.score(request)).status).toBe(424);
      clock.advanceBy(180_000);
      expect((await c2.scoring.score(request)).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it("a scenario only seeds a new state file; an existing file wins", async () => {
    const stateFile = join(dir, "seeded.json");
    const clock = new VirtualClock();
    const a = await startSimulator({ clock, stateFile, scenario: { existing: [{ endpoint: "seeded-ep" }] } });
    await a.close();
    const b = await startSimulator({ clock, stateFile, scenario: { existing: [{ endpoint: "other-ep" }] } });
    try {
      expect(b.state().endpoints.map((e) => e.name)).toEqual(["seeded-ep"]);
    } finally {
      await b.close();
    }
  });
});

describe("inspection endpoints", () => {
  it("GET /_simulator/state and /_simulator/requests show resources, keys, assignments and calls", async () => {
    const clock = new VirtualClock();
    const sim = await startSimulator({ clock, scenario: { existing: [{ endpoint: "inspect-ep", deployments: [{ name: "blue", traffic: 100 }] }] } });
    try {
      await raw(sim, "GET", "/nothing/here");
      const state = (await raw(sim, "GET", "/_simulator/state", { auth: false })).body as SimulatorStateView;
      expect(state.endpoints[0]).toMatchObject({ name: "inspect-ep", provisioningState: "Succeeded", traffic: { blue: 100 }, effectiveTraffic: { blue: 100 } });
      expect(state.endpoints[0]?.keys.primaryKey).toBe(sim.secrets()[0]);
      expect(state.roleAssignments[0]).toMatchObject({ roleName: "Azure Machine Learning Workspace Connection Secrets Reader", createdOn: expect.any(String) });
      const requests = (await raw(sim, "GET", "/_simulator/requests", { auth: false })).body as { value: Array<Record<string, unknown>>; counts: Record<string, number> };
      expect(requests.value).toEqual([
        { seq: 1, time: clock.now().toISOString(), wallTime: expect.any(String), method: "GET", path: "/nothing/here", operation: "unknown", status: 404, durationMs: expect.any(Number) },
      ]);
      expect(requests.counts).toEqual({ unknown: 1 });
      // Inspection calls are not themselves logged.
      expect(sim.requests()).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });
});
