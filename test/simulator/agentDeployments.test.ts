import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { CodeVersion } from "@azure/arm-machinelearning";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, workspaceId, type Simulator } from "../../src/local/simulator";
import { SCORING_SCRIPT_FAILED_MESSAGE } from "../../src/local/simulator/agents";
import { stableGuid } from "../../src/local/simulator/ids";
import { loadScenarioFile, type ScenarioInput } from "../../src/local/simulator/scenario";
import { SEED_AGENT_CONDA_FILE } from "../../src/local/simulator/seed";
import { createEndpoint } from "./support/flows";
import { clientsFor, ML, POLL, raw, repoRoot, roleDefinitionId, sdkError, wsPath, type Clients } from "./support/harness";

/**
 * Agent Framework deployments through the real @azure/arm-machinelearning and @azure/arm-authorization
 * clients: code assets, environments with a conda file, deployments with a code configuration, and
 * how an agent answers (its identity's roles on AI Services and Key Vault, scenario answers, seeding).
 */

const SUB = "00000000-1111-2222-3333-444444444444";
const AI_SERVICES = `/subscriptions/${SUB}/resourceGroups/rg-promptflow/providers/Microsoft.CognitiveServices/accounts/contoso-ai`;
const KEY_VAULT = `/subscriptions/${SUB}/resourceGroups/rg-promptflow/providers/Microsoft.KeyVault/vaults/contoso-kv`;
const CODE_FOLDER = "agents/web-classification";
const COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908";
const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";
const APP_URL = "https://play.google.com/store/apps/details?id=com.twitter.android";
const ARXIV_URL = "https://arxiv.org/abs/2401.00001";
const CONDA = "name: agent\ndependencies:\n  - python=3.11\n  - pip:\n      - agent-framework\n      - azureml-inference-server-http\n";

const scenarioFile = (name: string) => join(repoRoot, "samples", "scenarios", name);

function loadSample(name: string): ScenarioInput {
  const loaded = loadScenarioFile(scenarioFile(name));
  if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
  return loaded.value;
}

function longUri(c: Clients, path: string): string {
  return `azureml://subscriptions/${c.ws.subscriptionId}/resourcegroups/${c.ws.resourceGroup}/workspaces/${c.ws.workspace}/datastores/workspaceblobstore/paths/${path}`;
}

function codeVersionArmId(c: Clients, name: string, version: string): string {
  return `${workspaceId(c.ws)}/codes/${name}/versions/${version}`;
}

/** What the product does: the code container (if missing), then the code version with the long datastore URI. */
async function registerCode(c: Clients, name: string, version: string, path: string, requestId = randomUUID()): Promise<string> {
  await c.ml.codeContainers.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, name, { properties: {} });
  await c.ml.codeVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, name, version, { properties: { codeUri: longUri(c, path), tags: { "flowdeploy.requestId": requestId } } });
  return codeVersionArmId(c, name, version);
}

async function registerAgentEnvironment(c: Clients, name = "agent-env", version = "1"): Promise<string> {
  await c.ml.environmentVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, name, version, {
    properties: { image: "mcr.microsoft.com/azureml/minimal-py311-inference:latest", condaFile: CONDA },
  });
  return `${workspaceId(c.ws)}/environments/${name}/versions/${version}`;
}

async function deployAgent(c: Clients, clock: VirtualClock, endpoint: string, name: string, codeId: string, environmentId: string, extra: Record<string, unknown> = {}) {
  const poller = await c.ml.onlineDeployments.beginCreateOrUpdate(
    c.ws.resourceGroup,
    c.ws.workspace,
    endpoint,
    name,
    {
      location: "eastus",
      properties: { endpointComputeType: "Managed", codeConfiguration: { codeId, scoringScript: "score.py" }, environmentId, instanceType: "Standard_DS3_v2", ...extra } as never,
      sku: { name: "Default", capacity: 1 },
    },
    POLL,
  );
  clock.advanceBy(720_000);
  return poller.pollUntilDone();
}

async function grant(c: Clients, scope: string, roleGuid: string, principalId: string) {
  return c.authz.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: roleDefinitionId(c.ws, roleGuid), principalId, principalType: "ServicePrincipal" });
}

async function keyOf(c: Clients, endpoint: string): Promise<string> {
  return (await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, endpoint)).primaryKey ?? "";
}

