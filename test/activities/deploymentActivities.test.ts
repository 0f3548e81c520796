import { afterEach, describe, expect, it } from "vitest";
import type { StartDeploymentInput } from "../../src/contracts/activities";
import { createActivities } from "../../src/activities";
import { PipelineError } from "../../src/errors";
import { advanceMinutes, simWorkspace, startActivityHarness, type ActivityHarness } from "../support/activityHarness";
import { sampleRequest } from "../support/samples";

const request = sampleRequest();
let h: ActivityHarness;
const leakSources: string[] = [];
afterEach(async () => {
  if (h) {
    // Everything an activity returned, threw or logged, checked for the simulator's keys and tokens.
    const secrets = h.sim.secrets();
    const haystack = [...leakSources, ...h.logs, JSON.stringify(h.published)].join("\n");
    for (const secret of secrets) expect(haystack.includes(secret), "a key or token leaked").toBe(false);
    leakSources.length = 0;
    await h.close();
  }
});

async function record<T>(p: Promise<T>): Promise<T> {
  try {
    const value = await p;
    leakSources.push(JSON.stringify(value));
    return value;
  } catch (err) {
    leakSources.push(String(err), JSON.stringify(err), (err as Error).stack ?? "");
    throw err;
  }
}

async function failure(p: Promise<unknown>): Promise<PipelineError> {
  try {
    await record(p);
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    return err as PipelineError;
  }
  throw new Error("expected the activity to fail");
}

/** An endpoint, its roles and a registered model: everything a deployment needs. */
async function ready(authMode: "key" | "aml_token" = "key") {
  const workspace = simWorkspace(h);
  const endpoint = { ...request.endpoint, authMode };
  await h.activities.ensureEndpoint({ workspace, endpoint, tags: {} });
  advanceMinutes(h, 3);
  const ep = await h.activities.getEndpointState({ workspace, endpointName: endpoint.name });
  const grant = await h.activities.grantEndpointRoles({ workspace, identityType: "SystemAssigned", principalId: ep.principalId! });
  const model = await h.activities.registerModel({ workspace, requestId: "req-1", flow: request.flow });
  const input: StartDeploymentInput = { workspace, requestId: "req-1", endpoint, identityClientId: null, deployment: request.deployment, modelId: model.id };
  return { workspace, endpoint, grant, model, input };
}

describe("deployment activities", () => {
  it("start the deployment at 0% traffic with the prompt flow serving settings and return at once", async () => {
    h = await startActivityHarness();
    const { workspace, input, model } = await ready();
    const started = await record(h.activities.startDeployment(input));
    expect(started.provisioningState).toBe("Creating");
    const state = h.sim.state().endpoints[0]!;
    expect(state.traffic).toEqual({});
    expect(state.deployments[0]).toMatchObject({ name: "green", model: model.id });

    const again = await record(h.activities.startDeployment(input));
    expect(again.provisioningState).toBe("Creating");
    expect(h.sim.requestCounts()["onlineDeployments.createOrUpdate"]).toBe(1);

    expect((await h.activities.getDeploymentState({ workspace, endpointName: "web-classify", deploymentName: "green" })).provisioningState).toBe("Creating");
    advanceMinutes(h, 13);
    expect(await h.activities.getDeploymentState({ workspace, endpointName: "web-classify", deploymentName: "green", operationUrl: started.operationUrl })).toEqual({
      provisioningState: "Succeeded",
      error: null,
      logsTail: null,
    });
  });

  it("report a failed provisioning with Azure's error code and the tail of the logs", async () => {
    h = await startActivityHarness({ faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure" }] });
    const { workspace, input } = await ready();
    const started = await h.activities.startDeployment(input);
    advanceMinutes(h, 13);
    const state = await h.activities.getDeploymentState({ workspace, endpointName: "web-classify", deploymentName: "green", operationUrl: started.operationUrl });
    expect(state.provisioningState).toBe("Failed");
    expect(state.error?.code).toBe("ImagePullFailure");
    expect(typeof state.logsTail === "string" || state.logsTail === null).toBe(true);
  });

  it("refuse to rewrite a deployment that serves live traffic", async () => {
    h = await startActivityHarness({ existing: [{ endpoint: "web-classify", deployments: [{ name: "green", traffic: 100 }] }] });
    const workspace = simWorkspace(h);
    const err = await failure(h.activities.startDeployment({ workspace, requestId: "r", endpoint: request.endpoint, identityClientId: null, deployment: request.deployment, modelId: "/x" }));
    expect(err).toMatchObject({ code: "DeploymentIsLive", retryable: false });
    expect(h.sim.requestCounts()["onlineDeployments.createOrUpdate"] ?? 0).toBe(0);
  });

  it("delete a deployment (rollback), and report a missing one as already gone", async () => {
    h = await startActivityHarness({ existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }, { name: "green", traffic: 0 }] }] });
    const workspace = simWorkspace(h);
    const ref = { workspace, endpointName: "web-classify", deploymentName: "green" };
    expect((await h.activities.deleteDeployment(ref)).existed).toBe(true);
    advanceMinutes(h, 5);
    expect((await h.activities.getDeploymentState(ref)).provisioningState).toBe("NotFound");
    expect((await h.activities.deleteDeployment(ref)).existed).toBe(false);
  });
});

