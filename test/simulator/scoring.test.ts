import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScaledClock, VirtualClock } from "../../src/local/clock";
import { ACCESS_DENIED_MESSAGE, startSimulator, type Simulator } from "../../src/local/simulator";
import { createDeployment, createEndpoint, grantSecretsReader, registerModel, setTraffic } from "./support/flows";
import { clientsFor, POLL, raw, type Clients } from "./support/harness";

const APP_URL = "https://play.google.com/store/apps/details?id=com.twitter.android";

describe("scoring on the virtual clock", () => {
  const clock = new VirtualClock("2026-07-01T00:00:00Z");
  let sim: Simulator;
  let c: Clients;
  let uri: string;
  let keys: { primaryKey: string; secondaryKey: string };
  let grantedAt: Date;

  beforeAll(async () => {
    sim = await startSimulator({
      clock,
      scenario: { faults: [{ op: "score", deployment: "green", status: 500, times: -1 }] },
    });
    c = clientsFor(sim);
    const ep = await createEndpoint(c, clock, "score-ep");
    uri = ep.properties.scoringUri ?? "";
    const granted = await grantSecretsReader(c, ep.identity?.principalId ?? "");
    grantedAt = granted.createdOn ?? new Date(0);
    const model = await registerModel(c, "web-classification", "1");
    await createDeployment(c, clock, "score-ep", "blue", model);
    await createDeployment(c, clock, "score-ep", "green", model);
    const chatModel = await registerModel(c, "support-chat", "1", {
      "azureml.promptflow.mode": "chat",
      "azureml.promptflow.chat_input": "query",
      "azureml.promptflow.chat_output": "reply",
    });
    await createDeployment(c, clock, "score-ep", "chat", chatModel);
    const k = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "score-ep");
    keys = { primaryKey: k.primaryKey ?? "", secondaryKey: k.secondaryKey ?? "" };
  });
  afterAll(async () => sim.close());

  it("answers 424 with the model-error headers until Connection Secrets Reader has propagated", async () => {
    // Three 12-minute deployments ran since the first grant, so it is effective already; revoke it and
    // grant again: propagation counts from the new grant, and revocation is immediate.
    const ep = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "score-ep");
    expect(clock.now().getTime() - grantedAt.getTime()).toBeGreaterThan(900_000);
    expect((await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "blue" })).status).toBe(200);
    for await (const ra of c.authz.roleAssignments.listForScope(`/subscriptions/${c.ws.subscriptionId}`, { filter: `principalId eq '${ep.identity?.principalId}'` })) {
      await c.authz.roleAssignments.deleteById(ra.id ?? "");
    }
    await grantSecretsReader(c, ep.identity?.principalId ?? "");

    const denied = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "blue" });
    expect(denied.status).toBe(424);
    expect(denied.headers["ms-azureml-model-error-statuscode"]).toBe("400");
    expect(denied.headers["ms-azureml-model-error-reason"]).toBe("model_error");
    expect(denied.body).toEqual({ error: { code: "UserError", message: ACCESS_DENIED_MESSAGE } });

    clock.advanceBy(899_000);
    expect((await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "blue" })).status).toBe(424);
    clock.advanceBy(1_000);
    const ok = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "blue" });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ category: "App", evidence: "Both" });
    expect(ok.headers["azureml-model-deployment"]).toBe("blue");
  });

  it("accepts either key and refuses a wrong or missing one with 401", async () => {
    expect((await c.scoring.score({ scoringUri: uri, secret: keys.secondaryKey, input: { url: APP_URL }, deployment: "blue" })).status).toBe(200);
    const wrong = await c.scoring.score({ scoringUri: uri, secret: "bm90LXRoZS1rZXk=", input: { url: APP_URL }, deployment: "blue" });
    expect(wrong.status).toBe(401);
    const none = await raw(sim, "POST", "/endpoints/score-ep/score", { body: { url: APP_URL }, auth: false });
    expect(none.status).toBe(401);
    // A key-auth endpoint does not take AML tokens.
    const token = await c.ml.onlineEndpoints.getToken(c.ws.resourceGroup, c.ws.workspace, "score-ep");
    expect((await c.scoring.score({ scoringUri: uri, secret: token.accessToken ?? "", input: { url: APP_URL }, deployment: "blue" })).status).toBe(401);
  });

  it("routes by the azureml-model-deployment header even at 0% traffic; unknown deployment is 404", async () => {
    const chat = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { query: "What is Azure ML?", chat_history: [] }, deployment: "chat" });
    expect(chat.status).toBe(200);
    expect(chat.body).toEqual({ reply: expect.stringContaining("What is Azure ML?") });
    const unknown = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "purple" });
    expect(unknown.status).toBe(404);
  });

  it("without the header: 404 while no deployment has traffic, then the split decides (70/30 exactly)", async () => {
    const noTraffic = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL } });
    expect(noTraffic.status).toBe(404);
    expect(JSON.stringify(noTraffic.body)).toContain("No valid deployments to route to");

    await setTraffic(c, clock, "score-ep", { blue: 70, chat: 30 });
    const served: Record<string, number> = {};
    for (let i = 0; i < 10; i++) {
      const r = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL, query: "hi" } });
      expect(r.status).toBe(200);
      const d = r.headers["azureml-model-deployment"] ?? "?";
      served[d] = (served[d] ?? 0) + 1;
    }
    expect(served).toEqual({ blue: 7, chat: 3 });
  });

  it("a traffic change routes only once its update operation has finished", async () => {
    const poller = await c.ml.onlineEndpoints.beginCreateOrUpdate(c.ws.resourceGroup, c.ws.workspace, "score-ep", { location: "eastus", properties: { authMode: "Key", traffic: { blue: 0, chat: 100 } } }, POLL);
    const during = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL } });
    expect(["blue", "chat"]).toContain(during.headers["azureml-model-deployment"]);
    expect(sim.state().endpoints[0]?.effectiveTraffic).toEqual({ blue: 70, chat: 30 });
    clock.advanceBy(30_000);
    await poller.pollUntilDone();
    for (let i = 0; i < 3; i++) {
      const r = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { query: "hi" } });
      expect(r.headers["azureml-model-deployment"]).toBe("chat");
    }
  });

  it("a deployment that is not Succeeded answers 503; a flow missing its input answers 424 / 400", async () => {
    const model = await registerModel(c, "late", "1");
    const poller = await c.ml.onlineDeployments.beginCreateOrUpdate(c.ws.resourceGroup, c.ws.workspace, "score-ep", "late", { location: "eastus", properties: { endpointComputeType: "Managed", model } as never }, POLL);
    const notReady = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "late" });
    expect(notReady.status).toBe(503);
    expect(JSON.stringify(notReady.body)).toContain("Creating");
    clock.advanceBy(720_000);
    await poller.pollUntilDone();
    expect((await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "late" })).status).toBe(200);

    const missing = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { wrong: 1 }, deployment: "blue" });
    expect(missing.status).toBe(424);
    expect(missing.headers["ms-azureml-model-error-statuscode"]).toBe("400");
    const notJson = await raw(sim, "POST", "/endpoints/score-ep/score", { rawText: "{", headers: { Authorization: `Bearer ${keys.primaryKey}`, "azureml-model-deployment": "blue" } });
    expect(notJson.status).toBe(424);
  });

  it("scoring faults hit only their deployment (green answers 500 forever)", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "green" });
      expect(r.status).toBe(500);
    }
    expect((await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "blue" })).status).toBe(200);
    sim.injectFault({ op: "score", deployment: "blue", status: 424, times: 1 });
    const modelError = await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey, input: { url: APP_URL }, deployment: "blue" });
    expect(modelError.status).toBe(424);
    expect(modelError.headers["ms-azureml-model-error-reason"]).toBe("model_error");
    expect(sim.requests({ operation: "score" }).filter((r) => r.fault === "status")).toHaveLength(4);
  });

  it("an unknown endpoint is 404; swagger.json needs the key too", async () => {
    expect((await raw(sim, "POST", "/endpoints/nobody/score", { body: {} })).status).toBe(404);
    expect((await raw(sim, "GET", "/endpoints/score-ep/swagger.json", { headers: { Authorization: `Bearer ${keys.primaryKey}` } })).status).toBe(200);
    expect((await raw(sim, "GET", "/endpoints/score-ep/swagger.json")).status).toBe(401);
  });

  it("never writes a key or token into the request log", () => {
    const log = JSON.stringify(sim.requests());
    expect(sim.secrets().length).toBeGreaterThanOrEqual(3);
    for (const secret of sim.secrets()) expect(log).not.toContain(secret);
  });
});

