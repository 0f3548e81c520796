import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLocalDeployment } from "../../src/local/localRun";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 14: an event names no deployment, so every passing bulk test can deploy: flowdeploy takes
 * the blue/green slot without traffic, and a short name from the request id when both are busy.
 */
function autoRequest(requestId: string, name?: string) {
  const request = sampleRequest();
  request.requestId = requestId;
  if (name === undefined) delete (request.deployment as { name?: string }).name;
  else request.deployment.name = name;
  return request;
}

describe("deployment slots", () => {
  it("alternates blue and green across deployments to one endpoint, each recorded in the notification", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-slots-"));
    try {
      const names: string[] = [];
      for (const [id, name] of [["r-1", undefined], ["r-2", undefined], ["r-3", "auto"], ["r-4", undefined]] as const) {
        const run = await runLocalDeployment({ request: autoRequest(id, name), stateDir });
        await run.stack.close();
        const n = run.notification;
        expect(n.outcome, JSON.stringify(n.error)).toBe("Succeeded");
        names.push(n.deployment!.name);
        expect(n.traffic[n.deployment!.name]).toBe(100);
      }
      expect(names).toEqual(["blue", "green", "blue", "green"]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it("when both slots carry traffic, takes fd-<hash of the request id>", async () => {
    const run = await deploy({ request: autoRequest("canary-1"), scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 90 }, { name: "green", traffic: 10 }] }] } });
    expect(run.notification.outcome).toBe("Succeeded");
    expect(run.notification.deployment!.name).toMatch(/^fd-[0-9a-f]{8}$/);
    expect(run.notification.traffic).toEqual({ blue: 0, green: 0, [run.notification.deployment!.name]: 100 });
  });

  it("never takes a slot someone else's deployment occupies", async () => {
    const run = await deploy({ request: autoRequest("r-x"), scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 0, managed: false }, { name: "green", traffic: 100 }] }] } });
    expect(run.notification.outcome).toBe("Succeeded");
    expect(run.notification.deployment!.name).toMatch(/^fd-/);
    expect(run.counts["onlineDeployments.createOrUpdate"]).toBe(1);
  });

  it("a named deployment that is live still fails DeploymentIsLive (the request asked for that name)", async () => {
    const run = await deploy({ request: autoRequest("r-live", "blue"), scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] } });
    expect(run.notification.error).toMatchObject({ code: "DeploymentIsLive" });
  });
});

describe("the notification says what the run did to Azure", () => {
  it("the model version it registered, and the deployments replace deleted", async () => {
    const request = autoRequest("replace-1", "green");
    request.rollout = { strategy: "replace", onFailure: "delete" };
    const run = await deploy({ request, scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] } });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", model: { name: "web-classification", version: "1", registered: true }, deletedDeployments: ["blue"] });
  });

  it("the failed new deployment cleaned up; a given model is not 'registered'", async () => {
    const request = autoRequest("cleanup-1", "green");
    delete request.flow;
    request.model = { name: "web-classification-model", version: "3" };
    const run = await deploy({ request, scenario: { models: [{ name: "web-classification-model", version: "3" }], faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure" }] } });
    expect(run.notification).toMatchObject({ outcome: "Failed", model: { name: "web-classification-model", version: "3", registered: false }, deletedDeployments: ["green"] });
  });
});

describe("flowdeploy local seeds a scenario where the user deploys (issue 15 item 6)", () => {
  it("a scenario without a workspace puts its existing endpoint in the request's workspace", async () => {
    const request = autoRequest("elsewhere-1");
    request.workspace = { subscriptionId: "11111111-2222-3333-4444-555555555555", resourceGroup: "rg-mine", name: "ws-mine" };
    const run = await deploy({ request, scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] } });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    expect(run.state.endpoints).toHaveLength(1);
    expect(run.state.endpoints[0]!.id).toContain("/resourceGroups/rg-mine/providers/Microsoft.MachineLearningServices/workspaces/ws-mine/");
  });
});
