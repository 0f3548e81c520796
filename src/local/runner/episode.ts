import { randomUUID } from "node:crypto";
import { InvocationContext, type LogHandler } from "@azure/functions";
import { libraryTaskState } from "./durableEngine";
import { history } from "./history";
import type { HostHandler } from "./registrations";
import { nextRetryDelayMs, retryPolicyFrom, type RetryPolicy } from "./retryPolicy";
import {
  ActionType,
  actionInputJson,
  actionTypeName,
  ADVERTISED_SCHEMA,
  DEFAULT_HTTP_ASYNC_SLEEP_MS,
  entitySchedulerId,
  EventType,
  LONG_RUNNING_TIMER_INTERVAL_DURATION,
  LONG_RUNNING_TIMER_INTERVAL_MS,
  MAXIMUM_SHORT_TIMER_DURATION,
  MAXIMUM_SHORT_TIMER_MS,
  OUT_OF_PROC_DATA_LABEL,
  ReplaySchema,
  type FailureDetailsPayload,
  type HistoryEvent,
  type OrchestrationBindingInput,
  type OrchestratorStateOut,
  type WireAction,
} from "./wire";

/**
 * One orchestration episode, the host's half: deliver new events, invoke the registered orchestrator
 * handler (durable-functions' own replay engine) with the whole history, read back its cumulative
 * actions, and turn the new ones into history records and work for the runtime.
 *
 * Task ids. The library matches completions by `TaskScheduledId`/`TimerId` against its own counter,
 * which advances once per yielded atomic task, per fire-and-forget signal, per entity released, per
 * retry timer and retry attempt, and per long-timer chunk. The host keeps the same counter
 * (`nextTaskId`): it numbers new actions in the order they appear, and numbers the timers/attempts it
 * adds itself (retries, long timers) when it delivers the event that causes them. The library makes
 * those dynamic allocations while processing that event, *before* user code resumes, so the runtime
 * delivers such an event first in its episode and never two in one episode (see `isDynamicEvent`).
 *
 * This module does no I/O: it mutates `ExecutionState` and returns commands.
 */

export interface EntityCaller {
  instanceId: string;
  executionId: string;
}

/** A message to an entity (the host's entity-scheduler queue). */
export type EntityMessage =
  | { kind: "call"; id: string; operation: string; inputJson?: string | undefined; from: EntityCaller }
  | { kind: "signal"; id: string; operation: string; inputJson?: string | undefined; from?: EntityCaller | undefined }
  | { kind: "lock"; id: string; lockSet: string[]; position: number; from: EntityCaller }
  | { kind: "release"; id: string; lockRequestId: string; from: EntityCaller };

export type TaskInfo =
  | { kind: "activity"; name: string }
  | { kind: "retryAttempt"; retryKey: number }
  | { kind: "retryTimer"; retryKey: number; fireAt: string }
  | { kind: "timer"; fireAt: string; canceled: boolean }
  | { kind: "longTimerChunk"; longKey: number; fireAt: string; canceled: boolean }
  | { kind: "subOrchestration"; name: string; instanceId: string }
  | { kind: "entityCall"; entityId: string; requestId: string; episode: number }
  | { kind: "lock"; requestId: string; episode: number };

export interface RetryState {
  target: "activity" | "subOrchestration";
  name: string;
  inputJson: string | undefined;
  /** Sub-orchestrations only: the child instance id the action named (else one per attempt). */
  childInstanceId?: string | undefined;
  policy: RetryPolicy;
  attemptsMade: number;
  firstAttemptAt: string;
  /** The retry timeout expired: the remaining attempts fail at once with `lastFailure`. */
  stopped: boolean;
  lastFailure?: FailureDetailsPayload | undefined;
}

export interface LongTimerState {
  finalFireAt: string;
  currentChunkId: number;
  canceled: boolean;
}

