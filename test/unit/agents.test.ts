import { describe, expect, it } from "vitest";
import { formatIssues, parseDeployRequest } from "../../src/contracts";
import { parityReasons, parityScore, wordSimilarity } from "../../src/domain/parity";
import { requestSettingsFor } from "../../src/domain/requestSettings";
import { agentGrants, AGENT_ROLES, RoleIds, rolesFor } from "../../src/domain/roles";
import { propagationMinutesOf, TARGET_PROPAGATION } from "../../src/domain/targets";
import { runsPromptFlow } from "../../src/domain/promptFlowRuntime";
import { promptFlowToRetire } from "../../src/domain/retention";
import { requestPolicyViolation } from "../../src/intake/intake";
import { LOCAL_INTAKE_POLICY } from "../../src/intake/policy";
import { sampleAgentRequest, sampleMigrationRequest, setPath } from "../support/samples";

function problems(request: Record<string, any>): string[] {
  const parsed = parseDeployRequest(request);
  return parsed.ok ? [] : formatIssues(parsed.issues);
}

const AI = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.CognitiveServices/accounts/contoso-ai";
const VAULT = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.KeyVault/vaults/contoso-kv";

describe("the agent target", () => {
  it("accepts the bundled agent and migration samples", () => {
    expect(problems(sampleAgentRequest())).toEqual([]);
    expect(problems(sampleMigrationRequest())).toEqual([]);
  });

  it.each([
    ["agent.scoringScript", "../score.py", "agent.scoringScript: expected a Python file relative to the code folder, e.g. score.py (no '..', no leading '/')"],
    ["agent.scoringScript", "/score.py", "agent.scoringScript: expected a Python file relative to the code folder, e.g. score.py (no '..', no leading '/')"],
    ["agent.scoringScript", "score.sh", "agent.scoringScript: expected a Python file relative to the code folder, e.g. score.py (no '..', no leading '/')"],
    ["agent.code", "https://evil.example/code", "agent.code: expected a code folder URI such as azureml://datastores/workspaceblobstore/paths/agents/web-classification (or the long form naming the target workspace)"],
    ["agent.aiServices", VAULT, "agent.aiServices: expected a Microsoft.CognitiveServices/accounts resource id"],
    ["agent.keyVault", AI, "agent.keyVault: expected a Microsoft.KeyVault/vaults resource id"],
    ["agent.environment", "my-env", "agent.environment: expected azureml:<name>:<version> or the ARM id of an environment version in the target workspace"],
    ["agent.environment", { image: "Not An Image", condaFile: "x" }, "agent.environment.image: expected a container image reference registry/repository[:tag][@sha256:digest]"],
    ["deployment.environment", "azureml:flow-env:1", "deployment.environment: an agent names its environment in agent.environment"],
    ["deployment.requestSettings", { requestTimeoutSeconds: 240 }, "deployment.requestSettings.requestTimeoutSeconds: managed online deployments other than prompt flow allow at most 180 seconds"],
    ["propagationMinutes", 9, "propagationMinutes: role assignments can take up to 10 minutes to take effect; use at least 10"],
  ])("refuses %s = %j naming the field", (path, value, expected) => {
    expect(problems(setPath(sampleAgentRequest(), path, value))).toContain(expected);
  });

  it("accepts a registered environment and a Key Vault, and a 10-minute wait", () => {
    const request = sampleAgentRequest();
    request.agent.environment = "azureml:agent-env:3";
    request.agent.keyVault = VAULT;
    request.propagationMinutes = 10;
    expect(problems(request)).toEqual([]);
  });

  it("is one target of three: an agent with a flow is refused", () => {
    const request = sampleAgentRequest();
    request.flow = { name: "web-classification", path: "azureml://datastores/workspaceblobstore/paths/promptflow/web-classification", mode: "standard" };
    expect(problems(request)).toEqual(["agent: give exactly one of flow, model or agent, not flow and agent"]);
  });

  it("waits 11 minutes by default (RBAC: up to 10 minutes), a prompt flow 16", () => {
    const parsed = parseDeployRequest(sampleAgentRequest());
    expect(parsed.ok && propagationMinutesOf(parsed.value)).toBe(11);
    expect(TARGET_PROPAGATION.agent.minimumMinutes).toBe(10);
    expect(TARGET_PROPAGATION.flow.minimumMinutes).toBe(15);
  });

  it("gets no connection secrets reader, and its resources' roles", () => {
    expect(rolesFor("SystemAssigned", "agent")).toEqual([]);
    expect(rolesFor("UserAssigned", "agent").map((r) => r.roleDefinitionGuid)).toEqual([RoleIds.acrPull, RoleIds.storageBlobDataReader, RoleIds.metricsWriter]);
    expect(rolesFor("SystemAssigned", "flow").map((r) => r.roleDefinitionGuid)).toEqual([RoleIds.connectionSecretsReader]);
    expect(agentGrants({ aiServices: AI })).toEqual([{ roleDefinitionGuid: "a97b65f3-24c7-4388-baec-2e87135dc908", scope: AI }]);
    expect(agentGrants({ aiServices: AI, keyVault: VAULT })).toEqual([
      { roleDefinitionGuid: AGENT_ROLES.aiServices.guid, scope: AI },
      { roleDefinitionGuid: "4633458b-17de-408a-b874-0445c86b69e6", scope: VAULT },
    ]);
  });

  it("is granted only on resources in FLOWDEPLOY_EXTRA_ROLE_SCOPES", () => {
    const parsed = parseDeployRequest({ ...sampleAgentRequest(), agent: { ...sampleAgentRequest().agent, keyVault: VAULT } });
    if (!parsed.ok) throw new Error("sample invalid");
    const policy = { ...LOCAL_INTAKE_POLICY, extraRoleScopes: [AI.toLowerCase()] };
    expect(requestPolicyViolation(parsed.value, policy)).toEqual({ code: "ExtraRoleScopeNotAllowed", issues: [{ path: ["agent", "keyVault"], message: "this resource is not in FLOWDEPLOY_EXTRA_ROLE_SCOPES" }] });
    expect(requestPolicyViolation(parsed.value, { ...policy, extraRoleScopes: [] })?.issues[0]?.path).toEqual(["agent", "aiServices"]);
    expect(requestPolicyViolation(parsed.value, { ...policy, extraRoleScopes: [AI.toLowerCase(), VAULT.toLowerCase()] })).toBeUndefined();
  });

  it("takes one request at a time per inference server worker (WORKER_COUNT, default 1)", () => {
    expect(requestSettingsFor({ instanceType: "Standard_DS3_v2" }, "agent")).toEqual({ requestTimeoutSeconds: 90, maxConcurrentRequestsPerInstance: 1 });
    expect(requestSettingsFor({ instanceType: "Standard_DS3_v2", environmentVariables: { WORKER_COUNT: "4" } }, "agent").maxConcurrentRequestsPerInstance).toBe(4);
    expect(requestSettingsFor({ instanceType: "Standard_DS3_v2" }, "flow").maxConcurrentRequestsPerInstance).toBe(4);
  });
});

