/**
 * The out-of-process protocol between the Durable host and durable-functions, as the runner speaks it:
 * numeric history event and action types, the binding input the orchestrator handler reads, and the
 * state it returns. These are wire values (the .NET extension uses the same numbers), so they are
 * written out here; test/runner/libraryCanary.test.ts compares them with the library's own enums so an
 * upgrade that renumbers anything fails loudly.
 */

/** durable-functions 3.5 lib/src/history/HistoryEventType.js (DTFx EventType). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

const EVENT_TYPE_NAMES = new Map<number, string>(Object.entries(EventType).map(([k, v]) => [v, k]));
export function eventTypeName(type: number): string {
  return EVENT_TYPE_NAMES.get(type) ?? `Unknown(${type})`;
}

/** durable-functions 3.5 lib/src/actions/ActionType.js. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;
export type ActionTypeValue = (typeof ActionType)[keyof typeof ActionType];

const ACTION_TYPE_NAMES = new Map<number, string>(Object.entries(ActionType).map(([k, v]) => [v, k]));
export function actionTypeName(type: number): string {
  return ACTION_TYPE_NAMES.get(type) ?? `Unknown(${type})`;
}

/**
 * Replay schema the runner advertises. V2 makes WhenAny/WhenAll nested actions, V3 makes createTimer
 * split long timers (it needs the timer settings below), V4 enables `context.df.lock` (critical sections).
 * durable-functions 3.5 picks `upperSchemaVersionNew` when present, else `upperSchemaVersion`.
 */
export const ReplaySchema = { V1: 0, V2: 1, V3: 2, V4: 3 } as const;
export const ADVERTISED_SCHEMA = ReplaySchema.V4;

/** The Durable extension's defaults, as .NET TimeSpan strings the library parses with moment. */
export const MAXIMUM_SHORT_TIMER_DURATION = "6.00:00:00";
export const LONG_RUNNING_TIMER_INTERVAL_DURATION = "3.00:00:00";
const DAY_MS = 24 * 60 * 60 * 1000;
/** Timers further away than this become LongTimerTask chunks (Durable's 6-day storage-queue limit). */
export const MAXIMUM_SHORT_TIMER_MS = 6 * DAY_MS;
/** Each chunk of a long timer waits this long (the extension's longRunningTimerIntervalDuration). */
export const LONG_RUNNING_TIMER_INTERVAL_MS = 3 * DAY_MS;
/** callHttp polling default; required by schema >= V3 even though the runner does not support callHttp. */
export const DEFAULT_HTTP_ASYNC_SLEEP_MS = 30_000;

/** FailureDetails as the host writes it on TaskFailed / SubOrchestrationInstanceFailed (PascalCase wire DTO). */
export interface FailureDetailsPayload {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string | undefined;
  IsNonRetriable?: boolean | undefined;
  Properties?: Record<string, unknown> | undefined;
  InnerFailure?: FailureDetailsPayload | undefined;
}

/**
 * One history event, as a plain object. The library reads these fields by name; it never needs the
 * event classes. `Timestamp`/`FireAt` are ISO strings here (the library turns `Timestamp` into a Date
 * inside the object it is given, so the runner always hands it copies).
 */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  Timestamp: string;
  IsPlayed: boolean;
  Name?: string | undefined;
  Input?: string | undefined;
  Result?: string | undefined;
  TaskScheduledId?: number | undefined;
  TimerId?: number | undefined;
  FireAt?: string | undefined;
  InstanceId?: string | undefined;
  Reason?: string | undefined;
  Details?: string | undefined;
  FailureDetails?: FailureDetailsPayload | undefined;
  OrchestrationStatus?: string | undefined;
  Version?: string | undefined;
  /** Runner-only annotation on ExecutionStarted (DTFx keeps it in OrchestrationInstance): the execution id. */
  ExecutionId?: string | undefined;
  /** Runner-only annotation (ignored by the library): which host mechanism scheduled this task. */
  Origin?: "retry" | "longTimer" | undefined;
}

/** The orchestration trigger's binding value (DurableOrchestrationBindingInfo). */
export interface OrchestrationBindingInput {
  history: HistoryEvent[];
  instanceId: string;
  isReplaying: boolean;
  upperSchemaVersion: number;
  upperSchemaVersionNew: number;
  input: unknown;
  parentInstanceId: string | undefined;
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

/** What the orchestrator handler returns (OrchestratorState), or carries in `$OutOfProcData$` on failure. */
export interface OrchestratorStateOut {
  isDone: boolean;
  /** Cumulative since the execution began; under schema >= V2 a single episode list `[[...]]`. */
  actions: unknown[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  failureDetails?: FailureDetailsPayload;
}

/** An action as the library emits it. Only the fields the runner reads are typed. */
export interface WireAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: WireRetryOptions;
  fireAt?: Date | string;
  isCanceled?: boolean;
  externalEventName?: string;
  reason?: string;
  instanceId?: string;
  operation?: string;
  compoundActions?: WireAction[];
  lockSet?: Array<{ name: string; key: string }>;
  lockRequestId?: string;
  version?: string;
  httpRequest?: unknown;
}

export interface WireRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export const OUT_OF_PROC_DATA_LABEL = "\n\n$OutOfProcData$:";

/** `@name@key` — EntityId.getSchedulerIdFromEntityId (the name is lower-cased, the key is not). */
export function entitySchedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseEntitySchedulerId(id: string): { name: string; key: string } {
  const at = id.indexOf("@", 1);
  if (!id.startsWith("@") || at < 0) throw new Error(`not an entity id: ${id}`);
  return { name: id.substring(1, at), key: id.substring(at + 1) };
}

/**
 * JSON text for a value crossing into history, as production serializes it: Dates become strings,
 * `undefined` becomes "null" (an activity that returns nothing completes with `null`).
 */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/** The JSON text of an action's `input`, undoing the library's extra encoding of string inputs. */
export function actionInputJson(action: WireAction, encodesStrings: boolean): string | undefined {
  if (action.input === undefined) return undefined;
  // Utils.processInput JSON-encodes string inputs of activities and continueAsNew once more; the host
  // treats that string as the JSON text. Entity and sub-orchestration inputs are passed raw.
  if (encodesStrings && typeof action.input === "string") return action.input;
  return JSON.stringify(action.input);
}