/** What the determinism check compares for an action: its type and what it targets (DTFx compares the same). */
export interface SeenAction {
  type: number;
  target: string;
  /** CreateTimer: its task id (for cancellation) and whether it was cancelled already. */
  taskId?: number | undefined;
  canceled?: boolean | undefined;
}

/** The host's bookkeeping for one execution of an orchestration instance. Plain JSON: persisted as is. */
export interface ExecutionState {
  instanceId: string;
  name: string;
  executionId: string;
  /** The orchestration input as JSON text. */
  inputJson: string | undefined;
  parentInstanceId?: string | undefined;
  history: HistoryEvent[];
  nextTaskId: number;
  seen: SeenAction[];
  /** Tasks the library holds open, by task id. */
  tasks: Record<string, TaskInfo>;
  retries: Record<string, RetryState>;
  longTimers: Record<string, LongTimerState>;
  /** The current critical section (`context.df.lock`), requested or held. */
  lock?: { requestId: string; entities: string[]; held: boolean } | undefined;
  customStatusJson?: string | undefined;
  episodes: number;
}

export function newExecutionState(init: { instanceId: string; name: string; inputJson: string | undefined; parentInstanceId?: string | undefined; executionId?: string }): ExecutionState {
  return {
    instanceId: init.instanceId,
    name: init.name,
    executionId: init.executionId ?? randomUUID(),
    inputJson: init.inputJson,
    parentInstanceId: init.parentInstanceId,
    history: [],
    nextTaskId: 0,
    seen: [],
    tasks: {},
    retries: {},
    longTimers: {},
    episodes: 0,
  };
}

/** Work the runtime must do because of an episode. */
export type HostCommand =
  | { type: "runActivity"; taskId: number; name: string; inputJson: string | undefined; attempt: number }
  | { type: "startSubOrchestration"; taskId: number; name: string; instanceId: string; inputJson: string | undefined }
  /** A retry whose timeout expired: fail this attempt at once with the last failure. */
  | { type: "failAttempt"; taskId: number; target: "activity" | "subOrchestration"; name: string; failure: FailureDetailsPayload }
  | { type: "startTimer"; taskId: number; fireAt: string; purpose: "timer" | "retry" | "longTimer" }
  | { type: "cancelTimer"; taskId: number }
  | { type: "sendEntity"; entityId: string; message: EntityMessage };

export type EpisodeOutcome =
  | { status: "running" }
  | { status: "completed"; outputJson: string | undefined }
  | { status: "continuedAsNew"; inputJson: string | undefined }
  | { status: "failed"; message: string; failure?: FailureDetailsPayload | undefined; nonDeterminism?: boolean };

export interface EpisodeResult {
  /** Everything appended to the history: OrchestratorStarted, delivered events, schedule records, OrchestratorCompleted[, ExecutionCompleted]. */
  appended: HistoryEvent[];
  /** The host's schedule records of this episode (TaskScheduled, TimerCreated, EventSent, SubOrchestrationInstanceCreated). */
  scheduled: HistoryEvent[];
  commands: HostCommand[];
  outcome: EpisodeOutcome;
  customStatusJson: string | undefined;
  customStatusChanged: boolean;
  /** The library's cumulative actions, as plain JSON (what the host would receive). */
  actions: unknown[][];
  /** History events handed to the library (the replay cost of this episode). */
  replayedEvents: number;
}

export interface EpisodeOptions {
  logHandler?: LogHandler;
  /** Compare the runner's open task ids and counter with the library's after the episode (durableEngine.libraryTaskState). */
  verifyTaskIds?: boolean;
  /** The OOProc replay schema advertised to the library (default V4; V3 is what extensions before 3.13 negotiate). */
  replaySchema?: number;
}

/**
 * The Durable extension refuses custom status whose JSON is over 16 KB as UTF-16
 * (MessagePayloadDataConverter: `(int)(Encoding.Unicode.GetByteCount(json) / 1024.0) > 16` throws
 * "The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is
 * N KB."). For out-of-process SDKs the check runs when the host applies the orchestrator's result
 * (OutOfProcOrchestrationShim), so the JS call does not throw: the orchestration fails.
 * Docs: learn.microsoft.com/azure/durable-task/common/durable-task-custom-orchestration-status.
 */