describe("the migrate rollout", () => {
  it("needs an agent, and a parity check or a mirror", () => {
    const noParity = sampleMigrationRequest();
    delete noParity.parity;
    delete noParity.rollout.mirror;
    expect(problems(noParity)).toEqual(['parity: a "migrate" rollout needs a parity check, a mirror (rollout.mirror), or both, before any live traffic']);
    const flow = sampleMigrationRequest();
    delete flow.agent;
    flow.flow = { name: "web-classification", path: "azureml://datastores/workspaceblobstore/paths/promptflow/web-classification", mode: "standard" };
    expect(problems(flow)).toContain('rollout.strategy: a "migrate" rollout deploys an agent: give agent {name, code, scoringScript, environment, aiServices}');
    const parityElsewhere = sampleAgentRequest();
    parityElsewhere.parity = sampleMigrationRequest().parity;
    expect(problems(parityElsewhere)).toEqual(['parity: only for rollout.strategy "migrate"']);
  });

  it("takes steps with analysis, and analysis only with steps or a mirror", () => {
    const request = sampleMigrationRequest();
    delete request.rollout.analysis;
    expect(problems(request)).toEqual(['rollout.analysis: required with "steps": e.g. {"maxErrorRatePercent": 1}', 'rollout.analysis: required with "mirror": e.g. {"maxErrorRatePercent": 1}']);
    const bare = sampleMigrationRequest();
    delete bare.rollout.steps;
    delete bare.rollout.mirror;
    expect(problems(bare)).toEqual(['rollout.analysis: only with "steps" or "mirror"']);
  });

  it.each([
    ["parity.inputs", [], "parity.inputs: at least one input"],
    ["parity.inputs", Array.from({ length: 51 }, () => ({ url: "x" })), "parity.inputs: at most 50 inputs"],
    ["parity.rules", {}, "parity.rules: give at least one rule: requiredFields, exactFields, numericTolerance or similarity"],
    ["parity.rules", { similarity: { fields: ["answer"], threshold: 1.5 } }, "parity.rules.similarity.threshold: expected a number from 0 to 1"],
    ["parity.minScorePercent", 101, "parity.minScorePercent: expected a percentage from 0 to 100"],
  ])("refuses %s = %j naming the field", (path, value, expected) => {
    expect(problems(setPath(sampleMigrationRequest(), path, value))).toContain(expected);
  });
});

