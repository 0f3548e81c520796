import { describe, expect, it } from "vitest";
import { formatIssues, parseNotification, STAGE_NAMES } from "../../../src/contracts";

export function succeededNotification(): Record<string, any> {
  const t = (m: number) => `2026-11-23T10:${String(m).padStart(2, "0")}:00.000Z`;
  return {
    schemaVersion: "1",
    outcome: "Succeeded",
    requestId: "req-1",
    instanceId: "deploy-abc",
    workspace: { subscriptionId: "00000000-1111-2222-3333-444444444444", resourceGroup: "rg", name: "ws1" },
    endpoint: { name: "web-classify", scoringUri: "https://web-classify.eastus.inference.ml.azure.com/score" },
    deployment: { name: "green" },
    model: { name: "web-classification", version: "1" },
    traffic: { blue: 0, green: 100 },
    stages: STAGE_NAMES.map((name, i) => ({ name, startedAt: t(i), endedAt: t(i + 1), outcome: "Succeeded" })),
    error: null,
    startedAt: t(0),
    endedAt: t(20),
  };
}

const problems = (n: Record<string, any>) => {
  const parsed = parseNotification(n);
  return parsed.ok ? [] : formatIssues(parsed.issues);
};

describe("DeploymentNotification", () => {
  it("accepts a Succeeded notification with every stage", () => {
    expect(problems(succeededNotification())).toEqual([]);
  });

  it("accepts a Failed notification naming stage, code and message, and a Rejected one with little known", () => {
    const failed = { ...succeededNotification(), outcome: "Failed", error: { stage: "smokeTest", code: "SmokeTestFailed", message: "HTTP 500" }, traffic: { blue: 100 } };
    expect(problems(failed)).toEqual([]);
    const rejected = {
      ...succeededNotification(),
      outcome: "Rejected",
      requestId: null,
      instanceId: null,
      workspace: null,
      endpoint: null,
      deployment: null,
      model: null,
      traffic: {},
      stages: [],
      error: { stage: "request", code: "InvalidRequest", message: "deployment.instanceCount: expected a positive integer" },
    };
    expect(problems(rejected)).toEqual([]);
  });

  it("rejects unknown outcomes and stage names", () => {
    expect(problems({ ...succeededNotification(), outcome: "Done" })).toEqual(["outcome: expected Succeeded, Failed, Rejected, Cancelled or AwaitingApproval, received a string"]);
    const n = succeededNotification();
    n.stages[0].name = "warmup";
    expect(problems(n)[0]).toMatch(/^stages\[0\]\.name: expected one of endpoint, roles, model, deployment, propagation, smokeTest, parity, approval, traffic, analysis/);
  });

  it("requires an error exactly when the outcome is not Succeeded", () => {
    expect(problems({ ...succeededNotification(), outcome: "Failed" })).toEqual(["error: required for Failed notifications"]);
    expect(problems({ ...succeededNotification(), error: { stage: "traffic", code: "X", message: "m" } })).toEqual(["error: a Succeeded notification has no error"]);
  });

  it("rejects traffic that does not add up to 0 or 100, and wrong types", () => {
    expect(problems({ ...succeededNotification(), traffic: { blue: 50, green: 30 } })).toEqual(["traffic: traffic adds up to 80; Azure requires 0 or 100"]);
    expect(problems({ ...succeededNotification(), startedAt: "today" })[0]).toMatch(/^startedAt: /);
    expect(problems({ ...succeededNotification(), requestId: undefined })).toEqual(["requestId: required"]);
  });
});