export const MAX_CUSTOM_STATUS_KB = 16;

export function customStatusSizeError(json: string): string | undefined {
  // UTF-16 byte count = 2 per code unit (a surrogate pair is two units: 4 bytes), truncated to whole KB.
  const kb = Math.trunc((json.length * 2) / 1024);
  return kb > MAX_CUSTOM_STATUS_KB ? `The UTF-16 size of the JSON-serialized payload must not exceed ${MAX_CUSTOM_STATUS_KB} KB. The current payload size is ${kb} KB.` : undefined;
}

export class NonDeterminismError extends Error {
  override readonly name = "NonDeterminismError";
}

export class TaskIdMismatchError extends Error {
  override readonly name = "TaskIdMismatchError";
}

/** True when delivering `event` makes the library allocate a task id before user code runs. */
export function isDynamicEvent(state: ExecutionState, event: HistoryEvent): boolean {
  const id = event.EventType === EventType.TimerFired ? event.TimerId : event.TaskScheduledId;
  if (id === undefined) return false;
  const info = state.tasks[id];
  if (!info) return false;
  if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) return info.kind === "retryAttempt";
  if (event.EventType === EventType.TimerFired) return info.kind === "retryTimer" || info.kind === "longTimerChunk";
  return false;
}

/** The `[[...actions]]` the library returned, flattened (WhenAny/WhenAll opened) and de-duplicated by identity. */
export function flattenActions(actions: unknown[][]): WireAction[] {
  const out: WireAction[] = [];
  const visited = new Set<object>();
  const visit = (a: WireAction): void => {
    if (a.actionType === ActionType.WhenAll || a.actionType === ActionType.WhenAny) {
      for (const child of a.compoundActions ?? []) visit(child);
      return;
    }
    // A task yielded again inside Task.any/all keeps its id; the library does not count it twice.
    if (visited.has(a)) return;
    visited.add(a);
    out.push(a);
  };
  for (const list of actions) for (const a of list as WireAction[]) visit(a);
  return out;
}

export function describeAction(a: WireAction): SeenAction {
  switch (a.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return { type: a.actionType, target: a.functionName ?? "" };
    case ActionType.WaitForExternalEvent:
      return { type: a.actionType, target: a.externalEventName ?? "" };
    case ActionType.CallEntity:
    case ActionType.SignalEntity:
      return { type: a.actionType, target: `${a.instanceId ?? ""}.${a.operation ?? ""}` };
    case ActionType.LockEntities:
      return { type: a.actionType, target: (a.lockSet ?? []).map((e) => entitySchedulerId(e.name, e.key)).join(",") };
    default:
      return { type: a.actionType, target: "" };
  }
}

function formatSeen(s: SeenAction): string {
  return s.target ? `${actionTypeName(s.type)} '${s.target}'` : actionTypeName(s.type);
}

const isoOf = (d: Date | string | undefined): string => new Date(d ?? 0).toISOString();