describe("AML token auth", () => {
  it("accepts tokens from getToken until they expire, and refuses keys", async () => {
    const clock = new VirtualClock();
    const sim = await startSimulator({
      clock,
      scenario: {
        existing: [{ endpoint: "chat-ep", authMode: "AMLToken", deployments: [{ name: "blue", traffic: 100, model: "chat-flow:1" }] }],
        models: [{ name: "chat-flow", version: "1", flow: "chat" }],
      },
    });
    try {
      const c = clientsFor(sim);
      const uri = sim.scoringUri("chat-ep");
      const token = await c.ml.onlineEndpoints.getToken(c.ws.resourceGroup, c.ws.workspace, "chat-ep");
      const ok = await c.scoring.score({ scoringUri: uri, secret: token.accessToken ?? "", input: { question: "Hello?", chat_history: [] } });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ answer: expect.stringContaining("Hello?") });
      const keys = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "chat-ep");
      expect((await c.scoring.score({ scoringUri: uri, secret: keys.primaryKey ?? "", input: { question: "x" } })).status).toBe(401);
      clock.advanceBy(3600_000);
      expect((await c.scoring.score({ scoringUri: uri, secret: token.accessToken ?? "", input: { question: "x" } })).status).toBe(401);
    } finally {
      await sim.close();
    }
  });
});