describe("code containers and versions", () => {
  const clock = new VirtualClock("2026-07-01T00:00:00Z");
  let sim: Simulator;
  let c: Clients;

  beforeAll(async () => {
    sim = await startSimulator({ clock });
    c = clientsFor(sim);
  });
  afterAll(async () => sim.close());

  it("PUT answers 201 then 200, GET and list show the version with its long datastore codeUri and tags", async () => {
    const container = await c.ml.codeContainers.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "web-agent", { properties: { description: "agent code" } });
    expect(container.id).toBe(`${workspaceId(c.ws)}/codes/web-agent`);
    expect(container.type).toBe("Microsoft.MachineLearningServices/workspaces/codes");

    const body: CodeVersion = { properties: { codeUri: longUri(c, CODE_FOLDER), tags: { "flowdeploy.requestId": "req-1" } } };
    const first = await raw(sim, "PUT", `${wsPath(c.ws, "/codes/web-agent/versions/1")}${ML}`, { body });
    expect(first.status).toBe(201);
    const again = await raw(sim, "PUT", `${wsPath(c.ws, "/codes/web-agent/versions/1")}${ML}`, { body });
    expect(again.status).toBe(200);

    const got = await c.ml.codeVersions.get(c.ws.resourceGroup, c.ws.workspace, "web-agent", "1");
    expect(got.id).toBe(codeVersionArmId(c, "web-agent", "1"));
    expect(got.name).toBe("1");
    expect(got.type).toBe("Microsoft.MachineLearningServices/workspaces/codes/versions");
    expect(got.properties.codeUri).toBe(longUri(c, CODE_FOLDER));
    expect(got.properties.tags).toEqual({ "flowdeploy.requestId": "req-1" });

    await c.ml.codeVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "web-agent", "2", { properties: { codeUri: longUri(c, "agents/other"), tags: { "flowdeploy.requestId": "req-2" } } });
    const listed: CodeVersion[] = [];
    for await (const v of c.ml.codeVersions.list(c.ws.resourceGroup, c.ws.workspace, "web-agent")) listed.push(v);
    expect(listed.map((v) => [v.name, v.properties.tags?.["flowdeploy.requestId"]])).toEqual([
      ["2", "req-2"],
      ["1", "req-1"],
    ]);
    const containerAfter = await c.ml.codeContainers.get(c.ws.resourceGroup, c.ws.workspace, "web-agent");
    expect(containerAfter.properties.latestVersion).toBe("2");
    expect(containerAfter.properties.nextVersion).toBe("3");
  });

  it("a version PUT creates its container; a missing version is 404 ResourceNotFound", async () => {
    await c.ml.codeVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "auto-container", "1", { properties: { codeUri: longUri(c, "agents/auto") } });
    expect((await c.ml.codeContainers.get(c.ws.resourceGroup, c.ws.workspace, "auto-container")).name).toBe("auto-container");
    const missing = await sdkError(c.ml.codeVersions.get(c.ws.resourceGroup, c.ws.workspace, "auto-container", "9"));
    expect(missing.statusCode).toBe(404);
    expect(missing.code).toBe("ResourceNotFound");
  });

  it("a code version's path cannot change: 409 UserError 'Asset paths cannot be updated.'", async () => {
    await c.ml.codeVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "immutable", "1", { properties: { codeUri: longUri(c, "agents/a") } });
    const changed = await sdkError(c.ml.codeVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "immutable", "1", { properties: { codeUri: longUri(c, "agents/b") } }));
    expect(changed).toEqual({ statusCode: 409, code: "UserError", message: "Asset paths cannot be updated." });
    // Tags may change on the same path.
    const retagged = await c.ml.codeVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "immutable", "1", { properties: { codeUri: longUri(c, "agents/a"), tags: { t: "1" } } });
    expect(retagged.properties.tags).toEqual({ t: "1" });
  });

  it("an environment version with image + condaFile and no inference config is stored and shown; its conda file is immutable", async () => {
    await registerAgentEnvironment(c, "agent-env", "1");
    const env = await c.ml.environmentVersions.get(c.ws.resourceGroup, c.ws.workspace, "agent-env", "1");
    expect(env.properties.image).toBe("mcr.microsoft.com/azureml/minimal-py311-inference:latest");
    expect(env.properties.condaFile).toBe(CONDA);
    expect(env.properties.inferenceConfig ?? null).toBeNull();
    const changed = await sdkError(
      c.ml.environmentVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "agent-env", "1", { properties: { image: "mcr.microsoft.com/azureml/minimal-py311-inference:latest", condaFile: `${CONDA}      - requests\n` } }),
    );
    expect(changed).toEqual({ statusCode: 409, code: "UserError", message: "Environment agent-env with version 1 is already registered and cannot be changed." });
  });
});