/** Runs one episode. Mutates `state` (history, counter, open tasks) and returns what the runtime must do. */
export async function runEpisode(handler: HostHandler, state: ExecutionState, delivered: HistoryEvent[], at: string, options: EpisodeOptions = {}): Promise<EpisodeResult> {
  const episodeNo = state.episodes + 1;
  const opening: HistoryEvent[] = [history.orchestratorStarted(at)];
  if (state.history.length === 0) opening.push(history.executionStarted(at, state.name, state.inputJson, { instanceId: state.instanceId, executionId: state.executionId }));
  opening.push(...delivered);
  const scheduled: HistoryEvent[] = [];
  const commands: HostCommand[] = [];

  delivered.forEach((event, index) => deliver(state, event, index === 0, at, scheduled, commands));

  const binding: OrchestrationBindingInput = {
    // The library turns Timestamp strings into Dates in place: hand it copies.
    history: [...state.history, ...opening].map((e) => ({ ...e })),
    instanceId: state.instanceId,
    isReplaying: false,
    upperSchemaVersion: ReplaySchema.V2,
    upperSchemaVersionNew: options.replaySchema ?? ADVERTISED_SCHEMA,
    input: state.inputJson === undefined ? undefined : JSON.parse(state.inputJson),
    parentInstanceId: state.parentInstanceId,
    maximumShortTimerDuration: MAXIMUM_SHORT_TIMER_DURATION,
    longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL_DURATION,
    defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_HTTP_ASYNC_SLEEP_MS,
  };
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: state.name,
    logHandler: options.logHandler ?? (() => undefined),
  });

  let out: OrchestratorStateOut | undefined;
  let outcome: EpisodeOutcome = { status: "running" };
  let customStatus: unknown;
  try {
    out = (await handler(binding, context)) as OrchestratorStateOut;
    customStatus = out.customStatus;
  } catch (err) {
    const failure = parseOrchestratorFailure(err);
    customStatus = failure.state?.customStatus;
    outcome = { status: "failed", message: failure.message, failure: failure.state?.failureDetails };
  }

  if (out) outcome = applyActions(state, out, at, episodeNo, scheduled, commands);

  const proposedStatusJson = customStatus === undefined ? state.customStatusJson : JSON.stringify(customStatus);
  const statusTooLarge = proposedStatusJson === undefined ? undefined : customStatusSizeError(proposedStatusJson);
  if (statusTooLarge) outcome = { status: "failed", message: statusTooLarge };
  const customStatusJson = statusTooLarge ? state.customStatusJson : proposedStatusJson;
  const customStatusChanged = customStatusJson !== state.customStatusJson;
  state.customStatusJson = customStatusJson;

  const closing: HistoryEvent[] = [history.orchestratorCompleted(at)];
  if (outcome.status === "completed") closing.push(history.executionCompleted(at, "Completed", outcome.outputJson ?? "null"));
  if (outcome.status === "continuedAsNew") closing.push(history.executionCompleted(at, "ContinuedAsNew", outcome.inputJson));
  if (outcome.status === "failed") {
    // A failed orchestration schedules nothing more (DTFx discards the episode's actions).
    scheduled.length = 0;
    commands.length = 0;
    closing.push(history.executionCompleted(at, "Failed", JSON.stringify(outcome.message), outcome.failure));
  }

  const appended = [...opening, ...scheduled, ...closing];
  state.history.push(...appended);
  state.episodes = episodeNo;

  if (options.verifyTaskIds && outcome.status === "running") verifyAgainstLibrary(state, context);

  return {
    appended,
    scheduled,
    commands,
    outcome,
    customStatusJson,
    customStatusChanged,
    actions: out ? (JSON.parse(JSON.stringify(out.actions)) as unknown[][]) : [],
    replayedEvents: binding.history.length,
  };
}

