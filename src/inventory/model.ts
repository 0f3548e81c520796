import { PROMPT_FLOW_RETIREMENT_DATE, PROMPT_FLOW_UPDATES_ENDED_DATE, promptFlowEvidence } from "../domain/promptFlowRuntime";

/**
 * The migration backlog (docs/inventory.md): which online deployments of which workspaces still run
 * the prompt flow runtime, decided from what Azure reports. Pure: no I/O and no clock of its own (the
 * reader passes `now`).
 */

/** A workspace as the answer names it: its name and its ARM resource id. */
export interface InventoryWorkspace {
  name: string;
  id: string;
}

/** A workspace's parts, as the SDK's calls take them. */
export interface WorkspaceTarget extends InventoryWorkspace {
  subscriptionId: string;
  resourceGroup: string;
}

/** Where a deployment is and what it serves on: what the reader sees and a row reports alike. */
export interface DeploymentPlacement {
  workspace: InventoryWorkspace;
  endpoint: string;
  deployment: string;
  /** Its share of the endpoint's live traffic (`traffic` map), 0 to 100. */
  trafficPercent: number;
  /** Its share of mirrored traffic (`mirrorTraffic` map), 0 to 50. */
  mirrorPercent: number;
  instanceType: string | null;
  /** `sku.capacity`: the instances it runs on. */
  instanceCount: number | null;
}

/** One deployment still on the prompt flow runtime. */
export interface InventoryRow extends DeploymentPlacement {
  /** Its environment's image, when the environment is a version of the workspace; else null (unknown). */
  image: string | null;
  /** Why it counts as prompt flow, one sentence each. */
  evidence: string[];
  /** Created by flowdeploy (tag `flowdeploy.managed`). */
  managed: boolean;
  provisioningState: string | null;
  updatesEnded: string;
  supportEnds: string;
  /** Whole days from the reader's today (UTC) to `supportEnds`; negative once it has passed. */
  daysLeft: number;
}

export type DeploymentKind = "promptFlow" | "agent" | "other";

export interface InventorySummary {
  /** Deployments on the prompt flow runtime (the rows). */
  promptFlow: number;
  /** Deployments with a code configuration and no prompt flow evidence (Agent Framework or other scoring scripts). */
  agent: number;
  /** Everything else (a model on its own image, an environment whose image is unknown). */
  other: number;
  /** Workspaces read (those in `errors` not counted). */
  workspaces: number;
}

export interface InventoryError {
  workspace: InventoryWorkspace;
  /** Only when one endpoint of a workspace that was read could not be. */
  endpoint?: string;
  /** ARM's error code (ResourceNotFound, AuthorizationFailed, ...) or Unreachable. */
  code: string;
  message: string;
}

/** The answer of GET /api/inventory. */
export interface Inventory {
  generatedAt: string;
  supportEnds: string;
  rows: InventoryRow[];
  summary: InventorySummary;
  errors: InventoryError[];
}

/** What the reader saw of one deployment. */
export interface ObservedDeployment extends DeploymentPlacement {
  /** Undefined: the environment is not a version of the workspace (a registry or curated one), so its image is not read. */
  image: string | null | undefined;
  environmentId: string | null;
  environmentVariables: Record<string, string | null | undefined>;
  /** The scoring script of its code configuration, when it has one. */
  codeScript: string | null;
  hasCodeConfiguration: boolean;
  managed: boolean;
  provisioningState: string | null;
}

export interface Classification {
  kind: DeploymentKind;
  evidence: string[];
}

/**
 * Prompt flow when Azure shows either sign of the runtime: the environment's image is a runtime image,
 * or the deployment sets PROMPTFLOW_RUN_MODE (deploy-to-code's serving variable; an image built FROM
 * the runtime has another name but still needs it). A code configuration without either is an agent
 * (or another scoring script); the rest is other.
 */
export function classify(d: ObservedDeployment): Classification {
  const evidence = promptFlowEvidence(d);
  if (evidence.length > 0) return { kind: "promptFlow", evidence };
  return { kind: d.hasCodeConfiguration ? "agent" : "other", evidence: [] };
}

const DAY_MS = 86_400_000;

/** Whole days from `now`'s UTC date to `date` (YYYY-MM-DD); 0 on the day, negative after it. */
export function daysUntil(date: string, now: Date): number {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((Date.parse(`${date}T00:00:00.000Z`) - today) / DAY_MS);
}

export function rowOf(d: ObservedDeployment, evidence: string[], now: Date): InventoryRow {
  return {
    workspace: { ...d.workspace },
    endpoint: d.endpoint,
    deployment: d.deployment,
    trafficPercent: d.trafficPercent,
    mirrorPercent: d.mirrorPercent,
    instanceType: d.instanceType,
    instanceCount: d.instanceCount,
    image: d.image ?? null,
    evidence,
    managed: d.managed,
    provisioningState: d.provisioningState,
    updatesEnded: PROMPT_FLOW_UPDATES_ENDED_DATE,
    supportEnds: PROMPT_FLOW_RETIREMENT_DATE,
    daysLeft: daysUntil(PROMPT_FLOW_RETIREMENT_DATE, now),
  };
}

const byText = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : a < b ? -1 : a > b ? 1 : 0);

/** Most live traffic first, then most mirrored, then endpoint and deployment name, then workspace id. */
export function compareRows(a: InventoryRow, b: InventoryRow): number {
  return b.trafficPercent - a.trafficPercent || b.mirrorPercent - a.mirrorPercent || byText(a.endpoint, b.endpoint) || byText(a.deployment, b.deployment) || byText(a.workspace.id, b.workspace.id);
}

/** The answer from what was observed: prompt flow deployments as rows, the rest counted. */
export function buildInventory(observed: readonly ObservedDeployment[], workspacesRead: number, errors: readonly InventoryError[], now: Date): Inventory {
  const summary: InventorySummary = { promptFlow: 0, agent: 0, other: 0, workspaces: workspacesRead };
  const rows: InventoryRow[] = [];
  for (const d of observed) {
    const c = classify(d);
    summary[c.kind] += 1;
    if (c.kind === "promptFlow") rows.push(rowOf(d, c.evidence, now));
  }
  return {
    generatedAt: now.toISOString(),
    supportEnds: PROMPT_FLOW_RETIREMENT_DATE,
    rows: rows.sort(compareRows),
    summary,
    errors: [...errors].sort((a, b) => byText(a.workspace.id, b.workspace.id) || byText(a.endpoint ?? "", b.endpoint ?? "")),
  };
}

/** An Azure ML workspace's ARM resource id, as ARM spells it (compared ignoring case). */
const WORKSPACE_ID = /^\/subscriptions\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([-\w]{1,64})$/i;

/** The workspace an ARM id names, or undefined when it is not a workspace id. */
export function parseWorkspaceId(id: string): WorkspaceTarget | undefined {
  const m = WORKSPACE_ID.exec(id.trim());
  if (!m) return undefined;
  const [, subscriptionId, resourceGroup, name] = m as unknown as [string, string, string, string];
  return { subscriptionId, resourceGroup, name, id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${name}` };
}
