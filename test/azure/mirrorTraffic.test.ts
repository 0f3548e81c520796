import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, type Simulator } from "../../src/local/simulator";
import { getOnlineEndpoint, ML_CURRENT_API_VERSION, putOnlineEndpoint } from "../../src/azure/mlOperations";
import { endpointPutBody } from "../../src/activities/endpointBody";
import { clientsFor, raw, wsPath } from "../simulator/support/harness";
import { deploy } from "../support/localRun";

/**
 * Issue 13 item 9 (and 7 for mirror traffic): `mirrorTraffic` is not in api-version 2022-10-01 (the
 * SDK 2.1.1's), so endpoints are read and PUT at 2024-10-01 through the SDK client's pipeline. The
 * simulator speaks both: at 2022-10-01 GET does not show the mirror and a PUT drops it (the
 * safe-rollout how-to's warning about older clients).
 */
const mirrored = {
  existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }, { name: "shadow", traffic: 0, mirrorTraffic: 10 }] }],
};

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("mirror traffic survives a flowdeploy rollout", () => {
  it("the traffic shift keeps the mirror to another deployment", async () => {
    const run = await deploy({ scenario: mirrored });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100, shadow: 0 } });
    expect(run.state.endpoints[0]).toMatchObject({ traffic: { blue: 0, green: 100, shadow: 0 }, mirrorTraffic: { shadow: 10 } });
    expect(run.requests.filter((r) => r.operation === "onlineEndpoints.createOrUpdate").map((r) => r.apiVersion)).toEqual([ML_CURRENT_API_VERSION]);
  });

  it("a deployment that now takes live traffic stops being mirrored to (Azure refuses both)", () => {
    const body = endpointPutBody({ location: "eastus", properties: { authMode: "Key", traffic: { blue: 100 }, mirrorTraffic: { green: 20 } } }, { blue: 0, green: 100 });
    expect(body.properties.mirrorTraffic).toEqual({ green: 0 });
  });
});

describe("the simulator's endpoint api-versions", () => {
  const seeded = async () => {
    sim = await startSimulator({ clock: new VirtualClock("2026-06-01T00:00:00Z"), scenario: mirrored });
    return `${wsPath(sim.workspace, "/onlineEndpoints/web-classify")}`;
  };

  it("2022-10-01 shows no mirrorTraffic, and its PUT drops the mirror (why flowdeploy does not use it)", async () => {
    const path = await seeded();
    const old = await raw(sim!, "GET", `${path}?api-version=2022-10-01`);
    expect((old.body as { properties: Record<string, unknown> }).properties).not.toHaveProperty("mirrorTraffic");
    // The SDK 2.1.1's typed PUT of what it read: mirrorTraffic cannot be in it.
    const c = clientsFor(sim!);
    const read = await c.ml.onlineEndpoints.get(sim!.workspace.resourceGroup, sim!.workspace.workspace, "web-classify");
    await c.ml.onlineEndpoints.beginCreateOrUpdate(sim!.workspace.resourceGroup, sim!.workspace.workspace, "web-classify", { ...read, properties: { ...read.properties, mirrorTraffic: { shadow: 10 } } as never });
    expect(sim!.state().endpoints[0]!.mirrorTraffic).toEqual({});
  });

  it("2024-10-01 shows it, and flowdeploy's PUT of what it read keeps it", async () => {
    const path = await seeded();
    const current = await raw(sim!, "GET", `${path}?api-version=2024-10-01`);
    expect((current.body as { properties: Record<string, unknown> }).properties["mirrorTraffic"]).toEqual({ shadow: 10 });
    const c = clientsFor(sim!);
    const read = await getOnlineEndpoint(c.ml, sim!.workspace.resourceGroup, sim!.workspace.workspace, "web-classify");
    expect(read.properties.mirrorTraffic).toEqual({ shadow: 10 });
    await putOnlineEndpoint(c.ml, sim!.workspace.resourceGroup, sim!.workspace.workspace, "web-classify", endpointPutBody(read, { blue: 100, shadow: 0 }));
    expect(sim!.state().endpoints[0]!.mirrorTraffic).toEqual({ shadow: 10 });
  });

  it.each([
    ["more than 50%", { shadow: 60 }, "between 0 and 50"],
    ["a deployment that does not exist", { shadow: 10, other: 5 }, "does not exist"],
    ["a deployment with live traffic", { blue: 10 }, "live traffic or mirror traffic, not both"],
  ])("2024-10-01 refuses a mirror of %s with a 400 BadArgument", async (_label, mirrorTraffic, message) => {
    const path = await seeded();
    const c = clientsFor(sim!);
    const read = await getOnlineEndpoint(c.ml, sim!.workspace.resourceGroup, sim!.workspace.workspace, "web-classify");
    const body = { ...read, properties: { ...endpointPutBody(read, { blue: 100, shadow: 0 }).properties, mirrorTraffic } };
    const answer = await raw(sim!, "PUT", `${path}?api-version=2024-10-01`, { body });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: "BadArgument" } });
    expect(JSON.stringify(answer.body)).toContain(message);
  });

  it("the SDK pipeline maps an ARM error of the current api-version to a RestError with its code", async () => {
    await seeded();
    const c = clientsFor(sim!);
    const err = await getOnlineEndpoint(c.ml, sim!.workspace.resourceGroup, sim!.workspace.workspace, "nope-endpoint").catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });
});
