import type { SmokeTestResult } from "../../src/contracts/activities";
import { smokeTestTimeoutSeconds } from "../../src/domain/requestSettings";
import type { DeployRun } from "../deployRun";
import { StageFailure } from "../failures";
import { callActivity, sleepUntil, type Step } from "../steps";

/**
 * Stage `smokeTest`: scores the new deployment directly (it has no traffic yet) with the request's
 * sample input. An answer that means "permission not effective yet" is retried on a durable timer,
 * up to the policy's attempts; a wrong answer fails the run at once.
 */
export function* smokeTest(run: DeployRun, deploymentName: string): Step<SmokeTestResult> {
  const { ctx, request, retry, input } = run;
  return yield* run.record.stage("smokeTest", function* () {
    for (let attempt = 1; ; attempt++) {
      const result = yield* callActivity(
        ctx,
        "smokeTest",
        "smokeTest",
        {
          workspace: request.workspace,
          endpointName: request.endpoint.name,
          deploymentName,
          authMode: request.endpoint.authMode,
          input: request.smokeTest.input,
          expectFields: request.smokeTest.expectFields,
          timeoutSeconds: smokeTestTimeoutSeconds(input.smokeTest.timeoutSeconds, request.deployment),
        },
        retry,
      );
      if (result.outcome === "passed") return result;
      if (result.outcome === "failed") throw new StageFailure("smokeTest", "SmokeTestFailed", result.reason);
      if (attempt >= input.smokeTest.maxAttempts) {
        throw new StageFailure("smokeTest", "NotAuthorizedInTime", `still not authorized after ${attempt} attempts: ${result.reason}`);
      }
      yield* sleepUntil(ctx, new Date(ctx.df.currentUtcDateTime.getTime() + input.smokeTest.retryDelaySeconds * 1000));
    }
  });
}
