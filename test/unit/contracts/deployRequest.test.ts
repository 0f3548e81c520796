import { describe, expect, it } from "vitest";
import { DEFAULT_PROPAGATION_MINUTES, formatIssues, parseDeployRequest } from "../../../src/contracts";
import { propagationMinutesOf } from "../../../src/domain/targets";
import { sampleRequest, setPath } from "../../support/samples";

function problems(mutate: (r: Record<string, any>) => void): string[] {
  const request = sampleRequest();
  mutate(request);
  const parsed = parseDeployRequest(request);
  if (parsed.ok) return [];
  return formatIssues(parsed.issues);
}

describe("DeployRequest", () => {
  it("accepts the bundled sample and applies defaults", () => {
    const request = sampleRequest();
    delete request.rollout;
    delete request.propagationMinutes;
    const parsed = parseDeployRequest(request);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.rollout).toEqual({ strategy: "blueGreen", onFailure: "delete" });
    // Absent: the target's documented wait applies (a prompt flow's: 16 minutes).
    expect(parsed.value.propagationMinutes).toBeUndefined();
    expect(propagationMinutesOf(parsed.value)).toBe(DEFAULT_PROPAGATION_MINUTES);
    expect(DEFAULT_PROPAGATION_MINUTES).toBe(16);
  });

  it("accepts a registered model instead of a flow, a chat flow, and a user-assigned identity", () => {
    expect(problems((r) => (delete r.flow, (r.model = { name: "web-classification-model", version: 3 })))).toEqual([]);
    expect(problems((r) => (r.flow = { name: "chat", path: "azureml://datastores/x/paths/chat", mode: "chat", chatInput: "question", chatOutput: "answer" }))).toEqual([]);
    const uami = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-id";
    expect(
      problems((r) => (r.endpoint.identity = { type: "UserAssigned", resourceId: uami, clientId: "11111111-2222-3333-4444-555555555555", principalId: "66666666-7777-8888-9999-000000000000" })),
    ).toEqual([]);
  });

  it("keeps a numeric model version as Azure's version string", () => {
    const request = sampleRequest();
    delete request.flow;
    request.model = { name: "m", version: 7 };
    const parsed = parseDeployRequest(request);
    expect(parsed.ok && parsed.value.model).toEqual({ name: "m", version: "7" });
  });

  it.each([
    ["deployment.instanceCount", 0, "deployment.instanceCount: expected a positive integer"],
    ["deployment.instanceCount", 1.5, "deployment.instanceCount: expected a positive integer"],
    ["deployment.instanceCount", "2", "deployment.instanceCount: expected a positive integer, received a string"],
    ["deployment.instanceCount", undefined, "deployment.instanceCount: required"],
    ["workspace.subscriptionId", "not-a-guid", "workspace.subscriptionId: expected a GUID"],
    ["endpoint.authMode", "AADToken", 'endpoint.authMode: expected "key" or "aml_token", received a string'],
    ["endpoint.identity", undefined, "endpoint.identity: required"],
    ["rollout.strategy", "rolling", 'rollout.strategy: expected "blueGreen", "replace", "canary" or "migrate", received a string'],
    ["propagationMinutes", 10, "propagationMinutes: role assignments can take more than 15 minutes to take effect for prompt flow deployments; use at least 15"],
    ["smokeTest", undefined, "smokeTest: required"],
    ["schemaVersion", "2", 'schemaVersion: unsupported schema version "2"; this service reads "1"'],
    ["schemaVersion", undefined, "schemaVersion: required"],
    ["requestId", "", "requestId: required"],
    ["flow.path", "/tmp/flow", "flow.path: expected a flow folder URI such as azureml://datastores/workspaceblobstore/paths/flows/web-classification (or the long form naming the target workspace)"],
  ])("rejects %s = %j naming the field", (path, value, expected) => {
    expect(problems((r) => setPath(r, path, value))).toContain(expected);
  });

  it.each([
    ["ab", "3 to 32 characters"],
    ["a".repeat(33), "3 to 32 characters"],
    ["1web", "start with a letter"],
    ["web-", "end with a letter or digit"],
    ["web_classify", "hold only letters, digits and hyphens"],
    ["web classify", "hold only letters, digits and hyphens"],
    ["wéb", "hold only letters, digits and hyphens"],
  ])("rejects the endpoint and deployment name %j (Azure's naming rules)", (name, fragment) => {
    const endpoint = problems((r) => (r.endpoint.name = name));
    const deployment = problems((r) => (r.deployment.name = name));
    expect(endpoint.join("\n")).toMatch(new RegExp(`^endpoint\\.name: .*${fragment}`, "m"));
    expect(deployment.join("\n")).toMatch(new RegExp(`^deployment\\.name: .*${fragment}`, "m"));
  });

  it("accepts names at the limits", () => {
    expect(problems((r) => ((r.endpoint.name = "abc"), (r.deployment.name = "a".repeat(31) + "9")))).toEqual([]);
  });

  it("requires exactly one of flow, model or agent", () => {
    expect(problems((r) => delete r.flow)).toEqual(["flow: required: give a flow to register, a registered model {name, version}, or an agent {name, code, scoringScript, environment, aiServices}"]);
    expect(problems((r) => (r.model = { name: "m", version: "1" }))).toEqual(["model: give exactly one of flow, model or agent, not flow and model"]);
  });

  it("requires chat fields for chat flows and refuses them for standard flows", () => {
    expect(problems((r) => (r.flow.mode = "chat"))).toEqual(["flow.chatInput: required for chat flows", "flow.chatOutput: required for chat flows"]);
    expect(problems((r) => (r.flow.chatInput = "question"))).toEqual(["flow.chatInput: only chat flows have a chat input"]);
  });

  it("names unknown fields so typos do not vanish", () => {
    expect(problems((r) => (r.deployment.instanceTyp = "x"))).toEqual(['deployment: unknown field "instanceTyp"']);
  });

  it("refuses to let a request override the serving variables flowdeploy sets", () => {
    expect(problems((r) => (r.deployment.environmentVariables = { PRT_CONFIG_OVERRIDE: "x" }))).toEqual([
      "deployment.environmentVariables.PRT_CONFIG_OVERRIDE: PRT_CONFIG_OVERRIDE is set by flowdeploy and cannot be overridden",
    ]);
  });

  it("reports every bad field at once, not only the first", () => {
    const lines = problems((r) => {
      r.deployment.instanceCount = -1;
      r.endpoint.name = "x";
      r.workspace.name = "";
    });
    expect(lines).toHaveLength(3);
  });

  it.each([null, [], "a string", 42, true])("rejects a body that is not an object (%j)", (body) => {
    const parsed = parseDeployRequest(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(formatIssues(parsed.issues)[0]).toMatch(/^\(root\): /);
  });
});
