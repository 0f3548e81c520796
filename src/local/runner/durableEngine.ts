/**
 * THE adapter between the local runner and durable-functions' internals. Every assumption the runner
 * makes about the library beyond its public types lives here:
 *
 * - the version check (the runner is written against durable-functions 3.5.x, pinned `~3.5.0`);
 * - deep imports of unexported modules (`durable-functions/lib/src/...`, typed by
 *   durable-functions-internals.d.ts), used only to compare the runner's wire constants with the
 *   library's enums;
 * - introspection of the orchestration executor the library leaves on `context.df`
 *   (`taskOrchestratorExecutor.openTasks`), used to check the runner's task-id bookkeeping against the
 *   library's own counter (runtime option `verifyTaskIds`, and the library-upgrade canary test).
 *
 * The runtime path itself needs none of this: it speaks the public wire protocol (wire.ts) to the
 * handlers `df.app.*` registers. If an upgrade changes any of it, test/runner/libraryCanary.test.ts fails.
 */
import { HistoryEventType } from "durable-functions/lib/src/history/HistoryEventType";
import { ActionType as LibraryActionType } from "durable-functions/lib/src/actions/ActionType";
import { ReplaySchema as LibraryReplaySchema } from "durable-functions/lib/src/orchestrations/ReplaySchema";
import dfPackage from "durable-functions/package.json";

export const DURABLE_FUNCTIONS_VERSION: string = dfPackage.version;
/** The minor line the runner's protocol knowledge was established against. */
export const SUPPORTED_DURABLE_FUNCTIONS = /^3\.5\.\d+$/;

export class UnsupportedDurableFunctionsVersionError extends Error {
  override readonly name = "UnsupportedDurableFunctionsVersionError";
}

/**
 * Throws outside 3.5.x. The runner replays histories through the library's engine and keeps its task
 * ids in step with the library's counter; both are internals that can change in any minor release.
 */
export function assertSupportedDurableFunctionsVersion(version: string = DURABLE_FUNCTIONS_VERSION): void {
  if (!SUPPORTED_DURABLE_FUNCTIONS.test(version)) {
    throw new UnsupportedDurableFunctionsVersionError(
      `The local durable runner supports durable-functions 3.5.x, found ${version}. ` +
        "Run test/runner/libraryCanary.test.ts against the new version, fix what it reports, then widen SUPPORTED_DURABLE_FUNCTIONS.",
    );
  }
}

/** Name → number maps of the library's own enums (numeric members only). */
export function libraryEnums(): { eventTypes: Record<string, number>; actionTypes: Record<string, number>; replaySchemas: Record<string, number> } {
  const numeric = (e: Record<string, number | string>): Record<string, number> =>
    Object.fromEntries(Object.entries(e).filter((entry): entry is [string, number] => typeof entry[1] === "number"));
  return { eventTypes: numeric(HistoryEventType), actionTypes: numeric(LibraryActionType), replaySchemas: numeric(LibraryReplaySchema) };
}

interface ExecutorLike {
  openTasks: Record<string, unknown>;
  sequenceNumber: number;
}

/**
 * The library's view after an orchestrator invocation: the keys of its open tasks (numeric task ids,
 * or entity request ids once an EventSent re-keyed them) and its next sequence number. Reads
 * `context.df.taskOrchestratorExecutor`, which the Orchestrator handler attaches to the context.
 */
export function libraryTaskState(context: unknown): { openTaskKeys: string[]; nextSequenceNumber: number } {
  const df = (context as { df?: { taskOrchestratorExecutor?: Partial<ExecutorLike> } }).df;
  const executor = df?.taskOrchestratorExecutor;
  if (!executor || typeof executor.openTasks !== "object" || executor.openTasks === null || typeof executor.sequenceNumber !== "number") {
    throw new UnsupportedDurableFunctionsVersionError(
      `durable-functions ${DURABLE_FUNCTIONS_VERSION} no longer exposes context.df.taskOrchestratorExecutor.{openTasks,sequenceNumber}; ` +
        "the runner cannot verify its task ids (see durableEngine.ts).",
    );
  }
  return { openTaskKeys: Object.keys(executor.openTasks), nextSequenceNumber: executor.sequenceNumber };
}
