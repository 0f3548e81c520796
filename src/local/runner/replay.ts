import { randomUUID } from "node:crypto";
import { InvocationContext } from "@azure/functions";
import { newExecutionState, NonDeterminismError, parseOrchestratorFailure, runEpisode, type EpisodeOutcome } from "./episode";
import type { HostHandler } from "./registrations";
import {
  ADVERTISED_SCHEMA,
  DEFAULT_HTTP_ASYNC_SLEEP_MS,
  EventType,
  eventTypeName,
  LONG_RUNNING_TIMER_INTERVAL_DURATION,
  MAXIMUM_SHORT_TIMER_DURATION,
  ReplaySchema,
  type FailureDetailsPayload,
  type HistoryEvent,
  type OrchestrationBindingInput,
  type OrchestratorStateOut,
} from "./wire";

/**
 * Replay helpers for tests:
 *
 * - `invokeOrchestrator` runs a registered orchestrator handler once against a history you built
 *   (history.ts) and returns the actions it emits — one replay step, as durable-js orchestrator-spec.ts does.
 * - `replayHistory` is the determinism gate (Temporal's runReplayHistory): it replays a recorded history
 *   (test/fixtures/histories) episode by episode through the runner's host logic and fails with
 *   NonDeterminismError when the current code schedules something other than what the history recorded.
 */

export interface InvokeResult {
  isDone: boolean;
  /** The library's cumulative actions as plain JSON (Dates as ISO strings). */
  actions: unknown[][];
  output?: unknown;
  customStatus?: unknown;
  /** Set when the orchestrator threw (the message the library put in `$OutOfProcData$`). */
  error?: string;
  failureDetails?: FailureDetailsPayload;
}

export async function invokeOrchestrator(handler: HostHandler, init: { instanceId?: string; history: HistoryEvent[]; input?: unknown; parentInstanceId?: string }): Promise<InvokeResult> {
  const binding: OrchestrationBindingInput = {
    history: init.history.map((e) => ({ ...e })),
    instanceId: init.instanceId ?? "test-instance",
    isReplaying: false,
    upperSchemaVersion: ReplaySchema.V2,
    upperSchemaVersionNew: ADVERTISED_SCHEMA,
    input: init.input,
    parentInstanceId: init.parentInstanceId,
    maximumShortTimerDuration: MAXIMUM_SHORT_TIMER_DURATION,
    longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL_DURATION,
    defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_HTTP_ASYNC_SLEEP_MS,
  };
  const context = new InvocationContext({ invocationId: randomUUID(), functionName: "replay", logHandler: () => undefined });
  try {
    const out = (await handler(binding, context)) as OrchestratorStateOut;
    return {
      isDone: out.isDone,
      actions: JSON.parse(JSON.stringify(out.actions)) as unknown[][],
      ...(out.output === undefined ? {} : { output: out.output }),
      ...(out.customStatus === undefined ? {} : { customStatus: out.customStatus }),
    };
  } catch (err) {
    const failure = parseOrchestratorFailure(err);
    return {
      isDone: false,
      actions: failure.state ? (JSON.parse(JSON.stringify(failure.state.actions)) as unknown[][]) : [],
      error: failure.message,
      ...(failure.state?.failureDetails ? { failureDetails: failure.state.failureDetails } : {}),
      ...(failure.state?.customStatus === undefined ? {} : { customStatus: failure.state.customStatus }),
    };
  }
}

export interface ReplayStep {
  at: string;
  delivered: HistoryEvent[];
  scheduled: HistoryEvent[];
  actions: unknown[][];
  outcome: EpisodeOutcome;
}

export interface ReplayReport {
  steps: ReplayStep[];
  outcome: EpisodeOutcome;
  /** The recorded output (ExecutionCompleted.Result) equals what the code returns now. */
  outputMatches: boolean | undefined;
}

const SCHEDULES: ReadonlySet<number> = new Set([EventType.TaskScheduled, EventType.TimerCreated, EventType.EventSent, EventType.SubOrchestrationInstanceCreated]);
const DELIVERIES: ReadonlySet<number> = new Set([
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.TimerFired,
  EventType.EventRaised,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
]);

interface RecordedEpisode {
  events: HistoryEvent[];
  at: string;
  delivered: HistoryEvent[];
  scheduled: HistoryEvent[];
  completed?: HistoryEvent;
  terminated: boolean;
}