/** Host bookkeeping for one delivered event, including the dynamic allocations the library makes for it. */
function deliver(state: ExecutionState, event: HistoryEvent, first: boolean, at: string, scheduled: HistoryEvent[], commands: HostCommand[]): void {
  const allocate = (): number => state.nextTaskId++;
  switch (event.EventType) {
    case EventType.TaskCompleted:
    case EventType.SubOrchestrationInstanceCompleted: {
      const id = event.TaskScheduledId ?? -1;
      const info = state.tasks[id];
      delete state.tasks[id];
      if (info?.kind === "retryAttempt") delete state.retries[info.retryKey];
      return;
    }
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceFailed: {
      const id = event.TaskScheduledId ?? -1;
      const info = state.tasks[id];
      delete state.tasks[id];
      if (info?.kind !== "retryAttempt") return;
      if (!first) throw new Error(`internal: retry failure for task ${id} delivered after another event in one episode`);
      const retry = state.retries[info.retryKey];
      if (!retry) return;
      retry.lastFailure = event.FailureDetails ?? { ErrorType: "Error", ErrorMessage: event.Reason ?? "failed" };
      // RetryableTask tracks a NoOp task for the retry timer: the timer takes the next id.
      // After the last attempt DTFx's RetryInterceptor still creates a timer, due at once ("Dummy timer
      // for back-compat"; durabletask src/DurableTask.Core/RetryInterceptor.cs), and the library waits for it.
      const lastAttempt = retry.attemptsMade >= retry.policy.maxNumberOfAttempts;
      const delay = retry.stopped || lastAttempt ? 0 : nextRetryDelayMs(retry.policy, retry.attemptsMade, new Date(retry.firstAttemptAt), new Date(at));
      if (delay === undefined) retry.stopped = true;
      const timerId = allocate();
      const fireAt = new Date(new Date(at).getTime() + (delay ?? 0)).toISOString();
      state.tasks[timerId] = { kind: "retryTimer", retryKey: info.retryKey, fireAt };
      scheduled.push(history.timerCreated(timerId, at, fireAt, "retry"));
      commands.push({ type: "startTimer", taskId: timerId, fireAt, purpose: "retry" });
      return;
    }
    case EventType.TimerFired: {
      const id = event.TimerId ?? -1;
      const info = state.tasks[id];
      delete state.tasks[id];
      if (info?.kind === "retryTimer") {
        if (!first) throw new Error(`internal: retry timer ${id} delivered after another event in one episode`);
        const retry = state.retries[info.retryKey];
        if (!retry) return;
        if (retry.attemptsMade >= retry.policy.maxNumberOfAttempts) {
          delete state.retries[info.retryKey]; // the library fails the task with the last error
          return;
        }
        retry.attemptsMade++;
        const attemptId = allocate();
        state.tasks[attemptId] = { kind: "retryAttempt", retryKey: info.retryKey };
        scheduleAttempt(state, retry, attemptId, at, scheduled, commands, "retry");
      } else if (info?.kind === "longTimerChunk") {
        if (!first) throw new Error(`internal: long-timer chunk ${id} delivered after another event in one episode`);
        const long = state.longTimers[info.longKey];
        if (!long) return;
        const finalMs = new Date(long.finalFireAt).getTime();
        const nowMs = new Date(at).getTime();
        if (finalMs > nowMs) {
          const chunkId = allocate();
          const fireAt = new Date(finalMs - nowMs > MAXIMUM_SHORT_TIMER_MS ? nowMs + LONG_RUNNING_TIMER_INTERVAL_MS : finalMs).toISOString();
          long.currentChunkId = chunkId;
          state.tasks[chunkId] = { kind: "longTimerChunk", longKey: info.longKey, fireAt, canceled: long.canceled };
          scheduled.push(history.timerCreated(chunkId, at, fireAt, "longTimer"));
          if (!long.canceled) commands.push({ type: "startTimer", taskId: chunkId, fireAt, purpose: "longTimer" });
        } else {
          delete state.longTimers[info.longKey];
        }
      }
      return;
    }
    case EventType.EventRaised: {
      // Entity responses and lock grants are raised under the request id.
      for (const [id, info] of Object.entries(state.tasks)) {
        if ((info.kind === "entityCall" || info.kind === "lock") && info.requestId === event.Name) {
          delete state.tasks[id];
          if (info.kind === "lock" && state.lock?.requestId === event.Name) state.lock.held = true;
          break;
        }
      }
      return;
    }
    default:
      return;
  }
}

