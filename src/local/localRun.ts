import { InvocationContext } from "@azure/functions";
import { newTraceparent } from "../tracing/traceparent";
import { ServiceBusClient } from "@azure/service-bus";
import { classifyEvent } from "../contracts/events";
import { parseDeployRequest } from "../contracts/parse";
import type { DeployRequest } from "../contracts/deployRequest";
import { deployRequestMessage } from "../client/messages";
import type { DeploymentNotification, StageRecord } from "../contracts/notification";
import { createFlowdeployClient } from "../client";
import { DEFAULT_QUEUE_NAME } from "../client/connection";
import { instanceIdFor } from "../domain/ids";
import { requestIdOf } from "../intake/rejection";
import type { DeployFlowStatus } from "../contracts/orchestration";
import type { ApprovalDecision } from "../contracts/orchestration";
import { APPROVAL_EVENT } from "../domain/ids";
import { APPROVAL_STAGE } from "../intake/approval";
import { soleTrigger } from "./appFunctions/localTriggers";
import { rolloutProgress, stageEndNote, type RolloutProgress } from "../domain/rolloutProgress";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "./localStack";
import { LOCAL_SUBSCRIPTIONS } from "./serviceBusTopology";

/** One line of progress a person (or `--json`) follows: a stage started or ended, in simulated time. */
export interface StageProgress {
  type: "stage";
  stage: string;
  /** A stage record started or ended; or, between them, what a rollout does (src/domain/rolloutProgress.ts). */
  event: "started" | "succeeded" | "failed" | "skipped" | "cancelled" | RolloutProgress["event"];
  /** The stage record's note (e.g. roles granted by an earlier run), or the rollout's figures. */
  note?: string;
  at: string;
  seconds?: number;
}

export interface LocalRunOptions extends LocalStackOptions {
  /** A deploy request (parsed JSON, not yet validated): sent through the deploy-requests queue. */
  request?: unknown;
  /** An Event Grid event (either envelope): delivered to the Event Grid trigger's handler. */
  event?: unknown;
  onProgress?: (progress: StageProgress) => void;
  /**
   * rollout.approval: the answer to give when the run asks for one, as the local operator (no
   * FLOWDEPLOY_APPROVERS locally: the same rule as the route's with only the function key). Without it
   * the run waits until the approval times out, as it would on Azure with nobody answering.
   */
  approval?: { decision: ApprovalDecision["decision"]; reason?: string };
  /** Called once the stack is up (the CLI's live display reads its clock). */
  onStarted?: (stack: LocalStack) => void;
}

export interface LocalRunResult {
  notification: DeploymentNotification;
  /** Simulated seconds from start to notification. */
  simulatedSeconds: number;
  wallMs: number;
  stack: LocalStack;
  /** The trace the deployment ran under (a request is sent with a new one, as `enqueue` does). */
  traceId: string | undefined;
}

/** How long to wait for the notification on the topic after the instance finished (it was published before). */
const NOTIFICATION_GRACE_MS = 3000;

/**
 * Runs one deployment through the real event-driven path, offline: the request goes through the
 * local broker's queue to the queue trigger (or the event to the Event Grid trigger), the
 * orchestration runs on the local runner against the simulator, and the outcome is received from the
 * notifications topic. The stack stays open for inspection; the caller closes it.
 */
export async function runLocalDeployment(options: LocalRunOptions): Promise<LocalRunResult> {
  const wallStart = Date.now();
  const stack = await startLocalStack({ ...options, scenario: scenarioInTargetWorkspace(options) });
  options.onStarted?.(stack);
  const simStart = stack.clock.now().getTime();
  const stopTrigger = await stack.startQueueTrigger();
  const client = createFlowdeployClient({ connectionString: stack.serviceBusConnectionString });
  let traceId: string | undefined;
  const unsubscribe = stack.runtime.onEvent(progressReporter(options.onProgress, options.approval ? approvalAnswerer(stack, options.approval) : undefined));
  try {
    if (options.event !== undefined) {
      const ignored = ignoredEventReason(options.event);
      if (ignored !== undefined) {
        // Delivered all the same (the trigger logs it), but no notification will come: say so.
        await deliverEvent(stack, options.event, options.log ?? (() => undefined));
        throw new LocalInputIgnored(ignored, stack);
      }
    }
    const requestId = options.event !== undefined ? (requestOfEvent(options.event)?.requestId ?? null) : requestIdOf(options.request);
    const received = receiveNotification(client, requestId);
    if (options.event !== undefined) await deliverEvent(stack, options.event, options.log ?? (() => undefined));
    else traceId = await sendRequest(stack, options.request);
    const fromInstance = requestId ? outputOfInstance(stack, instanceIdFor(requestId)) : new Promise<never>(() => undefined);
    const notification = await Promise.race([received.promise, fromInstance]);
    // The whole deployment's simulated time, from the notification (a resumed run started before this process did).
    const whole = (Date.parse(notification.endedAt) - Date.parse(notification.startedAt)) / 1000;
    return { traceId, notification, simulatedSeconds: Number.isFinite(whole) && whole > 0 ? whole : (stack.clock.now().getTime() - simStart) / 1000, wallMs: Date.now() - wallStart, stack };
  } finally {
    unsubscribe();
    await stopTrigger();
    await client.close();
  }
}

