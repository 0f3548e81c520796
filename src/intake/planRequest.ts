import { formatIssues } from "../contracts/issues";
import { parseDeployRequest } from "../contracts/parse";
import type { DeployRequest } from "../contracts/deployRequest";
import type { DeploymentPlan } from "../plan/planDeployment";
import { bodyToJson, requestPolicyViolation, type RejectionCode } from "./intake";
import type { IntakePolicy } from "./policy";
import { existingRun, type StartClient } from "./startOnce";

export type PlanResult = { outcome: "planned"; plan: DeploymentPlan } | { outcome: "rejected"; code: RejectionCode; lines: string[] };

/**
 * A dry run: the request is read and checked exactly as intake would (contract, then the app's
 * policy), then planned against Azure as it is — nothing is started, granted or published.
 */
export async function planRequest(body: unknown, policy: IntakePolicy, plan: (request: DeployRequest) => Promise<DeploymentPlan>, client?: Pick<StartClient, "getStatus">): Promise<PlanResult> {
  const json = bodyToJson(body);
  if (!json.ok) return { outcome: "rejected", code: "InvalidRequest", lines: formatIssues(json.issues) };
  const parsed = parseDeployRequest(json.value);
  if (!parsed.ok) return { outcome: "rejected", code: "InvalidRequest", lines: formatIssues(parsed.issues) };
  const violation = requestPolicyViolation(parsed.value, policy);
  if (violation) return { outcome: "rejected", code: violation.code, lines: formatIssues(violation.issues) };
  const planned = await plan(parsed.value);
  // The request id is the run's identity: a used one starts nothing (the same body) or is refused (another body).
  const used = client ? await existingRun(client, parsed.value) : undefined;
  if (used?.conflict) {
    planned.problems.push({ code: "RequestIdConflict", message: `requestId ${parsed.value.requestId} is already used by a different request (instance ${used.instanceId}, ${used.status}); a changed request needs a new requestId` });
  } else if (used) {
    planned.problems.push({ code: "DuplicateRequest", message: `requestId ${parsed.value.requestId} already ran as instance ${used.instanceId} (${used.status}); sending it again starts nothing` });
  }
  return { outcome: "planned", plan: planned };
}
