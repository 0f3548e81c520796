import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioInput } from "../../src/local/simulator";
import { repoRoot } from "../support/samples";

/**
 * The mixed workspace of samples/scenarios/inventory.json (web-classify: prompt flow blue 100%, green
 * 0%; support-chat: a chat flow at 100% on 2 × Standard_DS4_v2; triage: an agent; classifier: a model
 * on its own image), plus what the inventory must also tell apart: `legacy`, an image built FROM the
 * runtime under another name that still sets PROMPTFLOW_RUN_MODE, with a 20% mirror beside an agent.
 */
export const WS_ID = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";
export const OTHER_WS_ID = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-other/providers/Microsoft.MachineLearningServices/workspaces/ws-other";
export const RUNTIME_IMAGE = "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest";
export const T0 = new Date("2026-11-23T10:00:00.000Z");

export function inventoryScenario(): ScenarioInput {
  const sample = JSON.parse(readFileSync(join(repoRoot, "samples/scenarios/inventory.json"), "utf8")) as { existing: unknown[]; models: unknown[]; agents: unknown[] };
  return {
    ...sample,
    existing: [
      ...sample.existing,
      {
        endpoint: "legacy",
        grantConnectionSecretsReader: false,
        deployments: [
          { name: "agent", traffic: 100, agent: { code: "azureml://datastores/workspaceblobstore/paths/agents/triage", scoringScript: "score.py" } },
          { name: "flow", traffic: 0, mirrorTraffic: 20, runtime: "custom", image: "contoso.azurecr.io/flows/legacy:7", environmentVariables: { PROMPTFLOW_RUN_MODE: "serving" }, instanceType: "Standard_F4s_v2", instanceCount: 3, managed: false },
        ],
      },
    ],
  } as ScenarioInput;
}

const WS = { name: "ws-promptflow", id: WS_ID };
const DATES = { updatesEnded: "2026-04-20", supportEnds: "2027-04-20", daysLeft: 148 };
const RUNTIME_EVIDENCE = [`image ${RUNTIME_IMAGE} is a prompt flow runtime image`, "environment variable PROMPTFLOW_RUN_MODE is set"];

/** The rows the scenario gives on 2026-11-23, in the route's order. */
export const EXPECTED_ROWS = [
  { workspace: WS, endpoint: "support-chat", deployment: "blue", trafficPercent: 100, mirrorPercent: 0, instanceType: "Standard_DS4_v2", instanceCount: 2, image: RUNTIME_IMAGE, evidence: RUNTIME_EVIDENCE, managed: true, provisioningState: "Succeeded", ...DATES },
  { workspace: WS, endpoint: "web-classify", deployment: "blue", trafficPercent: 100, mirrorPercent: 0, instanceType: "Standard_DS3_v2", instanceCount: 1, image: RUNTIME_IMAGE, evidence: RUNTIME_EVIDENCE, managed: true, provisioningState: "Succeeded", ...DATES },
  { workspace: WS, endpoint: "legacy", deployment: "flow", trafficPercent: 0, mirrorPercent: 20, instanceType: "Standard_F4s_v2", instanceCount: 3, image: "contoso.azurecr.io/flows/legacy:7", evidence: ["environment variable PROMPTFLOW_RUN_MODE is set"], managed: false, provisioningState: "Succeeded", ...DATES },
  { workspace: WS, endpoint: "web-classify", deployment: "green", trafficPercent: 0, mirrorPercent: 0, instanceType: "Standard_DS3_v2", instanceCount: 1, image: RUNTIME_IMAGE, evidence: RUNTIME_EVIDENCE, managed: true, provisioningState: "Succeeded", ...DATES },
];

/** triage/agent and legacy/agent are agents; classifier/main is a model on its own image. */
export const EXPECTED_SUMMARY = { promptFlow: 4, agent: 2, other: 1, workspaces: 1 };
