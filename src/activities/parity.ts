import { CheckParityInput, type ParityBatch } from "../contracts/activities";
import { parityReasons } from "../domain/parity";
import type { ActivityDeps } from "./deps";
import { post, scoringAccess, scrub, scrubAnswer } from "./smokeTest";
import type { ScoreResponse } from "./scoring";

/**
 * One batch of a migration's parity check: each case's input is scored on the prompt flow deployment
 * (`baseline`) and on the agent (`candidate`), each named in `azureml-model-deployment` so no client
 * sees the agent's answer and the traffic split is untouched, and the two answers are compared by the
 * request's rules (src/domain/parity.ts). A call that does not answer 200 fails its case with the
 * status. The key or token stays here: answers are scrubbed of it before they are compared or quoted.
 */
export async function checkParity(deps: ActivityDeps, rawInput: CheckParityInput): Promise<ParityBatch> {
  const input = CheckParityInput.parse(rawInput);
  const access = await scoringAccess(deps, input);
  if ("problem" in access) return { cases: input.cases.map((c) => ({ index: c.index, passed: false, reasons: [access.problem] })) };
  const { scoringUri, secret } = access;
  const ask = (deploymentName: string, body: Record<string, unknown>) => post(deps.scoring, scoringUri, secret, { input: body, deploymentName, timeoutSeconds: input.timeoutSeconds });
  const cases: ParityBatch["cases"] = [];
  for (const c of input.cases) {
    // Compared and quoted only once scrubbed: a reason's excerpt may never hold a piece of the key.
    const [baseline, candidate] = (await Promise.all([ask(input.baseline, c.input), ask(input.candidate, c.input)])).map((a) => scrubAnswer(a, secret)) as [ScoreResponse, ScoreResponse];
    const reasons = [...failedCall("prompt flow", input.baseline, baseline), ...failedCall("agent", input.candidate, candidate)];
    if (reasons.length === 0) reasons.push(...parityReasons(baseline.body, candidate.body, input.rules));
    cases.push({ index: c.index, passed: reasons.length === 0, reasons: reasons.map((r) => scrub(r, secret)) });
  }
  return { cases };
}

function failedCall(who: string, deployment: string, answer: ScoreResponse): string[] {
  if (answer.status === 200) return [];
  const model = answer.headers["ms-azureml-model-error-statuscode"];
  return [`${who} (${deployment}) answered HTTP ${answer.status}${model ? ` (container ${model})` : ""}`];
}
