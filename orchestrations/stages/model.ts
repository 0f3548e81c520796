import type { RegisteredModel } from "../../src/contracts/activities";
import type { DeployRun } from "../deployRun";
import { callActivity, type Step } from "../steps";

/**
 * Stage `model`: registers the flow folder as a model version, resolves the registered model the
 * request names, or registers an agent's code folder as a code asset version. Nothing to undo: a version is immutable and tagged with the request id, so a retry
 * of the same request finds it again; it stays as the record of what was tested.
 */
export function* registerModel(run: DeployRun): Step<RegisteredModel> {
  const { ctx, request, retry } = run;
  const agent = request.agent;
  const model = yield* run.record.stage(
    "model",
    () =>
      agent
        ? callActivity(ctx, "model", "registerCode", { workspace: request.workspace, requestId: request.requestId, agent: { name: agent.name, code: agent.code } }, retry)
        : callActivity(ctx, "model", "registerModel", { workspace: request.workspace, requestId: request.requestId, flow: request.flow, model: request.model }, retry),
    agent ? "code asset" : undefined,
  );
  run.model = model;
  return model;
}