/** Sends the request as its JSON text, as a producer would (invalid ones too: the trigger rejects them). */
async function sendRequest(stack: LocalStack, request: unknown): Promise<string | undefined> {
  const sb = new ServiceBusClient(stack.serviceBusConnectionString);
  try {
    // A valid request goes as `enqueue` sends it (message id = digest of the content); anything else as it is.
    const parsed = parseDeployRequest(request);
    const id = requestIdOf(request);
    const trace = newTraceparent();
    await sb.createSender(DEFAULT_QUEUE_NAME).sendMessages(parsed.ok ? deployRequestMessage(parsed.value, trace) : { body: request, contentType: "application/json", ...(id ? { correlationId: id } : {}) });
    return parsed.ok ? trace.traceId : undefined;
  } finally {
    await sb.close();
  }
}

/** Delivers the event as Event Grid would to the app's Event Grid trigger: each event of an array in turn. */
async function deliverEvent(stack: LocalStack, event: unknown, log: (line: string) => void): Promise<void> {
  const trigger = soleTrigger(stack.app.triggers.eventGrid, "Event Grid");
  const context = new InvocationContext({ functionName: trigger.name, logHandler: (_level, ...args) => log(`${trigger.name}: ${args.map(String).join(" ")}`) });
  for (const e of Array.isArray(event) ? event : [event]) await trigger.handler(e, stack.client, context);
}

/**
 * A scenario that names no workspace seeds its endpoints and models where this run deploys: the
 * request's (or the event's target's) workspace, so `--request mine.json --scenario existing.json`
 * finds the endpoint the user described. A scenario naming its workspace is kept as it is.
 */
function scenarioInTargetWorkspace(options: LocalRunOptions): LocalRunOptions["scenario"] {
  const scenario = options.scenario;
  if (!scenario || (scenario as { workspace?: unknown }).workspace !== undefined) return scenario;
  const parsed = options.event === undefined ? parseDeployRequest(options.request) : undefined;
  const ws = options.event !== undefined ? requestOfEvent(options.event)?.workspace : parsed?.ok ? parsed.value.workspace : undefined;
  return ws ? { ...scenario, workspace: { subscriptionId: ws.subscriptionId, resourceGroup: ws.resourceGroup, name: ws.name } } : scenario;
}


/**
 * An input that can produce no notification: the trigger ignores it (an Azure ML event that is not a
 * tagged run, an empty batch). `runLocalDeployment` throws this instead of waiting for ever; the stack
 * is open for inspection and the caller closes it.
 */
export class LocalInputIgnored extends Error {
  override readonly name = "LocalInputIgnored";
  constructor(
    readonly reason: string,
    readonly stack_: LocalStack,
  ) {
    super(`ignored: ${reason}`);
  }
}

/** Why the Event Grid trigger would ignore this delivery (every event in it), or undefined if one counts. */
function ignoredEventReason(event: unknown): string | undefined {
  const events = Array.isArray(event) ? event : [event];
  if (events.length === 0) return "the event array is empty: Event Grid delivered nothing";
  const reasons: string[] = [];
  for (const e of events) {
    const result = classifyEvent(e);
    if (result.outcome !== "ignored") return undefined;
    reasons.push(result.reason);
  }
  return reasons.join("; ");
}

/** The deploy request the (first) event names: accepted, or refused by its own thresholds only. */
function requestOfEvent(event: unknown): DeployRequest | undefined {
  const first = Array.isArray(event) ? event[0] : event;
  const result = classifyEvent(first);
  return result.outcome === "ignored" ? undefined : result.request;
}

