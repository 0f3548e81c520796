import { parseDeployRequest } from "../../src/contracts";
import { instanceIdFor } from "../../src/domain/ids";
import { deployFlowInput } from "../../src/intake/startOnce";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { sampleRequest } from "./samples";

/**
 * A rollout of green onto web-classify, where blue serves (100%, or 0% with `liveBlue: false`) and
 * synthetic callers send 60 scoring calls a minute, started on a stopped runner so the test steps the
 * virtual clock itself (test/orchestrations/canary.test.ts, mirror.test.ts).
 */
export async function startLoadedRollout(
  startAt: Date,
  requestId: string,
  rollout: Record<string, unknown>,
  greenBehaviour: Record<string, unknown> | null,
  options: { liveBlue?: boolean } = {},
): Promise<{ stack: LocalStack; id: string }> {
  const stack = await startLocalStack({
    startAt,
    scenario: {
      existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: options.liveBlue === false ? 0 : 100 }] }],
      load: { requestsPerMinute: 60 },
      ...(greenBehaviour ? { scoringBehaviour: [{ deployment: "green", ...greenBehaviour }] } : {}),
    },
  });
  await stack.runtime.stop();
  const body = sampleRequest();
  body.requestId = requestId;
  body.deployment.name = "green";
  body.rollout = { onFailure: "delete", ...rollout } as never;
  const parsed = parseDeployRequest(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const id = instanceIdFor(requestId);
  await stack.client.startNew("deployFlow", { instanceId: id, input: deployFlowInput(parsed.value, "cli") });
  return { stack, id };
}