describe("issue 13: what real Azure ML refuses", () => {
  it("environment versions are immutable: the version is a digest of the content, so a new serving image is a new version, not a refused re-PUT", async () => {
    h = await startActivityHarness();
    const r = await ready();
    await h.activities.startDeployment(r.input);
    const other = h.withSettings({ servingImage: "mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:" + "a".repeat(64) });
    await other.startDeployment({ ...r.input, requestId: "req-2", deployment: { ...r.input.deployment, name: "blue" } });
    const puts = h.sim.requests().filter((q) => q.operation === "environmentVersions.createOrUpdate");
    expect(puts.map((q) => q.status)).toEqual([201, 201]);
    const versions = puts.map((q) => q.path.split("/").pop());
    expect(versions[0]).toMatch(/^c[0-9a-f]{12}$/);
    expect(versions[0]).not.toBe(versions[1]);
    // The same content again reuses its version (200).
    await h.activities.startDeployment({ ...r.input, requestId: "req-3", deployment: { ...r.input.deployment, name: "teal" } });
    expect(h.sim.requests().filter((q) => q.operation === "environmentVersions.createOrUpdate").map((q) => [q.path.split("/").pop(), q.status]).at(-1)).toEqual([versions[0], 200]);
  });

  it("a flow path in the short datastore form is registered in the long workspace form, as azure-ai-ml does", async () => {
    h = await startActivityHarness();
    const workspace = simWorkspace(h);
    await h.activities.registerModel({ workspace, requestId: "req-long", flow: request.flow });
    const model = h.sim.state().models.find((m) => m.name === request.flow.name)!;
    expect(model.modelUri).toBe(`azureml://subscriptions/${workspace.subscriptionId}/resourcegroups/${workspace.resourceGroup}/workspaces/${workspace.name}/datastores/workspaceblobstore/paths/promptflow/web-classification`);
    expect(model.properties).not.toHaveProperty("is-promptflow");
  });
});

describe("smokeTest", () => {
  async function deployed(authMode: "key" | "aml_token" = "key") {
    const r = await ready(authMode);
    await h.activities.startDeployment(r.input);
    advanceMinutes(h, 13);
    return { ...r, smoke: { workspace: r.workspace, endpointName: "web-classify", deploymentName: "green", authMode, input: request.smokeTest.input, expectFields: ["category", "evidence"] } };
  }

  it("U2: never sends the key to a scoring URI off the allowed inference hosts (no listKeys at all)", async () => {
    h = await startActivityHarness(undefined, { scoringHostSuffixes: ["inference.ml.azure.com"] });
    const { smoke } = await deployed();
    const err = await failure(h.activities.smokeTest(smoke));
    expect(err).toMatchObject({ code: "UntrustedScoringUri", retryable: false });
    expect(h.sim.requestCounts()["onlineEndpoints.listKeys"] ?? 0).toBe(0);
    expect(h.sim.requestCounts()["score"] ?? 0).toBe(0);
  });

  it("is notYetAuthorized (the flow's 424) until the grant is 15 minutes old, then passes", async () => {
    h = await startActivityHarness();
    const { smoke, grant } = await deployed();
    const early = await record(h.activities.smokeTest(smoke));
    expect(early).toMatchObject({ outcome: "notYetAuthorized", status: 424 });
    expect(early.reason).toMatch(/Access denied to list workspace secret/i);
    h.clock.advanceTo(new Date(Date.parse(grant.grantedAt) + 16 * 60_000));
    expect(await record(h.activities.smokeTest(smoke))).toMatchObject({ outcome: "passed", status: 200 });
  });

  it("works with AML token auth too, and targets only the new deployment", async () => {
    h = await startActivityHarness();
    const { smoke } = await deployed("aml_token");
    advanceMinutes(h, 20);
    expect(await record(h.activities.smokeTest(smoke))).toMatchObject({ outcome: "passed" });
    expect(h.sim.requests({ operation: "onlineEndpoints.getToken" })).toHaveLength(1);
    expect(h.sim.requests({ operation: "onlineEndpoints.listKeys" })).toHaveLength(0);
  });

  it("fails when an expected field is missing, or the flow answers 500", async () => {
    h = await startActivityHarness({ faults: [{ op: "score", deployment: "green", status: 500, times: 1 }] });
    const { smoke } = await deployed();
    advanceMinutes(h, 20);
    expect(await record(h.activities.smokeTest(smoke))).toMatchObject({ outcome: "failed", status: 500 });
    const missing = await record(h.activities.smokeTest({ ...smoke, expectFields: ["category", "confidence"] }));
    expect(missing).toMatchObject({ outcome: "failed", status: 200, reason: "answer lacks expected field confidence" });
  });

  it("is failed, not notYetAuthorized, for a 424 with any other reason (the container failed)", async () => {
    h = await startActivityHarness({ faults: [{ op: "score", deployment: "green", status: 424, times: 1 }] });
    const { smoke } = await deployed();
    advanceMinutes(h, 20);
    const result = await record(h.activities.smokeTest(smoke));
    expect(result).toMatchObject({ outcome: "failed", status: 424 });
    expect(result.reason).toBe("HTTP 424 model error (container 500): SystemError: The flow failed to execute. (simulated model error)");
  });

  it("scrubs the key, and its base64, from an answer that echoes it", async () => {
    h = await startActivityHarness();
    const { smoke } = await deployed();
    advanceMinutes(h, 20);
    // A container that copies the Authorization header into its error (the real client scores; the answer is altered).
    const echoing = createActivities({
      ...h.deps,
      scoring: {
        score: async (req) => {
          await h.deps.scoring.score(req);
          return { status: 500, headers: {}, body: { error: { code: "Boom", message: `${req.secret} ${Buffer.from(req.secret).toString("base64")}` } } };
        },
      },
    });
    const result = await record(echoing.smokeTest(smoke));
    expect(result).toMatchObject({ outcome: "failed", status: 500 });
    expect(result.reason).toBe("HTTP 500: Boom: *** ***");
    expect(h.sim.secrets().length).toBeGreaterThan(0);
  });

  it("never lets a network error's request options (with the Authorization header) out", async () => {
    h = await startActivityHarness();
    const { smoke } = await deployed();
    advanceMinutes(h, 20);
    let sent = "";
    const failing = createActivities({
      ...h.deps,
      scoring: {
        score: async (req) => {
          sent = req.secret;
          throw Object.assign(new Error(`connect ECONNRESET while sending Bearer ${req.secret}`), { code: "ECONNRESET", request: { headers: { authorization: `Bearer ${req.secret}` } } });
        },
      },
    });
    const err = await failure(failing.smokeTest(smoke));
    expect(err).toMatchObject({ code: "ECONNRESET", retryable: true, message: "scoring request failed: ECONNRESET" });
    expect(sent.length).toBeGreaterThan(0);
    for (const text of [String(err), JSON.stringify(err), err.stack ?? "", String((err as { cause?: unknown }).cause ?? "")]) expect(text).not.toContain(sent);
  });

  it("treats a 401 as not yet authorized", async () => {
    h = await startActivityHarness({ faults: [{ op: "score", status: 401, times: 1 }] });
    const { smoke } = await deployed();
    advanceMinutes(h, 20);
    expect(await record(h.activities.smokeTest(smoke))).toMatchObject({ outcome: "notYetAuthorized", status: 401 });
  });
});