describe("parity rules", () => {
  const rules = { requiredFields: ["category", "evidence"], exactFields: ["category"], numericTolerance: { fields: ["score"], absolute: 0.05 }, similarity: { fields: ["summary"], threshold: 0.5 } };
  const flow = { category: "App", evidence: "Both", score: 0.9, summary: "A mobile app for sharing short posts" };

  it("pass identical answers and answers within the rules", () => {
    expect(parityReasons(flow, flow, rules)).toEqual([]);
    expect(parityReasons(flow, { ...flow, score: 0.94, summary: "a mobile app for sharing posts" }, rules)).toEqual([]);
  });

  it("name every field and rule an answer breaks", () => {
    expect(parityReasons(flow, { category: "None", score: 0.7, summary: "Unrelated text entirely" }, rules)).toEqual([
      "evidence: missing from the agent's answer",
      'category: agent "None", prompt flow "App"',
      "score: agent 0.7, prompt flow 0.9, 0.2 apart (tolerance 0.05)",
      'summary: word similarity 0.00 below 0.5 (agent "Unrelated text entirely", prompt flow "A mobile app for sharing short posts")',
    ]);
    expect(parityReasons(flow, { ...flow, score: "high" }, { numericTolerance: rules.numericTolerance })).toEqual(['score: not a number in both answers (agent "high", prompt flow 0.9)']);
    expect(parityReasons(flow, "plain text", { requiredFields: ["category"] })).toEqual(["category: missing from the agent's answer"]);
  });

  it("compare exact fields as JSON, whatever the key order, and quote at most 40 characters", () => {
    expect(parityReasons({ tags: { a: 1, b: 2 } }, { tags: { b: 2, a: 1 } }, { exactFields: ["tags"] })).toEqual([]);
    const long = "x".repeat(100);
    expect(parityReasons({ answer: "y" }, { answer: long }, { exactFields: ["answer"] })).toEqual([`answer: agent "${"x".repeat(39)}…, prompt flow "y"`]);
  });

  it("measure word similarity as Jaccard over lower-case words", () => {
    expect(wordSimilarity("The cat sat", "the CAT sat")).toBe(1);
    expect(wordSimilarity("a b c d", "a b x y")).toBeCloseTo(2 / 6, 10);
    expect(wordSimilarity("", "")).toBe(1);
    expect(wordSimilarity("", "word")).toBe(0);
  });

  it("score cases in percent with one decimal", () => {
    expect(parityScore(2, 3)).toBe(66.7);
    expect(parityScore(5, 6)).toBe(83.3);
    expect(parityScore(0, 0)).toBe(100);
    expect(parityScore(6, 6)).toBe(100);
  });
});