describe("agent deployments: control plane and scoring", () => {
  const clock = new VirtualClock("2026-07-01T00:00:00Z");
  let sim: Simulator;
  let c: Clients;
  let principalId: string;
  let uri: string;
  let codeId: string;
  let environmentId: string;

  beforeAll(async () => {
    sim = await startSimulator({ clock, scenario: loadSample("agent.json") });
    c = clientsFor(sim);
    const ep = await createEndpoint(c, clock, "web-agent");
    principalId = ep.identity?.principalId ?? "";
    uri = ep.properties.scoringUri ?? "";
    codeId = await registerCode(c, "web-classification-agent", "1", CODE_FOLDER);
    environmentId = await registerAgentEnvironment(c);
  });
  afterAll(async () => sim.close());

  it("a deployment with a code configuration succeeds and GET returns the code configuration, the environment and no model", async () => {
    const created = await deployAgent(c, clock, "web-agent", "agent", codeId, environmentId, { environmentVariables: { AGENT_MODE: "workflow" } });
    expect(created.properties.provisioningState).toBe("Succeeded");
    const got = await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "web-agent", "agent");
    expect(got.properties.codeConfiguration).toEqual({ codeId, scoringScript: "score.py" });
    expect(got.properties.environmentId).toBe(environmentId);
    expect(got.properties.model).toBeUndefined();
    expect(got.properties.environmentVariables).toEqual({ AGENT_MODE: "workflow" });
  });

  it("a codeId naming no code version of the workspace is refused: 400 UserError 'Could not find asset with ID'", async () => {
    const ghost = codeVersionArmId(c, "ghost", "7");
    const refused = await sdkError(deployAgent(c, clock, "web-agent", "ghost", ghost, environmentId));
    expect(refused).toEqual({ statusCode: 400, code: "UserError", message: `Could not find asset with ID: ${ghost}` });
    expect(sim.requests({ operation: "onlineDeployments.createOrUpdate" }).at(-1)?.status).toBe(400);
  });

  it("a code configuration without a scoring script is refused: 400 UserError", async () => {
    const path = `${wsPath(c.ws, "/onlineEndpoints/web-agent/deployments/noscript")}${ML}`;
    for (const codeConfiguration of [{ codeId }, { codeId, scoringScript: "" }]) {
      const answer = await raw(sim, "PUT", path, { body: { location: "eastus", properties: { endpointComputeType: "Managed", codeConfiguration, environmentId } } });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: { code: "UserError", message: "The ScoringScript field is required." } });
    }
  });

  it("scores 424 (model status 401, PermissionDenied) until Cognitive Services User on the AI Services account has propagated, then the standard answer", async () => {
    const key = await keyOf(c, "web-agent");
    const denied = await c.scoring.score({ scoringUri: uri, secret: key, input: { url: APP_URL }, deployment: "agent" });
    expect(denied.status).toBe(424);
    expect(denied.headers["ms-azureml-model-error-statuscode"]).toBe("401");
    expect(denied.headers["ms-azureml-model-error-reason"]).toBe("model_error");
    expect(denied.headers["azureml-model-deployment"]).toBe("agent");
    expect(denied.body).toEqual({
      error: {
        code: "PermissionDenied",
        message: `The principal \`${principalId}\` lacks the required data action \`Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action\` to perform \`POST /openai/deployments/{deployment-id}/chat/completions\` operation.`,
      },
    });

    // No Connection Secrets Reader anywhere: an agent does not need it.
    await grant(c, AI_SERVICES, COGNITIVE_SERVICES_USER, principalId);
    clock.advanceBy(899_000);
    expect((await c.scoring.score({ scoringUri: uri, secret: key, input: { url: APP_URL }, deployment: "agent" })).status).toBe(424);
    clock.advanceBy(1_000);
    const ok = await c.scoring.score({ scoringUri: uri, secret: key, input: { url: APP_URL }, deployment: "agent" });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ category: "App", evidence: "Both" });
    expect(ok.headers["azureml-model-deployment"]).toBe("agent");
  });

  it("an input run() cannot handle is the inference server's 500, reported as 424 with model status 500", async () => {
    const key = await keyOf(c, "web-agent");
    const failed = await c.scoring.score({ scoringUri: uri, secret: key, input: { question: "no url" }, deployment: "agent" });
    expect(failed.status).toBe(424);
    expect(failed.headers["ms-azureml-model-error-statuscode"]).toBe("500");
    expect(failed.body).toEqual({ message: SCORING_SCRIPT_FAILED_MESSAGE });
  });
});

