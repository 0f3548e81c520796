import { formatIssues } from "../contracts/issues";
import { parseDeployRequest } from "../contracts/parse";
import type { DeployRequest } from "../contracts/deployRequest";
import type { DeploymentPlan } from "../plan/planDeployment";
import { bodyToJson, requestPolicyViolation, type RejectionCode } from "./intake";
import type { IntakePolicy } from "./policy";

export type PlanResult = { outcome: "planned"; plan: DeploymentPlan } | { outcome: "rejected"; code: RejectionCode; lines: string[] };

/**
 * A dry run: the request is read and checked exactly as intake would (contract, then the app's
 * policy), then planned against Azure as it is — nothing is started, granted or published.
 */
export async function planRequest(body: unknown, policy: IntakePolicy, plan: (request: DeployRequest) => Promise<DeploymentPlan>): Promise<PlanResult> {
  const json = bodyToJson(body);
  if (!json.ok) return { outcome: "rejected", code: "InvalidRequest", lines: formatIssues(json.issues) };
  const parsed = parseDeployRequest(json.value);
  if (!parsed.ok) return { outcome: "rejected", code: "InvalidRequest", lines: formatIssues(parsed.issues) };
  const violation = requestPolicyViolation(parsed.value, policy);
  if (violation) return { outcome: "rejected", code: violation.code, lines: formatIssues(violation.issues) };
  return { outcome: "planned", plan: await plan(parsed.value) };
}