describe("the prompt flow runtime, as Azure reports a deployment", () => {
  it("is recognised by its image or by PROMPTFLOW_RUN_MODE", () => {
    expect(runsPromptFlow({ image: "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:20250101.v1", environmentVariables: {} })).toBe(true);
    expect(runsPromptFlow({ image: "contoso.azurecr.io/flows/web:1", environmentVariables: { PROMPTFLOW_RUN_MODE: "serving" } })).toBe(true);
    expect(runsPromptFlow({ image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest", environmentVariables: { AZURE_CLIENT_ID: "x" } })).toBe(false);
    expect(runsPromptFlow({ image: null, environmentVariables: {} })).toBe(false);
  });
});

describe("retiring the prompt flow after a migration", () => {
  const at = (day: number) => `2026-11-${String(day).padStart(2, "0")}T00:00:00.000Z`;
  const d = (name: string, promptFlow: boolean, createdAt: string | null, traffic = 0, mirror = 0) => ({ name, promptFlow, traffic, mirror, createdAt });
  it("deletes idle prompt flow deployments beyond the newest keepPrevious, never the agent, a live or mirrored one, or a non-prompt-flow one", () => {
    const list = [d("blue", true, at(1)), d("old", true, at(2)), d("green", false, at(3)), d("live", true, at(4), 10), d("mirrored", true, at(5), 0, 5), d("custom", false, at(1)), d("ageless", true, null)];
    expect(promptFlowToRetire(list, "green", 0)).toEqual(["old", "blue", "ageless"]);
    expect(promptFlowToRetire(list, "green", 1)).toEqual(["blue", "ageless"]);
    expect(promptFlowToRetire(list, "GREEN", 3)).toEqual([]);
  });
});

describe("parity inputs from a datastore file (parity.inputsFile)", () => {
  const FILE = "azureml://datastores/workspaceblobstore/paths/parity/web-classification.jsonl";
  const fromFile = () => {
    const request = sampleMigrationRequest();
    delete request.parity.inputs;
    request.parity.inputsFile = FILE;
    return request;
  };

  it("takes a JSONL file in a datastore of the target workspace, short or long form", () => {
    expect(problems(fromFile())).toEqual([]);
    const long = fromFile();
    long.parity.inputsFile = "azureml://subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/RG-PROMPTFLOW/workspaces/ws-promptflow/datastores/workspaceblobstore/paths/parity/cases.jsonl";
    expect(problems(long)).toEqual([]);
  });

  it("needs exactly one of inputs and inputsFile", () => {
    const both = fromFile();
    both.parity.inputs = [{ url: "https://example.com" }];
    expect(problems(both)).toEqual(["parity.inputsFile: give exactly one of inputs or inputsFile, not both"]);
    const neither = fromFile();
    delete neither.parity.inputsFile;
    expect(problems(neither)).toEqual(["parity.inputs: required: give inputs (an array of input objects) or inputsFile (a JSONL file in a datastore of the target workspace)"]);
  });

  it("refuses a file of another workspace", () => {
    const other = fromFile();
    other.parity.inputsFile = "azureml://subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-promptflow/workspaces/ws-other/datastores/workspaceblobstore/paths/parity/cases.jsonl";
    expect(problems(other)).toEqual(["parity.inputsFile: names another workspace; the parity inputs must be in a datastore of the target workspace"]);
  });

  const NOT_A_FILE =
    "parity.inputsFile: expected a JSONL file in a datastore of the target workspace, such as azureml://datastores/workspaceblobstore/paths/parity/cases.jsonl (or the long form naming the target workspace; no '.' or '..' segments)";
  it.each([
    "azureml://datastores/workspaceblobstore/paths/../secrets/cases.jsonl",
    "azureml://datastores/workspaceblobstore/paths/parity/../cases.jsonl",
    "azureml://datastores/workspaceblobstore/paths/./cases.jsonl",
    "azureml://datastores/workspaceblobstore/paths/parity/cases.json",
    "azureml://datastores/workspaceblobstore/paths/parity/",
    "azureml://datastores/workspaceblobstore/paths/parity/cases%2e.jsonl",
    "https://contoso.blob.core.windows.net/azureml/parity/cases.jsonl",
    "azureml://datastores/work-space/paths/parity/cases.jsonl",
  ])("refuses %s naming the field", (uri) => {
    const request = fromFile();
    request.parity.inputsFile = uri;
    expect(problems(request)).toEqual([NOT_A_FILE]);
  });

  it("a flow folder or agent code path may not start with `..` either", () => {
    const request = sampleMigrationRequest();
    request.agent.code = "azureml://datastores/workspaceblobstore/paths/../agents/web-classification";
    expect(problems(request)).toEqual([expect.stringMatching(/^agent\.code: expected a code folder URI/)]);
  });
});