describe("agents that diverge from the flow, and Key Vault", () => {
  const clock = new VirtualClock("2026-07-01T00:00:00Z");
  let sim: Simulator;
  let c: Clients;

  beforeAll(async () => {
    const base = loadSample("migration-divergent.json");
    const scenario: ScenarioInput = {
      ...base,
      load: undefined,
      agents: [
        ...(base.agents ?? []),
        { code: "azureml://datastores/workspaceblobstore/paths/agents/with-secrets", aiServices: AI_SERVICES, keyVault: KEY_VAULT },
      ],
      scoringBehaviour: [{ deployment: "flaky", errorRatePercent: 100 }],
    };
    sim = await startSimulator({ clock, scenario });
    c = clientsFor(sim);
  });
  afterAll(async () => sim.close());

  it("the scenario's answers override the contract for matching inputs only; the flow on blue answers Academic", async () => {
    const ep = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "web-classify");
    const principalId = ep.identity?.principalId ?? "";
    const codeId = await registerCode(c, "web-agent", "1", CODE_FOLDER);
    const environmentId = await registerAgentEnvironment(c);
    await deployAgent(c, clock, "web-classify", "agent", codeId, environmentId);
    await grant(c, AI_SERVICES, COGNITIVE_SERVICES_USER, principalId);
    clock.advanceBy(900_000);
    const uri = ep.properties.scoringUri ?? "";
    const key = await keyOf(c, "web-classify");
    const agentArxiv = await c.scoring.score({ scoringUri: uri, secret: key, input: { url: ARXIV_URL }, deployment: "agent" });
    expect([agentArxiv.status, agentArxiv.body]).toEqual([200, { category: "None", evidence: "None" }]);
    const flowArxiv = await c.scoring.score({ scoringUri: uri, secret: key, input: { url: ARXIV_URL }, deployment: "blue" });
    expect([flowArxiv.status, flowArxiv.body]).toEqual([200, { category: "Academic", evidence: "Text content" }]);
    const agentApp = await c.scoring.score({ scoringUri: uri, secret: key, input: { url: APP_URL }, deployment: "agent" });
    expect(agentApp.body).toEqual({ category: "App", evidence: "Both" });
  });

  it("scoringBehaviour fails an agent as run() raising does: 424 with model status 500", async () => {
    const codeId = codeVersionArmId(c, "web-agent", "1");
    const environmentId = `${workspaceId(c.ws)}/environments/agent-env/versions/1`;
    await deployAgent(c, clock, "web-classify", "flaky", codeId, environmentId);
    const ep = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "web-classify");
    const failed = await c.scoring.score({ scoringUri: ep.properties.scoringUri ?? "", secret: await keyOf(c, "web-classify"), input: { url: APP_URL }, deployment: "flaky" });
    expect([failed.status, failed.headers["ms-azureml-model-error-statuscode"], failed.body]).toEqual([424, "500", { message: SCORING_SCRIPT_FAILED_MESSAGE }]);
  });

  it("an agent that reads Key Vault answers Key Vault's 403 ForbiddenByRbac until Key Vault Secrets User has propagated", async () => {
    const ep = await createEndpoint(c, clock, "kv-agent");
    const principalId = ep.identity?.principalId ?? "";
    const codeId = await registerCode(c, "kv-agent", "1", "agents/with-secrets/");
    await deployAgent(c, clock, "kv-agent", "agent", codeId, `${workspaceId(c.ws)}/environments/agent-env/versions/1`);
    await grant(c, AI_SERVICES, COGNITIVE_SERVICES_USER, principalId);
    clock.advanceBy(900_000);
    const uri = ep.properties.scoringUri ?? "";
    const key = await keyOf(c, "kv-agent");

    const denied = await c.scoring.score({ scoringUri: uri, secret: key, input: { url: APP_URL }, deployment: "agent" });
    expect(denied.status).toBe(424);
    expect(denied.headers["ms-azureml-model-error-statuscode"]).toBe("403");
    const err = (denied.body as { error: { code: string; message: string; innererror: { code: string } } }).error;
    expect(err.code).toBe("Forbidden");
    expect(err.innererror).toEqual({ code: "ForbiddenByRbac" });
    expect(err.message).toBe(
      [
        "Caller is not authorized to perform action on resource.",
        "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
        `Caller: appid=${stableGuid(`app|${principalId}`)};oid=${principalId};iss=https://sts.windows.net/5e1a7c0d-2b6f-4c3e-9a1d-0f10d3f10d00/`,
        "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
        `Resource: '${KEY_VAULT.toLowerCase()}/secrets/agent-settings'`,
        "Assignment: (not found)",
        "DenyAssignmentId: null",
        "DecisionReason: 'DeniedWithNoValidRBAC' ",
        "Vault: contoso-kv;location=eastus",
        "",
      ].join("\r\n"),
    );
    expect(JSON.stringify(denied.body)).toContain("ForbiddenByRbac");

    await grant(c, KEY_VAULT, KEY_VAULT_SECRETS_USER, principalId);
    clock.advanceBy(899_000);
    expect((await c.scoring.score({ scoringUri: uri, secret: key, input: { url: APP_URL }, deployment: "agent" })).headers["ms-azureml-model-error-statuscode"]).toBe("403");
    clock.advanceBy(1_000);
    const ok = await c.scoring.score({ scoringUri: uri, secret: key, input: { url: APP_URL }, deployment: "agent" });
    expect([ok.status, ok.body]).toEqual([200, { category: "App", evidence: "Both" }]);
  });
});