function scheduleAttempt(state: ExecutionState, retry: RetryState, taskId: number, at: string, scheduled: HistoryEvent[], commands: HostCommand[], origin?: "retry"): void {
  if (retry.target === "activity") {
    scheduled.push(history.taskScheduled(taskId, at, retry.name, retry.inputJson, origin));
    commands.push(
      retry.stopped && retry.lastFailure
        ? { type: "failAttempt", taskId, target: "activity", name: retry.name, failure: retry.lastFailure }
        : { type: "runActivity", taskId, name: retry.name, inputJson: retry.inputJson, attempt: retry.attemptsMade },
    );
  } else {
    const childId = retry.childInstanceId ?? `${state.instanceId}:${taskId}`;
    scheduled.push(history.subOrchestrationCreated(taskId, at, retry.name, childId, retry.inputJson));
    commands.push(
      retry.stopped && retry.lastFailure
        ? { type: "failAttempt", taskId, target: "subOrchestration", name: retry.name, failure: retry.lastFailure }
        : { type: "startSubOrchestration", taskId, name: retry.name, instanceId: childId, inputJson: retry.inputJson },
    );
  }
}

function applyActions(state: ExecutionState, out: OrchestratorStateOut, at: string, episodeNo: number, scheduled: HistoryEvent[], commands: HostCommand[]): EpisodeOutcome {
  const flat = flattenActions(out.actions);
  const known = state.seen.length;

  // Replay must reproduce what the history already holds, in order (DTFx's non-determinism check).
  for (let i = 0; i < known; i++) {
    const seen = state.seen[i] as SeenAction;
    const action = flat[i];
    if (!action) {
      if (out.isDone) break; // the orchestrator finished before re-emitting everything (e.g. continueAsNew)
      return nonDeterminism(state, `the history holds ${known} scheduled actions but the orchestrator now emits ${flat.length}; action #${i} (${formatSeen(seen)}) is missing`);
    }
    const now = describeAction(action);
    if (now.type !== seen.type || now.target !== seen.target) {
      return nonDeterminism(state, `action #${i} was ${formatSeen(seen)} in the history, the orchestrator now emits ${formatSeen(now)}`);
    }
    if (action.actionType === ActionType.CreateTimer && action.isCanceled && !seen.canceled) cancelTimer(state, seen, commands);
  }

  let outcome: EpisodeOutcome = out.isDone ? { status: "completed", outputJson: out.output === undefined ? undefined : JSON.stringify(out.output) } : { status: "running" };
  for (let i = known; i < flat.length; i++) {
    const action = flat[i] as WireAction;
    const seen = describeAction(action);
    state.seen.push(seen);
    const result = scheduleNew(state, action, seen, at, episodeNo, scheduled, commands);
    if (result) outcome = result;
  }
  return outcome;
}

function nonDeterminism(state: ExecutionState, detail: string): EpisodeOutcome {
  return {
    status: "failed",
    nonDeterminism: true,
    message: `Non-deterministic orchestrator '${state.name}' (instance ${state.instanceId}): ${detail}. An orchestrator must make the same calls in the same order on every replay; version the orchestration instead of changing it in place.`,
  };
}

function cancelTimer(state: ExecutionState, seen: SeenAction, commands: HostCommand[]): void {
  seen.canceled = true;
  if (seen.taskId === undefined) return;
  const long = state.longTimers[seen.taskId];
  const live = long ? long.currentChunkId : seen.taskId;
  if (long) long.canceled = true;
  const info = state.tasks[live];
  // A cancelled timer stays open in the library (it never fires); the host drops it so it cannot move the clock.
  if (info && (info.kind === "timer" || info.kind === "longTimerChunk")) info.canceled = true;
  commands.push({ type: "cancelTimer", taskId: live });
}