describe("scoring on the scaled clock", () => {
  it("token auth, propagation (900 s, overlapping the 720 s deployment) and traffic routing at 1000x real time", async () => {
    const clock = new ScaledClock(1000);
    const sim = await startSimulator({ clock });
    try {
      const c = clientsFor(sim);
      const ep = await c.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
        c.ws.resourceGroup, c.ws.workspace, "scaled-ep",
        { location: "eastus", identity: { type: "SystemAssigned" }, properties: { authMode: "AMLToken" } }, { updateIntervalInMs: 5 },
      );
      const grant = await grantSecretsReader(c, ep.identity?.principalId ?? "");
      const model = await registerModel(c, "scaled-flow", "1");
      await c.ml.onlineDeployments.beginCreateOrUpdateAndWait(
        c.ws.resourceGroup, c.ws.workspace, "scaled-ep", "blue",
        { location: "eastus", properties: { endpointComputeType: "Managed", model } as never }, { updateIntervalInMs: 5 },
      );
      const token = await c.ml.onlineEndpoints.getToken(c.ws.resourceGroup, c.ws.workspace, "scaled-ep");
      const request = { scoringUri: ep.properties.scoringUri ?? "", secret: token.accessToken ?? "", input: { url: APP_URL }, deployment: "blue" };
      // The deployment (720 s) finished before the grant's 900 s: still denied.
      expect((await c.scoring.score(request)).status).toBe(424);
      let answer = await c.scoring.score(request);
      while (answer.status === 424) {
        await new Promise((r) => setTimeout(r, 20));
        answer = await c.scoring.score(request);
      }
      expect(answer.status).toBe(200);
      const waited = clock.now().getTime() - (grant.createdOn?.getTime() ?? 0);
      expect(waited).toBeGreaterThanOrEqual(900_000);
      expect(waited).toBeLessThan(1_100_000);
      expect((await c.scoring.score({ ...request, secret: "not-a-token" })).status).toBe(401);

      const { deployment: _header, ...byTraffic } = request;
      expect((await c.scoring.score(byTraffic)).status).toBe(404);
      await c.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
        c.ws.resourceGroup, c.ws.workspace, "scaled-ep",
        { location: "eastus", properties: { authMode: "AMLToken", traffic: { blue: 100 } } }, { updateIntervalInMs: 5 },
      );
      const routed = await c.scoring.score(byTraffic);
      expect(routed.status).toBe(200);
      expect(routed.headers["azureml-model-deployment"]).toBe("blue");
    } finally {
      await sim.close();
    }
  });
});
