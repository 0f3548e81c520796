import { describe, expect, it } from "vitest";
import { classify, daysUntil, parseWorkspaceId, type ObservedDeployment } from "../../src/inventory/model";
import { selectWorkspaces } from "../../src/inventory/query";
import { describeFailure, sameWorkspaceEnvironment } from "../../src/inventory/reader";
import { OTHER_WS_ID, RUNTIME_IMAGE, WS_ID } from "./support";

const ws = parseWorkspaceId(WS_ID)!;
const observed = (over: Partial<ObservedDeployment>): ObservedDeployment => ({
  workspace: { name: ws.name, id: ws.id },
  endpoint: "ep",
  deployment: "blue",
  trafficPercent: 100,
  mirrorPercent: 0,
  instanceType: "Standard_DS3_v2",
  instanceCount: 1,
  image: undefined,
  environmentId: null,
  environmentVariables: {},
  codeScript: null,
  hasCodeConfiguration: false,
  managed: true,
  provisioningState: "Succeeded",
  ...over,
});

describe("classify", () => {
  it("prompt flow by its runtime image (any registry mirroring the path, stable and python too) or by PROMPTFLOW_RUN_MODE; a code configuration without either is an agent; the rest other", () => {
    expect(classify(observed({ image: RUNTIME_IMAGE }))).toEqual({ kind: "promptFlow", evidence: [`image ${RUNTIME_IMAGE} is a prompt flow runtime image`] });
    expect(classify(observed({ image: "myacr.azurecr.io/azureml/promptflow/promptflow-runtime-stable@sha256:" + "a".repeat(64) })).kind).toBe("promptFlow");
    expect(classify(observed({ image: "mcr.microsoft.com/azureml/promptflow/promptflow-python:20240101" })).kind).toBe("promptFlow");
    expect(classify(observed({ image: "contoso.azurecr.io/flow:1", environmentVariables: { promptflow_run_mode: "serving" } }))).toEqual({ kind: "promptFlow", evidence: ["environment variable PROMPTFLOW_RUN_MODE is set"] });
    // A code configuration with the run mode is still prompt flow (deploy-to-code with a scoring script).
    expect(classify(observed({ hasCodeConfiguration: true, environmentVariables: { PROMPTFLOW_RUN_MODE: "serving" } })).kind).toBe("promptFlow");
    expect(classify(observed({ hasCodeConfiguration: true, image: "mcr.microsoft.com/azureml/minimal-py311-inference:latest" }))).toEqual({ kind: "agent", evidence: [] });
    expect(classify(observed({ image: "contoso.azurecr.io/models/classifier:4" }))).toEqual({ kind: "other", evidence: [] });
    // An image that is unknown (a registry environment) with no run mode: not counted as prompt flow.
    expect(classify(observed({ image: undefined, environmentId: "azureml://registries/azureml/environments/minimal/versions/3" }))).toEqual({ kind: "other", evidence: [] });
  });

  it("reads only environments of the same workspace", () => {
    expect(sameWorkspaceEnvironment("azureml:flow-env:3", ws)).toEqual({ name: "flow-env", version: "3" });
    expect(sameWorkspaceEnvironment(`${WS_ID.toLowerCase()}/environments/flow-env/versions/3`, ws)).toEqual({ name: "flow-env", version: "3" });
    expect(sameWorkspaceEnvironment(`${OTHER_WS_ID}/environments/flow-env/versions/3`, ws)).toBeUndefined();
    expect(sameWorkspaceEnvironment("azureml://registries/azureml/environments/minimal/versions/3", ws)).toBeUndefined();
  });
});

describe("daysUntil", () => {
  it("counts whole UTC days from the clock's date", () => {
    expect(daysUntil("2027-04-20", new Date("2026-11-23T10:00:00.000Z"))).toBe(148);
    expect(daysUntil("2027-04-20", new Date("2027-04-19T23:59:59.000Z"))).toBe(1);
    expect(daysUntil("2027-04-20", new Date("2027-04-20T00:00:00.000Z"))).toBe(0);
    expect(daysUntil("2027-04-20", new Date("2027-05-01T12:00:00.000Z"))).toBe(-11);
  });
});

describe("selectWorkspaces (the route's query against the allow-list)", () => {
  const q = (s: string) => new URLSearchParams(s);
  it("in the Function App: the allow-list's workspaces, a named one only from it, none when it lists none", () => {
    expect(selectWorkspaces(q(""), [WS_ID.toLowerCase(), "not-an-id"], [])).toEqual({ ok: true, workspaces: [parseWorkspaceId(WS_ID.toLowerCase())] });
    expect(selectWorkspaces(q(""), [], [])).toEqual({ ok: false, status: 403, errors: ["FLOWDEPLOY_ALLOWED_WORKSPACES lists no workspace: the app may read none"] });
    expect(selectWorkspaces(q(`workspace=${OTHER_WS_ID}`), [WS_ID], [])).toMatchObject({ ok: false, status: 403 });
  });

  it("locally (`*`): any named workspace, else the known ones, else 400 asking for one", () => {
    expect(selectWorkspaces(q(`workspace=${OTHER_WS_ID}`), ["*"], [ws])).toEqual({ ok: true, workspaces: [parseWorkspaceId(OTHER_WS_ID)] });
    expect(selectWorkspaces(q(""), ["*"], [ws])).toEqual({ ok: true, workspaces: [ws] });
    expect(selectWorkspaces(q(""), ["*"], [])).toEqual({ ok: false, status: 400, errors: ["workspace: name a workspace (the allow-list is '*', so there is no list to read)"] });
    expect(selectWorkspaces(q(Array.from({ length: 51 }, () => `workspace=${encodeURIComponent(WS_ID)}`).join("&")), ["*"], [])).toEqual({ ok: false, status: 400, errors: ["workspace: at most 50 workspaces at once, got 51"] });
  });
});

describe("describeFailure", () => {
  it("keeps ARM's code, never its message", () => {
    expect(describeFailure({ statusCode: 429, code: "SubscriptionRequestsThrottled", message: "x" }, "workspace")).toEqual({ code: "SubscriptionRequestsThrottled", message: "throttled by Azure Resource Manager (HTTP 429) after the SDK's retries; try again later" });
    expect(describeFailure(new Error("getaddrinfo ENOTFOUND"), "workspace")).toEqual({ code: "Unreachable", message: "Azure Resource Manager could not be reached while listing its online endpoints" });
    expect(describeFailure({ statusCode: 500, code: "bad code with spaces" }, "endpoint")).toEqual({ code: "Http500", message: "Azure answered HTTP 500 when listing its deployments" });
  });
});