describe("seeding samples/scenarios/inventory.json", () => {
  const clock = new VirtualClock("2026-07-01T00:00:00Z");
  let sim: Simulator;
  let c: Clients;

  beforeAll(async () => {
    sim = await startSimulator({ clock, scenario: loadSample("inventory.json") });
    c = clientsFor(sim);
  });
  afterAll(async () => sim.close());

  async function runtimeOf(endpoint: string, deployment: string) {
    const d = await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, endpoint, deployment);
    const envId = d.properties.environmentId ?? "";
    const m = /\/environments\/([^/]+)\/versions\/([^/]+)$/.exec(envId);
    const env = await c.ml.environmentVersions.get(c.ws.resourceGroup, c.ws.workspace, m?.[1] ?? "", m?.[2] ?? "");
    return { d, envId, env };
  }

  it("prompt flow deployments name an environment version on the prompt flow runtime image and set PROMPTFLOW_RUN_MODE", async () => {
    for (const [endpoint, deployment] of [
      ["web-classify", "blue"],
      ["web-classify", "green"],
      ["support-chat", "blue"],
    ] as const) {
      const { d, envId, env } = await runtimeOf(endpoint, deployment);
      expect(envId).toBe(`${workspaceId(c.ws)}/environments/${endpoint}-${deployment}/versions/1`);
      expect(env.properties.image).toBe("mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest");
      expect(env.properties.inferenceConfig).toEqual({
        livenessRoute: { path: "/health", port: 8080 },
        readinessRoute: { path: "/health", port: 8080 },
        scoringRoute: { path: "/score", port: 8080 },
      });
      expect(d.properties.environmentVariables).toEqual({ PROMPTFLOW_RUN_MODE: "serving" });
      expect(d.properties.codeConfiguration).toBeUndefined();
      expect(d.tags).toEqual({ "flowdeploy.managed": "true" });
    }
    const chat = await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "support-chat", "blue");
    expect(chat.properties.instanceType).toBe("Standard_DS4_v2");
    expect(chat.sku?.capacity).toBe(2);
    expect(chat.properties.model).toBe(`${workspaceId(c.ws)}/models/support-chat-flow/versions/1`);
    const web = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "web-classify");
    expect(web.properties.traffic).toEqual({ blue: 100, green: 0 });
  });

  it("the agent deployment has a code configuration naming a seeded code version, a curated inference image with a conda file and no model", async () => {
    const { d, envId, env } = await runtimeOf("triage", "agent");
    const codeId = `${workspaceId(c.ws)}/codes/triage-agent/versions/1`;
    expect(d.properties.codeConfiguration).toEqual({ codeId, scoringScript: "score.py" });
    expect(d.properties.model).toBeUndefined();
    expect(d.properties.environmentVariables).toEqual({});
    expect(envId).toBe(`${workspaceId(c.ws)}/environments/triage-agent/versions/1`);
    expect(env.properties.image).toBe("mcr.microsoft.com/azureml/minimal-py311-inference:latest");
    expect(env.properties.condaFile).toBe(SEED_AGENT_CONDA_FILE);
    expect(env.properties.inferenceConfig ?? null).toBeNull();
    const code = await c.ml.codeVersions.get(c.ws.resourceGroup, c.ws.workspace, "triage-agent", "1");
    expect(code.properties.codeUri).toBe(longUri(c, "agents/triage"));
    // Seeded an effective Cognitive Services User, and no Connection Secrets Reader: it answers (chat contract).
    const ep = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "triage");
    const answer = await c.scoring.score({ scoringUri: ep.properties.scoringUri ?? "", secret: await keyOf(c, "triage"), input: { question: "Route this ticket", chat_history: [] } });
    expect([answer.status, answer.body]).toEqual([200, { answer: 'Simulated answer to "Route this ticket" (turn 1).' }]);
  });

  it("the plain model deployment runs its custom image, without PROMPTFLOW_RUN_MODE or the flowdeploy tag", async () => {
    const { d, env } = await runtimeOf("classifier", "main");
    expect(env.properties.image).toBe("contoso.azurecr.io/models/classifier:4");
    expect(d.properties.environmentVariables).toEqual({});
    expect(d.properties.model).toBe(`${workspaceId(c.ws)}/models/classifier/versions/4`);
    expect(d.properties.codeConfiguration).toBeUndefined();
    expect(d.tags).toEqual({});
    expect((await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "classifier")).tags).toEqual({});
  });
});

