import type { InstanceMetrics, InstanceRecord, RuntimeStatus } from "./instanceStore";
import type { FailureDetailsPayload } from "./wire";

/**
 * What the runner reports while it works: one event per observable step, stamped with the runner
 * clock (`at`, simulated when the clock is virtual or scaled). The CLI prints stage lines from these;
 * benchmarks count them.
 */
interface Base {
  instanceId: string;
  /** The orchestration name (or the activity / entity name where the event is about one). */
  name: string;
  at: string;
}

export type RunnerEvent =
  | (Base & { type: "started"; orchestration: string })
  | (Base & { type: "activityStarted"; taskId: number; attempt: number })
  | (Base & { type: "activityCompleted"; taskId: number; attempt: number; durationMs: number })
  | (Base & { type: "activityFailed"; taskId: number; attempt: number; durationMs: number; failure: FailureDetailsPayload })
  | (Base & { type: "timerCreated"; taskId: number; fireAt: string; purpose: "timer" | "retry" | "longTimer" })
  | (Base & { type: "timerFired"; taskId: number; fireAt: string })
  | (Base & { type: "timerCanceled"; taskId: number })
  | (Base & { type: "customStatus"; customStatus: unknown })
  | (Base & { type: "eventRaised"; eventName: string })
  | (Base & { type: "entityOperation"; entityId: string; operation: string; isError: boolean })
  | (Base & { type: "lockAcquired"; entityIds: string[] })
  | (Base & { type: "completed"; output: unknown })
  | (Base & { type: "failed"; message: string; failure?: FailureDetailsPayload | undefined })
  | (Base & { type: "terminated"; reason: string })
  | (Base & { type: "continuedAsNew" });

export type RunnerEventType = RunnerEvent["type"];
export type RunnerEventListener = (event: RunnerEvent) => void;

export function newInstanceMetrics(startedAt: string): InstanceMetrics {
  return {
    episodes: 0,
    replayedEvents: 0,
    historyEvents: 0,
    activities: { calls: 0, failures: 0, busyMs: 0, maxMs: 0 },
    timersFired: 0,
    entityCalls: 0,
    startedWallMs: Date.now(),
    startedAt,
  };
}

export interface InstanceMetricsView extends InstanceMetrics {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  /** History events in the current execution. */
  currentHistoryLength: number;
  wallMs: number | undefined;
  /** Runner-clock time from start to completion (virtual minutes pass in milliseconds of wall time). */
  clockMs: number | undefined;
}

export function instanceMetricsView(record: InstanceRecord): InstanceMetricsView {
  const m = record.metrics;
  return {
    ...m,
    activities: { ...m.activities },
    instanceId: record.instanceId,
    name: record.name,
    runtimeStatus: record.runtimeStatus,
    currentHistoryLength: record.exec.history.length,
    wallMs: m.completedWallMs === undefined ? undefined : m.completedWallMs - m.startedWallMs,
    clockMs: m.completedAt === undefined ? undefined : new Date(m.completedAt).getTime() - new Date(m.startedAt).getTime(),
  };
}

export interface ActivityStats {
  calls: number;
  failures: number;
  busyMs: number;
  maxMs: number;
}

/** Runner-wide counters (since this runtime object was created; per-instance counters survive restarts). */
export interface RunnerMetrics {
  instances: number;
  byStatus: Partial<Record<RuntimeStatus, number>>;
  episodes: number;
  replayedEvents: number;
  historyEvents: number;
  /** Real ms spent inside orchestrator invocations (replay CPU). */
  episodeMs: number;
  activities: ActivityStats & { byName: Record<string, ActivityStats> };
  timersFired: number;
  entityOperations: number;
  /** Real ms since the runtime was created. */
  wallMs: number;
  /** Runner-clock ms since the runtime was created. */
  clockMs: number;
}

export function addActivity(stats: ActivityStats, durationMs: number, failed: boolean): void {
  stats.calls++;
  if (failed) stats.failures++;
  stats.busyMs += durationMs;
  if (durationMs > stats.maxMs) stats.maxMs = durationMs;
}
