import type * as df from "durable-functions";
import type { DeployFlowInput } from "../src/contracts/orchestration";
import { logLine } from "../src/domain/logLine";

/**
 * The orchestrator's log line, written once (never while replaying), with the run's fields first like
 * every other line the app writes (src/domain/logLine.ts): from the instance id and input only.
 */
export function runLog(ctx: df.OrchestrationContext, stage: string, message: string): void {
  if (ctx.df.isReplaying) return;
  const input = ctx.df.getInput() as Partial<DeployFlowInput> | undefined;
  ctx.log(logLine({ requestId: input?.request?.requestId, instanceId: ctx.df.instanceId, endpoint: input?.request?.endpoint?.name, stage }, message));
}
