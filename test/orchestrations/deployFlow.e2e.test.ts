import { describe, expect, it } from "vitest";
import { RoleIds } from "../../src/domain/roles";
import { DEFAULT_POLL_POLICIES } from "../../src/contracts/orchestration";
import { deploy, t } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * End to end on the virtual clock: request → queue → trigger → orchestration on the local runner →
 * activities → simulator → notification on the topic. The runner jumps the virtual clock to the next
 * durable timer whenever nothing else can run, so 18 simulated minutes take well under a second.
 */
const existingBlue = { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] };

describe("deployFlow on the local stack", () => {
  it("deploys the sample, starting the smoke test only after grant + 15 minutes, with the wait overlapping the deployment", async () => {
    const run = await deploy();
    expect(run.notification).toMatchObject({ outcome: "Succeeded", error: null, traffic: { green: 100 }, model: { name: "web-classification", version: "1" } });

    const grant = run.state.roleAssignments.find((a) => a.roleDefinitionId.endsWith(RoleIds.connectionSecretsReader))!;
    const scores = run.requests.filter((r) => r.operation === "score");
    expect(scores.length).toBeGreaterThan(0);
    for (const s of scores) expect(t(s.time) - t(grant.createdOn)).toBeGreaterThanOrEqual(15 * 60_000);

    // Lower bound: max(endpoint + deployment, endpoint + grant + propagation) + smoke test (default
    // latencies 90 s, 720 s, grant at endpoint ready, 16-minute wait) = 90 + 960 s; traffic takes 30 s more.
    const stage = (name: string) => run.notification.stages.find((s) => s.name === name)!;
    const untilTraffic = (t(stage("smokeTest").endedAt!) - t(run.notification.startedAt)) / 1000;
    const bound = Math.max(90 + 720, 90 + 16 * 60);
    expect(untilTraffic).toBeGreaterThanOrEqual(bound);
    expect(untilTraffic).toBeLessThanOrEqual(bound + DEFAULT_POLL_POLICIES.deployment.intervalSeconds);
    // The deployment provisioned while permissions propagated: not one after the other.
    expect(t(stage("deployment").startedAt)).toBeLessThan(t(stage("propagation").endedAt!));
    expect(run.secrets.every((s) => !JSON.stringify(run.notification).includes(s))).toBe(true);
  });

  it("blue/green: moves traffic to green only after its smoke test passed, keeping blue at 0%", async () => {
    const run = await deploy({ scenario: existingBlue });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    const lastScore = Math.max(...run.requests.filter((r) => r.operation === "score" && r.status === 200).map((r) => r.seq));
    const trafficPut = run.requests.filter((r) => r.operation === "onlineEndpoints.createOrUpdate");
    expect(trafficPut).toHaveLength(1);
    expect(trafficPut[0]!.seq).toBeGreaterThan(lastScore);
    expect(run.state.endpoints[0]!.deployments.map((d) => d.name).sort()).toEqual(["blue", "green"]);
  });

  it("replace: deletes the previous deployment once traffic moved", async () => {
    const request = sampleRequest();
    request.rollout = { strategy: "replace", onFailure: "delete" };
    const run = await deploy({ scenario: existingBlue, request });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { green: 100 } });
    expect(run.counts["onlineDeployments.delete"]).toBe(1);
  });

  it("grants a user-assigned identity's roles before the endpoint and deployment exist", async () => {
    const request = sampleRequest();
    request.endpoint.identity = {
      type: "UserAssigned",
      resourceId: "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-id",
      clientId: "11111111-2222-3333-4444-555555555555",
      principalId: "66666666-7777-8888-9999-000000000000",
    };
    // The identity exists before the endpoint (its principal is what the request names).
    const { resourceId: id, principalId, clientId } = request.endpoint.identity;
    const run = await deploy({ request, scenario: { userAssignedIdentities: [{ id, principalId, clientId }] } });
    expect(run.notification.outcome).toBe("Succeeded");
    const firstGrant = run.requests.find((r) => r.operation === "roleAssignments.create")!;
    const endpointPut = run.requests.find((r) => r.operation === "onlineEndpoints.createOrUpdate")!;
    expect(firstGrant.seq).toBeLessThan(endpointPut.seq);
    expect(run.state.roleAssignments).toHaveLength(4);
  });
});

describe("deployFlow failures leave live traffic as it was", () => {
  it.each([
    ["ImagePullFailure", "deployment"],
    ["OutOfQuota", "deployment"],
    ["ResourceNotReady", "deployment"],
  ])("a %s provisioning error fails the deployment stage and deletes the new deployment", async (code, stage) => {
    const run = await deploy({ scenario: { ...existingBlue, faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: code }] } });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage, code }, traffic: { blue: 100 } });
    expect(run.state.endpoints[0]!.traffic).toEqual({ blue: 100 });
    expect(run.counts["onlineDeployments.delete"]).toBe(1);
  });

  it("keeps the failed deployment at 0% when rollout.onFailure is keep", async () => {
    const request = sampleRequest();
    request.rollout = { strategy: "blueGreen", onFailure: "keep" };
    const run = await deploy({ request, scenario: { ...existingBlue, faults: [{ op: "score", deployment: "green", status: 500, times: -1 }] } });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage: "smokeTest", code: "SmokeTestFailed" }, traffic: { blue: 100 } });
    expect(run.counts["onlineDeployments.delete"] ?? 0).toBe(0);
    expect(run.state.endpoints[0]!.traffic).toEqual({ blue: 100 });
    expect(run.state.endpoints[0]!.deployments.map((d) => d.name).sort()).toEqual(["blue", "green"]);
  });

  it("fails the model stage when the given model does not exist, before any deployment", async () => {
    const request = sampleRequest();
    delete request.flow;
    request.model = { name: "web-classification-model", version: "42" };
    const run = await deploy({ request, scenario: existingBlue });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage: "model", code: "ModelNotFound" }, traffic: { blue: 100 } });
    expect(run.counts["onlineDeployments.createOrUpdate"] ?? 0).toBe(0);
  });

  it("fails the endpoint stage when the name is taken in the region", async () => {
    const run = await deploy({ scenario: { takenEndpointNames: ["web-classify"] } });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage: "endpoint" } });
    expect(run.counts["onlineDeployments.createOrUpdate"] ?? 0).toBe(0);
  });

  it("fails the smoke test stage after a bounded number of not-yet-authorized answers", async () => {
    const run = await deploy({ scenario: { ...existingBlue, faults: [{ op: "score", status: 401, times: -1 }] } });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage: "smokeTest", code: "NotAuthorizedInTime" }, traffic: { blue: 100 } });
    expect(run.counts["score"]).toBe(11);
  });

  it("rejects an invalid request with a Rejected notification naming the field", async () => {
    const request = sampleRequest();
    request.deployment.instanceCount = 0;
    const run = await deploy({ request });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { stage: "request", code: "InvalidRequest" } });
    expect(run.notification.error!.message).toContain("deployment.instanceCount: expected a positive integer");
    expect(run.instances).toHaveLength(0);
    expect(run.requests).toHaveLength(0);
  });
});