describe("migration samples", () => {
  it.each(["migration.json", "migration-divergent.json"])("%s seeds blue on the prompt flow runtime at 100%% with synthetic load", async (file) => {
    const clock = new VirtualClock("2026-07-01T00:00:00Z");
    const sim = await startSimulator({ clock, scenario: loadSample(file) });
    try {
      const c = clientsFor(sim);
      const blue = await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "web-classify", "blue");
      expect(blue.properties.model).toBe(`${workspaceId(c.ws)}/models/web-classification-model/versions/3`);
      expect(blue.properties.environmentVariables).toEqual({ PROMPTFLOW_RUN_MODE: "serving" });
      expect(blue.tags).toEqual({ "flowdeploy.managed": "true" });
      const env = await c.ml.environmentVersions.get(c.ws.resourceGroup, c.ws.workspace, "web-classify-blue", "1");
      expect(env.properties.image).toBe("mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest");
      expect((await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "web-classify")).properties.traffic).toEqual({ blue: 100 });
      expect(loadSample(file).load).toEqual({ requestsPerMinute: 60 });
    } finally {
      await sim.close();
    }
  });
});

describe("an agent under synthetic load, as a mirror", () => {
  const T0 = Date.parse("2026-09-01T00:00:00Z");
  const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString().replace(".000Z", "Z");

  it("migration.json's 60 calls a minute copy 20% to a mirrored agent, which answers them (metrics 12 a minute, status 200)", async () => {
    const clock = new VirtualClock(new Date(T0));
    const sim = await startSimulator({ clock, scenario: loadSample("migration.json") });
    try {
      const c = clientsFor(sim);
      const ep = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "web-classify");
      const codeId = await registerCode(c, "web-agent", "1", CODE_FOLDER);
      await deployAgent(c, clock, "web-classify", "agent", codeId, await registerAgentEnvironment(c));
      await grant(c, AI_SERVICES, COGNITIVE_SERVICES_USER, ep.identity?.principalId ?? "");
      clock.advanceBy(900_000);
      const put = await raw(sim, "PUT", `${wsPath(c.ws, "/onlineEndpoints/web-classify")}?api-version=2024-10-01`, {
        body: { location: "eastus", properties: { authMode: "Key", traffic: { blue: 100 }, mirrorTraffic: { agent: 20 } } },
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      clock.advanceBy(30_000 + 3.5 * 60_000);
      const query = (filter: string) =>
        `${wsPath(c.ws, "/onlineEndpoints/web-classify")}/providers/Microsoft.Insights/metrics?api-version=2018-01-01&timespan=${encodeURIComponent(`${iso(28)}/${iso(30)}`)}&interval=PT1M&metricnames=RequestsPerMinute&aggregation=Total&$filter=${encodeURIComponent(filter)}`;
      const answer = await raw(sim, "GET", query("deployment eq '*' and statusCode eq '*'"));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const series = (answer.body as { value: { timeseries: { metadatavalues: { value: string }[]; data?: { total?: number }[] }[] }[] }).value[0]!.timeseries;
      const byKey = Object.fromEntries(series.map((s) => [s.metadatavalues.map((m) => m.value).join("/"), (s.data ?? []).map((p) => p.total)]));
      expect(byKey).toEqual({ "blue/200": [60, 60], "agent/200": [12, 12] });
    } finally {
      await sim.close();
    }
  });
});
