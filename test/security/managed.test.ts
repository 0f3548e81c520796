import { describe, expect, it } from "vitest";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Threat: a request points flowdeploy at an endpoint someone else runs; flowdeploy reuses it and a
 * `replace` rollout deletes its owner's deployments. Defence: flowdeploy tags what it creates
 * (`flowdeploy.managed`), leaves untagged endpoints alone unless FLOWDEPLOY_ADOPT_ENDPOINTS=true, and
 * deletes only deployments it created. docs/security.md, row M1.
 */
const someoneElses = { existing: [{ endpoint: "web-classify", managed: false, deployments: [{ name: "blue", traffic: 100, managed: false }] }] };

describe("M1: flowdeploy changes only what it manages", () => {
  it("refuses an existing endpoint it did not create: Failed EndpointNotManaged, nothing PUT, traffic untouched", async () => {
    const run = await deploy({ scenario: someoneElses });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage: "endpoint", code: "EndpointNotManaged" }, traffic: { blue: 100 } });
    expect(run.counts["onlineEndpoints.createOrUpdate"] ?? 0).toBe(0);
    expect(run.counts["onlineDeployments.createOrUpdate"] ?? 0).toBe(0);
    expect(run.counts["roleAssignments.create"] ?? 0).toBe(0);
  });

  it("creates endpoints and deployments tagged flowdeploy.managed=true", async () => {
    const run = await deploy();
    expect(run.notification.outcome).toBe("Succeeded");
    const endpoint = run.state.endpoints.find((e) => e.name === "web-classify")!;
    expect(endpoint.tags["flowdeploy.managed"]).toBe("true");
    expect(endpoint.deployments.map((d) => d.tags["flowdeploy.managed"])).toEqual(["true"]);
  });

  it("adopts an untagged endpoint only with FLOWDEPLOY_ADOPT_ENDPOINTS=true, and replace never deletes a deployment it did not create", async () => {
    const request = sampleRequest();
    request.rollout = { strategy: "replace", onFailure: "delete" };
    const scenario = { existing: [{ endpoint: "web-classify", managed: false, deployments: [{ name: "blue", traffic: 50, managed: false }, { name: "teal", traffic: 50 }] }] };
    const run = await deploy({ request, scenario, adoptEndpoints: true });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { green: 100 } });
    const deletes = run.requests.filter((r) => r.operation === "onlineDeployments.delete").map((r) => r.path.split("/").pop());
    expect(deletes).toEqual(["teal"]);
    const names = run.state.endpoints.find((e) => e.name === "web-classify")!.deployments.map((d) => d.name);
    expect(names).toContain("blue");
  });

  it("refuses to overwrite a deployment of the same name that someone else created, even at 0% traffic", async () => {
    const scenario = { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }, { name: "green", traffic: 0, managed: false }] }] };
    const run = await deploy({ scenario });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage: "deployment", code: "DeploymentNotManaged" }, traffic: { blue: 100 } });
    expect(run.counts["onlineDeployments.createOrUpdate"] ?? 0).toBe(0);
    expect(run.counts["onlineDeployments.delete"] ?? 0).toBe(0);
  });
});