describe("setTraffic", () => {
  it("moves traffic with a full endpoint PUT and is a no-op when already set", async () => {
    h = await startActivityHarness({ existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }, { name: "green", traffic: 0 }] }] });
    const workspace = simWorkspace(h);
    const started = await h.activities.setTraffic({ workspace, endpointName: "web-classify", traffic: { blue: 0, green: 100 } });
    expect(started.provisioningState).toBe("Updating");
    advanceMinutes(h, 2);
    const ep = await h.activities.getEndpointState({ workspace, endpointName: "web-classify" });
    expect(ep).toMatchObject({ provisioningState: "Succeeded", traffic: { blue: 0, green: 100 } });
    // The traffic update is a full PUT that keeps what it does not change, the auth mode among it.
    expect(h.sim.state().endpoints[0]!.authMode).toBe("Key");
    expect((await h.activities.setTraffic({ workspace, endpointName: "web-classify", traffic: { blue: 0, green: 100 } })).provisioningState).toBe("Succeeded");
    expect(h.sim.requestCounts()["onlineEndpoints.createOrUpdate"]).toBe(1);
  });

  it("rejects a map that does not add up to 100", async () => {
    h = await startActivityHarness();
    expect(await failure(h.activities.setTraffic({ workspace: simWorkspace(h), endpointName: "web-classify", traffic: { a: 50 } }))).toMatchObject({ code: "InvalidTraffic" });
  });
});

describe("notify", () => {
  it("publishes the notification with a deterministic message id per instance and outcome", async () => {
    h = await startActivityHarness();
    const n = {
      schemaVersion: "1" as const,
      outcome: "Succeeded" as const,
      requestId: "req-1",
      instanceId: "deploy-1",
      workspace: simWorkspace(h),
      endpoint: { name: "web-classify", scoringUri: null },
      deployment: { name: "green" },
      model: { name: "m", version: "1" },
      traffic: { green: 100 },
      stages: [],
      error: null,
      startedAt: "2026-11-23T10:00:00.000Z",
      endedAt: "2026-11-23T10:20:00.000Z",
    };
    const a = await h.activities.notify(n);
    const b = await h.activities.notify(n);
    expect(a.messageId).toBe(b.messageId);
    expect(h.published).toHaveLength(2);
    expect(h.published[0]!.notification.outcome).toBe("Succeeded");
  });
});
