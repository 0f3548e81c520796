/**
 * The local durable runner: runs the app's registered orchestrators, activities and entities through
 * durable-functions' own replay engine, playing the Durable host's part. See docs/local-runner.md.
 *
 *   const functions = new FunctionRegistry();
 *   await functions.captureAsync(() => import("../../functions/activities"));
 *   const runtime = new DurableRuntime({ functions, clock: new VirtualClock(), stateDir });
 *   const client = new LocalDurableClient(runtime);
 *   const id = await client.startNew("deployFlow", { input });
 *   const status = await client.waitForCompletion(id);
 */
export { DuplicateFunctionError, FunctionRegistry, type CapturedFunctions, type HostHandler, type RegisteredFunction } from "./registrations";
export { DurableRuntime } from "./runtime";
export type { DurableRuntimeOptions, IdleReport, RunUntilIdleOptions, RunnerClock, RunnerLogEntry, StartOptions } from "./runtimeOptions";
export { currentActivityInvocation, type ActivityInvocation } from "./activityInvocation";
export { isTerminalStatus } from "./runtimeState";
export { LocalDurableClient, isFinished, type HttpManagementUrls, type LocalDurableClientOptions } from "./client";
export type { RunnerEvent, RunnerEventListener, RunnerEventType, RunnerMetrics, InstanceMetricsView, ActivityStats } from "./observability";
export { FileInstanceStore, MemoryInstanceStore, type InstanceRecord, type InstanceStore, type RuntimeStatus, type EntityRecord } from "./instanceStore";
export { history, HistoryBuilder } from "./history";
export { invokeOrchestrator, replayHistory, type InvokeResult, type ReplayReport, type ReplayStep } from "./replay";
export { NonDeterminismError, TaskIdMismatchError, flattenActions, type EpisodeOutcome } from "./episode";
export { failureDetailsFromError } from "./failureDetails";
export { nextRetryDelayMs, retryPolicyFrom, type RetryPolicy } from "./retryPolicy";
export { ActionType, EventType, entitySchedulerId, type FailureDetailsPayload, type HistoryEvent } from "./wire";
export { assertSupportedDurableFunctionsVersion, DURABLE_FUNCTIONS_VERSION, UnsupportedDurableFunctionsVersionError } from "./durableEngine";
