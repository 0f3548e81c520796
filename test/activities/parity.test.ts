import { afterEach, describe, expect, it } from "vitest";
import { createActivities } from "../../src/activities";
import { loadScenarioFile } from "../../src/local/simulator";
import { advanceMinutes, simWorkspace, startActivityHarness, type ActivityHarness } from "../support/activityHarness";
import { repoRoot } from "../support/samples";
import { join } from "node:path";

/**
 * The parity and runtime activities with real SDK clients against the simulator's migration
 * scenarios: blue is a live prompt flow deployment; an agent (green) is deployed beside it.
 */
let h: ActivityHarness;
afterEach(async () => h && (await h.close()));

function scenario(name: string) {
  const parsed = loadScenarioFile(join(repoRoot, "samples", "scenarios", name));
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.value;
}

const AI = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.CognitiveServices/accounts/contoso-ai";

/** An agent deployed as green beside blue, its role in effect. */
async function agentBesideBlue(file: string) {
  h = await startActivityHarness(scenario(file));
  const workspace = simWorkspace(h);
  const endpoint = { name: "web-classify", authMode: "key" as const, identity: { type: "SystemAssigned" as const } };
  const ep = await h.activities.getEndpointState({ workspace, endpointName: endpoint.name });
  await h.activities.grantEndpointRoles({ workspace, identityType: "SystemAssigned", principalId: ep.principalId!, target: "agent", agent: { aiServices: AI } });
  const code = await h.activities.registerCode({ workspace, requestId: "req-1", agent: { name: "web-agent", code: "azureml://datastores/workspaceblobstore/paths/agents/web-classification" } });
  await h.activities.startDeployment({
    workspace,
    requestId: "req-1",
    endpoint,
    identityClientId: null,
    deployment: { name: "green", instanceType: "Standard_DS3_v2", instanceCount: 1 },
    modelId: null,
    agent: { codeId: code.id, scoringScript: "score.py", environment: { image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest", condaFile: "dependencies: [python=3.11]" } },
  });
  advanceMinutes(h, 60);
  return { workspace };
}

const RULES = { requiredFields: ["category", "evidence"], exactFields: ["category"] };
const cases = [
  { index: 0, input: { url: "https://play.google.com/store/apps/details?id=x" } },
  { index: 1, input: { url: "https://arxiv.org/abs/2307.09288" } },
  { index: 2, input: {} },
];

describe("describeRuntimes", () => {
  it("tells the live prompt flow from the agent beside it, as Azure reports them", async () => {
    const { workspace } = await agentBesideBlue("migration.json");
    const { deployments } = await h.activities.describeRuntimes({ workspace, endpointName: "web-classify" });
    expect(deployments.map(({ createdAt: _c, ...d }) => d).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: "blue", traffic: 100, mirror: 0, promptFlow: true, code: false, managed: true },
      { name: "green", traffic: 0, mirror: 0, promptFlow: false, code: true, managed: true },
    ]);
    expect(await h.activities.describeRuntimes({ workspace, endpointName: "nowhere" })).toEqual({ deployments: [] });
  });
});

describe("checkParity", () => {
  it("scores each input on both deployments by name and compares the answers", async () => {
    const { workspace } = await agentBesideBlue("migration-divergent.json");
    const result = await h.activities.checkParity({ workspace, endpointName: "web-classify", baseline: "blue", candidate: "green", authMode: "key", cases, rules: RULES });
    expect(result.cases).toEqual([
      { index: 0, passed: true, reasons: [] },
      { index: 1, passed: false, reasons: ['category: agent "None", prompt flow "Academic"'] },
      // Neither answers an input without `url`: the prompt flow fails it as a user error (400), the agent's run() raises (500).
      { index: 2, passed: false, reasons: ["prompt flow (blue) answered HTTP 424 (container 400)", "agent (green) answered HTTP 424 (container 500)"] },
    ]);
  });

  it("never lets the key out, even when a container echoes it into its answer", async () => {
    const { workspace } = await agentBesideBlue("migration.json");
    // A container that copies the Authorization header into its answer (the real client scores; the answer is altered).
    const echoing = createActivities({
      ...h.deps,
      scoring: {
        score: async (req) => {
          const answer = await h.deps.scoring.score(req);
          return req.deployment === "green" ? { ...answer, body: { category: `${req.secret} ${Buffer.from(req.secret).toString("base64")}`, evidence: "Both" } } : answer;
        },
      },
    });
    const result = await echoing.checkParity({ workspace, endpointName: "web-classify", baseline: "blue", candidate: "green", authMode: "key", cases: cases.slice(0, 1), rules: RULES });
    expect(result.cases[0]!.passed).toBe(false);
    // Not the key, nor any piece of it or of its base64 form: the answer is scrubbed before it is quoted.
    expect(result.cases[0]!.reasons).toEqual(['category: agent "*** ***", prompt flow "App"']);
  });
});
