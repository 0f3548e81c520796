import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { CONNECTION_SECRETS_READER_ROLE_ID, startSimulator, workspaceId, type ScenarioInput, type Simulator } from "../../src/local/simulator";
import { createEndpoint } from "./support/flows";
import { clientsFor, raw, roleDefinitionId, sdkError, wsPath, ML } from "./support/harness";

/**
 * Injected faults against the real SDK: its throttling retry honours Retry-After on 429, its
 * exponential retry covers 5xx and connection resets, and everything else reaches the caller.
 */

async function withSim(scenario: ScenarioInput, run: (sim: Simulator, clock: VirtualClock) => Promise<void>): Promise<void> {
  const clock = new VirtualClock();
  const sim = await startSimulator({ clock, scenario: { polling: { locationRetryAfterSeconds: 0 }, ...scenario } });
  try {
    await run(sim, clock);
  } finally {
    await sim.close();
  }
}

describe("faults", () => {
  it("429 with Retry-After is recovered by the SDK's own throttling retry", async () => {
    await withSim({ faults: [{ op: "*", status: 429, retryAfterSeconds: 0, times: 3 }] }, async (sim) => {
      const c = clientsFor(sim);
      const ws = await c.ml.workspaces.get(c.ws.resourceGroup, c.ws.workspace);
      expect(ws.name).toBe(c.ws.workspace);
      const log = sim.requests({ operation: "workspaces.get" });
      expect(log.map((r) => r.status)).toEqual([429, 429, 429, 200]);
      expect(log.slice(0, 3).every((r) => r.fault === "status")).toBe(true);
      expect(sim.state().faults[0]?.remaining).toBe(0);
    });
  });

  it("the SDK really waits for Retry-After: 1 before retrying", async () => {
    await withSim({ faults: [{ op: "workspaces.get", status: 429, retryAfterSeconds: 1 }] }, async (sim) => {
      const c = clientsFor(sim);
      const started = Date.now();
      await c.ml.workspaces.get(c.ws.resourceGroup, c.ws.workspace);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      const [throttled] = sim.requests({ operation: "workspaces.get" });
      expect(throttled?.status).toBe(429);
    });
  });

  it("the throttling answer has ARM's code, message and Retry-After header", async () => {
    await withSim({ faults: [{ op: "workspaces.*", status: 429, retryAfterSeconds: 7 }] }, async (sim) => {
      const answer = await raw(sim, "GET", `${wsPath(sim.workspace)}${ML}`);
      expect(answer.status).toBe(429);
      expect(answer.headers["retry-after"]).toBe("7");
      expect(answer.body).toEqual({ error: { code: "SubscriptionRequestsThrottled", message: expect.stringContaining("'7' seconds") } });
      expect((await raw(sim, "GET", `${wsPath(sim.workspace)}${ML}`)).status).toBe(200);
    });
  });

  it("429 without Retry-After and times -1 reaches the caller; a 503 once is retried", async () => {
    await withSim(
      {
        faults: [
          { op: "onlineEndpoints.get", status: 429, times: -1 },
          { op: "onlineEndpoints.list", status: 503, times: 1 },
        ],
      },
      async (sim) => {
        const c = clientsFor(sim);
        expect(await sdkError(c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "x"))).toMatchObject({ statusCode: 429 });
        expect(sim.requests({ operation: "onlineEndpoints.get" })).toHaveLength(1);
        const names: string[] = [];
        for await (const e of c.ml.onlineEndpoints.list(c.ws.resourceGroup, c.ws.workspace)) names.push(e.name ?? "");
        expect(sim.requests({ operation: "onlineEndpoints.list" }).map((r) => r.status)).toEqual([503, 200]);
        expect(sim.state().faults[0]?.remaining).toBe(-1);
      },
    );
  });

  it("a reset connection is retried by the SDK and logged as status 0", async () => {
    await withSim({ faults: [{ op: "modelVersions.createOrUpdate", reset: true, times: 2 }] }, async (sim) => {
      const c = clientsFor(sim, 5);
      const v = await c.ml.modelVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "m", "1", { properties: { modelUri: "azureml://m/" } });
      expect(v.name).toBe("1");
      const log = sim.requests({ operation: "modelVersions.createOrUpdate" });
      expect(log.map((r) => [r.status, r.fault ?? null])).toEqual([
        [0, "reset"],
        [0, "reset"],
        [201, null],
      ]);
    });
  });

  it("code and message overrides: PrincipalNotFound once on roleAssignments.create", async () => {
    await withSim({ faults: [{ op: "roleAssignments.create", status: 400, code: "PrincipalNotFound", message: "Principal x does not exist", times: 1 }] }, async (sim) => {
      const c = clientsFor(sim);
      const create = () =>
        c.authz.roleAssignments.create(workspaceId(c.ws), randomUUID(), {
          roleDefinitionId: roleDefinitionId(c.ws, CONNECTION_SECRETS_READER_ROLE_ID),
          principalId: randomUUID(),
          principalType: "ServicePrincipal",
        });
      expect(await sdkError(create())).toMatchObject({ statusCode: 400, code: "PrincipalNotFound", message: "Principal x does not exist" });
      await expect(create()).resolves.toMatchObject({ principalType: "ServicePrincipal" });
    });
  });

  it("an endpoint name taken in the region answers 409, by scenario or by another workspace", async () => {
    await withSim({ takenEndpointNames: ["popular-name"] }, async (sim, clock) => {
      const c = clientsFor(sim);
      const taken = await sdkError(
        c.ml.onlineEndpoints.beginCreateOrUpdate(c.ws.resourceGroup, c.ws.workspace, "popular-name", { location: "eastus", properties: { authMode: "Key" } }),
      );
      expect(taken).toMatchObject({ statusCode: 409, code: "Conflict" });
      expect(taken.message).toContain("unique within an Azure region");
      await createEndpoint(c, clock, "mine");
      const otherWs = await sdkError(
        c.ml.onlineEndpoints.beginCreateOrUpdate(c.ws.resourceGroup, "another-ws", "mine", { location: "eastus", properties: { authMode: "Key" } }),
      );
      expect(otherWs.statusCode).toBe(409);
    });
  });

  it("endpoint filters and afterSeconds select which requests fail", async () => {
    await withSim(
      {
        faults: [
          { op: "onlineEndpoints.get", endpoint: "target", status: 500, code: "InternalError", times: -1 },
          { op: "onlineEndpoints.listKeys", status: 403, afterSeconds: 600, times: -1 },
        ],
      },
      async (sim, clock) => {
        const other = await raw(sim, "GET", `${wsPath(sim.workspace, "/onlineEndpoints/other")}${ML}`);
        expect(other.status).toBe(404);
        const target = await raw(sim, "GET", `${wsPath(sim.workspace, "/onlineEndpoints/TARGET")}${ML}`);
        expect(target.status).toBe(500);
        expect((target.body as { error: { code: string } }).error.code).toBe("InternalError");

        await createEndpoint(clientsFor(sim), clock, "keyed");
        const path = `${wsPath(sim.workspace, "/onlineEndpoints/keyed/listKeys")}${ML}`;
        expect((await raw(sim, "POST", path)).status).toBe(200);
        clock.advanceBy(600_000);
        expect((await raw(sim, "POST", path)).status).toBe(403);
      },
    );
  });

  it("faults can be added at run time, in-process or over HTTP, and are validated", async () => {
    await withSim({}, async (sim) => {
      sim.injectFault({ op: "workspaces.get", status: 503, times: 1 });
      expect(() => sim.injectFault({ op: "nope.get", status: 500 } as never)).toThrow(/unknown operation 'nope.get'/);
      const bad = await raw(sim, "POST", "/_simulator/faults", { body: { op: "score", status: 500, reset: true } });
      expect(bad.status).toBe(400);
      const added = await raw(sim, "POST", "/_simulator/faults", { body: { op: "score", deployment: "green", status: 424 } });
      expect(added.status).toBe(201);
      expect(sim.state().faults.map((f) => f.op)).toEqual(["workspaces.get", "score"]);
      expect((await raw(sim, "GET", `${wsPath(sim.workspace)}${ML}`)).status).toBe(503);
    });
  });
});