function scheduleNew(state: ExecutionState, action: WireAction, seen: SeenAction, at: string, episodeNo: number, scheduled: HistoryEvent[], commands: HostCommand[]): EpisodeOutcome | undefined {
  const allocate = (): number => state.nextTaskId++;
  const caller: EntityCaller = { instanceId: state.instanceId, executionId: state.executionId };
  switch (action.actionType) {
    case ActionType.CallActivity: {
      const id = allocate();
      const name = action.functionName ?? "";
      const inputJson = actionInputJson(action, true);
      state.tasks[id] = { kind: "activity", name };
      scheduled.push(history.taskScheduled(id, at, name, inputJson));
      commands.push({ type: "runActivity", taskId: id, name, inputJson, attempt: 1 });
      return undefined;
    }
    case ActionType.CallActivityWithRetry:
    case ActionType.CallSubOrchestratorWithRetry: {
      const id = allocate();
      const activity = action.actionType === ActionType.CallActivityWithRetry;
      if (!action.retryOptions) throw new Error(`${actionTypeName(action.actionType)} without retryOptions`);
      const retry: RetryState = {
        target: activity ? "activity" : "subOrchestration",
        name: action.functionName ?? "",
        inputJson: actionInputJson(action, activity),
        childInstanceId: activity ? undefined : action.instanceId || undefined,
        policy: retryPolicyFrom(action.retryOptions),
        attemptsMade: 1,
        firstAttemptAt: at,
        stopped: false,
      };
      state.retries[id] = retry;
      state.tasks[id] = { kind: "retryAttempt", retryKey: id };
      scheduleAttempt(state, retry, id, at, scheduled, commands);
      return undefined;
    }
    case ActionType.CallSubOrchestrator: {
      const id = allocate();
      const name = action.functionName ?? "";
      const childId = action.instanceId || `${state.instanceId}:${id}`;
      const inputJson = actionInputJson(action, false);
      state.tasks[id] = { kind: "subOrchestration", name, instanceId: childId };
      scheduled.push(history.subOrchestrationCreated(id, at, name, childId, inputJson));
      commands.push({ type: "startSubOrchestration", taskId: id, name, instanceId: childId, inputJson });
      return undefined;
    }
    case ActionType.CreateTimer: {
      const id = allocate();
      seen.taskId = id;
      const finalFireAt = isoOf(action.fireAt);
      const canceled = action.isCanceled === true;
      seen.canceled = canceled;
      const nowMs = new Date(at).getTime();
      const finalMs = new Date(finalFireAt).getTime();
      // durable-functions 3.5 (schema >= V3) splits timers longer than maximumShortTimerDuration (6 days)
      // into LongTimerTask chunks of longRunningTimerIntervalDuration (3 days), one task id per chunk.
      if (finalMs - nowMs > MAXIMUM_SHORT_TIMER_MS) {
        const fireAt = new Date(nowMs + LONG_RUNNING_TIMER_INTERVAL_MS).toISOString();
        state.longTimers[id] = { finalFireAt, currentChunkId: id, canceled };
        state.tasks[id] = { kind: "longTimerChunk", longKey: id, fireAt, canceled };
        scheduled.push(history.timerCreated(id, at, fireAt, "longTimer"));
        if (!canceled) commands.push({ type: "startTimer", taskId: id, fireAt, purpose: "longTimer" });
      } else {
        state.tasks[id] = { kind: "timer", fireAt: finalFireAt, canceled };
        scheduled.push(history.timerCreated(id, at, finalFireAt));
        if (!canceled) commands.push({ type: "startTimer", taskId: id, fireAt: finalFireAt, purpose: "timer" });
      }
      return undefined;
    }
    case ActionType.WaitForExternalEvent:
      return undefined; // keyed by name, no task id; the host just waits for EventRaised
    case ActionType.CallEntity:
    case ActionType.SignalEntity: {
      const id = allocate();
      const entityId = action.instanceId ?? "";
      const requestId = `${state.executionId}:${id}`;
      const operation = action.operation ?? "";
      const inputJson = action.input === undefined ? undefined : JSON.stringify(action.input);
      const signal = action.actionType === ActionType.SignalEntity;
      scheduled.push(history.eventSent(id, at, entityId, "op", JSON.stringify({ id: requestId, op: operation, signal, input: inputJson, parent: state.instanceId })));
      if (signal) {
        commands.push({ type: "sendEntity", entityId, message: { kind: "signal", id: requestId, operation, inputJson, from: caller } });
      } else {
        state.tasks[id] = { kind: "entityCall", entityId, requestId, episode: episodeNo };
        commands.push({ type: "sendEntity", entityId, message: { kind: "call", id: requestId, operation, inputJson, from: caller } });
      }
      return undefined;
    }
    case ActionType.LockEntities: {
      const id = allocate();
      const lockSet = (action.lockSet ?? []).map((e) => entitySchedulerId(e.name, e.key));
      const requestId = action.lockRequestId ?? `${state.executionId}:${id}`;
      const first = lockSet[0] ?? "";
      state.lock = { requestId, entities: lockSet, held: false };
      state.tasks[id] = { kind: "lock", requestId, episode: episodeNo };
      scheduled.push(history.eventSent(id, at, first, "op", JSON.stringify({ id: requestId, parent: state.instanceId, lockset: action.lockSet ?? [], position: 0 })));
      commands.push({ type: "sendEntity", entityId: first, message: { kind: "lock", id: requestId, lockSet, position: 0, from: caller } });
      return undefined;
    }
    case ActionType.ReleaseEntities: {
      // DurableLock.release records one sequence number per locked entity (one release message each).
      const entities = state.lock?.entities ?? [];
      const lockRequestId = state.lock?.requestId ?? "";
      for (const entityId of entities) {
        const id = allocate();
        const requestId = `${state.executionId}:${id}`;
        scheduled.push(history.eventSent(id, at, entityId, "release", JSON.stringify({ id: requestId, parent: state.instanceId })));
        commands.push({ type: "sendEntity", entityId, message: { kind: "release", id: requestId, lockRequestId, from: caller } });
      }
      state.lock = undefined;
      return undefined;
    }
    case ActionType.ContinueAsNew:
      return { status: "continuedAsNew", inputJson: actionInputJson(action, true) };
    case ActionType.CallHttp:
      return { status: "failed", message: "context.df.callHttp is not supported by the local durable runner (use an activity that makes the HTTP call)" };
    default:
      return { status: "failed", message: `the local durable runner does not support action type ${actionTypeName(action.actionType)}` };
  }
}

