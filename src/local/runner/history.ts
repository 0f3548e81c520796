import { EventType, type FailureDetailsPayload, type HistoryEvent } from "./wire";

/**
 * History event builders: plain objects with the library's numeric EventType values, the shape the
 * Durable host sends (durable-js test/testobjects/testhistories.ts builds the same events from classes).
 * Times are `Date | string` in, ISO strings out. `EventId` is -1 for events that are not schedules,
 * as in DTFx; the library only matches completions by `TaskScheduledId` / `TimerId`.
 */
type Time = Date | string;
const iso = (t: Time): string => (typeof t === "string" ? new Date(t).toISOString() : t.toISOString());

function event(type: number, timestamp: Time, fields: Partial<HistoryEvent> = {}, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, Timestamp: iso(timestamp), IsPlayed: false, ...fields };
}

export const history = {
  orchestratorStarted: (at: Time): HistoryEvent => event(EventType.OrchestratorStarted, at),
  orchestratorCompleted: (at: Time): HistoryEvent => event(EventType.OrchestratorCompleted, at),
  /** `inputJson` is the orchestration input as JSON text (the binding carries the parsed value). */
  executionStarted: (at: Time, name: string, inputJson?: string, instance?: { instanceId: string; executionId: string }): HistoryEvent =>
    event(EventType.ExecutionStarted, at, {
      Name: name,
      ...(inputJson === undefined ? {} : { Input: inputJson }),
      ...(instance ? { InstanceId: instance.instanceId, ExecutionId: instance.executionId } : {}),
    }),
  executionCompleted: (at: Time, status: "Completed" | "Failed" | "ContinuedAsNew", resultJson?: string, failure?: FailureDetailsPayload): HistoryEvent =>
    event(EventType.ExecutionCompleted, at, {
      OrchestrationStatus: status,
      ...(resultJson === undefined ? {} : { Result: resultJson }),
      ...(failure ? { FailureDetails: failure } : {}),
    }),
  executionTerminated: (at: Time, reason: string): HistoryEvent => event(EventType.ExecutionTerminated, at, { Input: JSON.stringify(reason) }),
  taskScheduled: (id: number, at: Time, name: string, inputJson?: string, origin?: HistoryEvent["Origin"]): HistoryEvent =>
    event(EventType.TaskScheduled, at, { Name: name, ...(inputJson === undefined ? {} : { Input: inputJson }), ...(origin ? { Origin: origin } : {}) }, id),
  /** `resultJson` must be JSON text: the library JSON.parses `Result`. */
  taskCompleted: (taskScheduledId: number, at: Time, resultJson: string): HistoryEvent =>
    event(EventType.TaskCompleted, at, { TaskScheduledId: taskScheduledId, Result: resultJson }),
  taskFailed: (taskScheduledId: number, at: Time, failure: FailureDetailsPayload, reason?: string): HistoryEvent =>
    event(EventType.TaskFailed, at, { TaskScheduledId: taskScheduledId, Reason: reason ?? failure.ErrorMessage, FailureDetails: failure }),
  timerCreated: (id: number, at: Time, fireAt: Time, origin?: HistoryEvent["Origin"]): HistoryEvent =>
    event(EventType.TimerCreated, at, { FireAt: iso(fireAt), ...(origin ? { Origin: origin } : {}) }, id),
  timerFired: (timerId: number, at: Time, fireAt: Time): HistoryEvent => event(EventType.TimerFired, at, { TimerId: timerId, FireAt: iso(fireAt) }),
  /** `inputJson` must be JSON text (or undefined for an event without data). */
  eventRaised: (name: string, at: Time, inputJson?: string): HistoryEvent =>
    event(EventType.EventRaised, at, { Name: name, ...(inputJson === undefined ? {} : { Input: inputJson }) }),
  eventSent: (id: number, at: Time, targetInstanceId: string, name: string, inputJson: string): HistoryEvent =>
    event(EventType.EventSent, at, { InstanceId: targetInstanceId, Name: name, Input: inputJson }, id),
  subOrchestrationCreated: (id: number, at: Time, name: string, instanceId: string, inputJson?: string): HistoryEvent =>
    event(EventType.SubOrchestrationInstanceCreated, at, { Name: name, InstanceId: instanceId, ...(inputJson === undefined ? {} : { Input: inputJson }) }, id),
  subOrchestrationCompleted: (taskScheduledId: number, at: Time, resultJson: string): HistoryEvent =>
    event(EventType.SubOrchestrationInstanceCompleted, at, { TaskScheduledId: taskScheduledId, Result: resultJson }),
  subOrchestrationFailed: (taskScheduledId: number, at: Time, failure: FailureDetailsPayload, reason?: string): HistoryEvent =>
    event(EventType.SubOrchestrationInstanceFailed, at, { TaskScheduledId: taskScheduledId, Reason: reason ?? failure.ErrorMessage, FailureDetails: failure }),
} as const;

/**
 * A fluent builder for step-by-step replay tests: each `episode(at, ...events)` appends
 * OrchestratorStarted, the events, and (via `scheduled`) what the host recorded for that episode.
 *
 *   const h = new HistoryBuilder().start("2026-01-01T00:00:00Z", "hello", '"x"')
 *     .scheduled(history.taskScheduled(0, t0, "greet", '"x"'))
 *     .episode(t1, history.taskCompleted(0, t1, '"hi"'));
 */
export class HistoryBuilder {
  private readonly events: HistoryEvent[] = [];
  private open = false;

  /** Episode 1: OrchestratorStarted + ExecutionStarted. */
  start(at: Time, name: string, inputJson?: string): this {
    this.close();
    this.events.push(history.orchestratorStarted(at), history.executionStarted(at, name, inputJson));
    this.open = true;
    this.lastAt = iso(at);
    return this;
  }

  /** A new episode: OrchestratorStarted(at) followed by the newly delivered events. */
  episode(at: Time, ...delivered: HistoryEvent[]): this {
    this.close();
    this.events.push(history.orchestratorStarted(at), ...delivered);
    this.open = true;
    this.lastAt = iso(at);
    return this;
  }

  /** What the host recorded as the result of the current episode (TaskScheduled, TimerCreated, ...). */
  scheduled(...events: HistoryEvent[]): this {
    this.events.push(...events);
    return this;
  }

  private lastAt = "";
  private close(): void {
    if (this.open) this.events.push(history.orchestratorCompleted(this.lastAt));
    this.open = false;
  }

  /** The history as the host would send it for the current (unfinished) episode. */
  build(): HistoryEvent[] {
    return this.events.map((e) => ({ ...e }));
  }
}