/** The final notification for `requestId` (or the first Rejected one when the input had no usable id). */
function receiveNotification(client: ReturnType<typeof createFlowdeployClient>, requestId: string | null) {
  let resolve!: (n: DeploymentNotification) => void;
  const promise = new Promise<DeploymentNotification>((r) => (resolve = r));
  const abort = new AbortController();
  void client.watch({ subscription: LOCAL_SUBSCRIPTIONS.all, signal: abort.signal }, (n) => {
    // AwaitingApproval is not an outcome: the run goes on (its wait shows as a progress line).
    if (n.outcome === "AwaitingApproval") return;
    if (requestId ? n.requestId === requestId : n.outcome === "Rejected") {
      resolve(n);
      abort.abort();
    }
  });
  return { promise };
}

/**
 * A run resumed from a state directory may find its instance already finished (the notification went
 * out before the crash): the orchestration's output is the same notification.
 */
async function outputOfInstance(stack: LocalStack, instanceId: string): Promise<DeploymentNotification> {
  for (;;) {
    const rec = stack.runtime.getInstance(instanceId);
    if (rec) {
      const done = await stack.runtime.waitForCompletion(instanceId);
      await new Promise((r) => setTimeout(r, NOTIFICATION_GRACE_MS).unref());
      if (done.outputJson) return JSON.parse(done.outputJson) as DeploymentNotification;
      throw new Error(`deployment ${instanceId} ended ${done.runtimeStatus} without a notification`);
    }
    await new Promise((r) => setTimeout(r, 50).unref());
  }
}

/** The local operator's answer to a run that asks for approval: raised once, when the run shows it waits. */
export const LOCAL_APPROVER = "local operator (flowdeploy local)";

function approvalAnswerer(stack: LocalStack, answer: NonNullable<LocalRunOptions["approval"]>) {
  const answered = new Set<string>();
  return (instanceId: string, status: DeployFlowStatus) => {
    if (answered.has(instanceId) || status.stage !== APPROVAL_STAGE || !status.approval || status.approval.decision) return;
    answered.add(instanceId);
    const decision: ApprovalDecision = { decision: answer.decision, reason: answer.reason ?? null, by: LOCAL_APPROVER, at: stack.clock.now().toISOString() };
    // Raised at once (the local runtime queues it synchronously), before the virtual clock can jump to the approval's timeout.
    void stack.client.raiseEvent(instanceId, APPROVAL_EVENT, decision);
  };
}

/** Turns the orchestrator's custom status (its stage records and rollout state) into progress lines. */
function progressReporter(onProgress: LocalRunOptions["onProgress"], onStatus?: (instanceId: string, status: DeployFlowStatus) => void) {
  const seen = new Map<string, string>();
  let previous: DeployFlowStatus | undefined;
  return (event: { type: string; instanceId?: string; customStatus?: unknown }) => {
    if (event.type !== "customStatus") return;
    const status = event.customStatus as DeployFlowStatus | null;
    if (status && event.instanceId) onStatus?.(event.instanceId, status);
    if (!onProgress) return;
    const lines: StageProgress[] = [];
    for (const [i, stage] of (status?.stages ?? []).entries()) {
      const key = `${stage.name}#${i}`;
      const state = stage.endedAt ? stage.outcome : "started";
      const before = seen.get(key);
      if (before === state) continue;
      if (!before) lines.push({ type: "stage", stage: stage.name, event: "started", at: stage.startedAt, ...(stage.note ? { note: stage.note } : {}) });
      if (stage.endedAt) lines.push(ended(stage, status ? stageEndNote(stage, status) : undefined));
      seen.set(key, state);
    }
    // After the stage lines of the same instant (a stage starts, then waits).
    if (status) for (const p of rolloutProgress(previous, status)) lines.push({ type: "stage", ...p });
    previous = status ?? previous;
    // In time order: one status update can end one stage and start another.
    for (const line of lines.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) onProgress(line);
  };
}

function ended(stage: StageRecord, note: string | undefined): StageProgress {
  return {
    type: "stage",
    stage: stage.name,
    event: stage.outcome === "Succeeded" ? "succeeded" : stage.outcome === "Failed" ? "failed" : stage.outcome === "Cancelled" ? "cancelled" : "skipped",
    at: stage.endedAt!,
    seconds: (Date.parse(stage.endedAt!) - Date.parse(stage.startedAt)) / 1000,
    ...(note ? { note } : {}),
  };
}