/** Message and `$OutOfProcData$` state of an orchestrator failure (OrchestrationFailureError). */
export function parseOrchestratorFailure(err: unknown): { message: string; state?: OrchestratorStateOut } {
  const raw = err instanceof Error ? err.message : String(err);
  const at = raw.indexOf(OUT_OF_PROC_DATA_LABEL);
  if (at < 0) return { message: raw };
  try {
    const state = JSON.parse(raw.substring(at + OUT_OF_PROC_DATA_LABEL.length)) as OrchestratorStateOut;
    return { message: state.error ?? "the orchestrator threw a value that is not an Error", state };
  } catch {
    return { message: raw.substring(0, at) };
  }
}

/** Task keys the library should hold open: numeric ids, or entity request ids once their EventSent was replayed. */
export function expectedOpenTaskKeys(state: ExecutionState): string[] {
  return Object.entries(state.tasks)
    .map(([id, info]) => ((info.kind === "entityCall" || info.kind === "lock") && info.episode < state.episodes ? info.requestId : id))
    .sort();
}

function verifyAgainstLibrary(state: ExecutionState, context: unknown): void {
  const library = libraryTaskState(context);
  const expected = expectedOpenTaskKeys(state);
  const actual = [...library.openTaskKeys].sort();
  if (library.nextSequenceNumber !== state.nextTaskId || expected.join("|") !== actual.join("|")) {
    throw new TaskIdMismatchError(
      `task ids out of step with durable-functions after episode ${state.episodes} of ${state.instanceId}: ` +
        `runner next id ${state.nextTaskId}, open [${expected.join(", ")}]; library next id ${library.nextSequenceNumber}, open [${actual.join(", ")}]`,
    );
  }
}