function splitEpisodes(recorded: HistoryEvent[]): RecordedEpisode[] {
  const episodes: RecordedEpisode[] = [];
  for (const e of recorded) {
    if (e.EventType === EventType.OrchestratorStarted) {
      episodes.push({ events: [], at: e.Timestamp, delivered: [], scheduled: [], terminated: false });
    }
    const current = episodes[episodes.length - 1];
    if (!current) {
      if (e.EventType === EventType.ExecutionTerminated) continue;
      throw new Error(`history does not start with OrchestratorStarted (found ${eventTypeName(e.EventType)})`);
    }
    current.events.push(e);
    if (DELIVERIES.has(e.EventType)) current.delivered.push(e);
    else if (SCHEDULES.has(e.EventType)) current.scheduled.push(e);
    else if (e.EventType === EventType.ExecutionCompleted) current.completed = e;
    else if (e.EventType === EventType.ExecutionTerminated) current.terminated = true;
  }
  return episodes;
}

const describe = (e: HistoryEvent): string => {
  const target = e.Name ?? "";
  const where = e.EventType === EventType.EventSent || e.EventType === EventType.SubOrchestrationInstanceCreated ? ` -> ${e.InstanceId ?? ""}` : "";
  return `${eventTypeName(e.EventType)}#${e.EventId}${target ? ` '${target}'` : ""}${where}`;
};

/** What must match between a recorded and a replayed schedule record (DTFx compares type, id and name). */
const sameSchedule = (a: HistoryEvent, b: HistoryEvent): boolean =>
  a.EventType === b.EventType && a.EventId === b.EventId && (a.Name ?? "") === (b.Name ?? "") && (a.EventType !== EventType.EventSent || a.InstanceId === b.InstanceId);

/**
 * Replays a recorded history against `handler`. Throws NonDeterminismError when, at some episode, the
 * orchestrator schedules different work (type, id or name) than the history recorded, or finishes
 * (or keeps running) where the history did not.
 */
export async function replayHistory(handler: HostHandler, recorded: HistoryEvent[], options: { verifyTaskIds?: boolean } = {}): Promise<ReplayReport> {
  const started = recorded.find((e) => e.EventType === EventType.ExecutionStarted);
  if (!started) throw new Error("history has no ExecutionStarted event");
  const name = started.Name ?? "orchestration";
  const state = newExecutionState({
    instanceId: started.InstanceId ?? "replay-instance",
    name,
    inputJson: started.Input,
    ...(started.ExecutionId ? { executionId: started.ExecutionId } : {}),
  });
  const steps: ReplayStep[] = [];
  let outcome: EpisodeOutcome = { status: "running" };
  let outputMatches: boolean | undefined;
  const episodes = splitEpisodes(recorded);
  for (const [index, episode] of episodes.entries()) {
    if (episode.terminated && episode.delivered.length === 0) break; // terminated from outside: nothing to replay
    const where = `episode ${index + 1} (${episode.at})`;
    if (outcome.status !== "running") throw new NonDeterminismError(`Non-deterministic orchestrator '${name}': the code finished (${outcome.status}) before ${where}, which the history still holds`);
    const historyBefore = state.history.length;
    const result = await runEpisode(handler, state, episode.delivered, episode.at, { verifyTaskIds: options.verifyTaskIds });
    outcome = result.outcome;
    steps.push({ at: episode.at, delivered: episode.delivered, scheduled: result.scheduled, actions: result.actions, outcome });
    if (outcome.status === "failed" && outcome.nonDeterminism) throw new NonDeterminismError(`${outcome.message} [${where}]`);

    const produced = result.scheduled;
    const expected = episode.scheduled;
    const n = Math.max(produced.length, expected.length);
    for (let i = 0; i < n; i++) {
      const p = produced[i];
      const e = expected[i];
      if (!p || !e || !sameSchedule(p, e)) {
        throw new NonDeterminismError(
          `Non-deterministic orchestrator '${name}' at ${where}: the history recorded ${e ? describe(e) : "nothing more"}, the code now schedules ${p ? describe(p) : "nothing more"}` +
            ` (recorded: [${expected.map(describe).join(", ")}]; now: [${produced.map(describe).join(", ")}])`,
        );
      }
    }
    const recordedStatus = episode.completed?.OrchestrationStatus ?? "running";
    const nowStatus = outcome.status === "failed" ? "Failed" : outcome.status === "completed" ? "Completed" : outcome.status === "continuedAsNew" ? "ContinuedAsNew" : "running";
    if (recordedStatus !== nowStatus && !episode.terminated) {
      const detail = outcome.status === "failed" ? `: ${outcome.message}` : "";
      throw new NonDeterminismError(`Non-deterministic orchestrator '${name}' at ${where}: the history recorded ${recordedStatus}, the code now ends ${nowStatus}${detail}`);
    }
    if (outcome.status === "completed") outputMatches = (episode.completed?.Result ?? "null") === (outcome.outputJson ?? "null");
    // Continue from exactly what was recorded (ids of entity requests, timestamps).
    state.history.splice(historyBefore, state.history.length - historyBefore, ...episode.events.map((e) => ({ ...e })));
  }
  return { steps, outcome, outputMatches };
}
