import type { ServiceBusReceivedMessage, ServiceBusReceiver } from "@azure/service-bus";
import { traceparentOfProperties } from "../tracing/traceparent";
import { formatIssues, type DeploymentNotification, type FieldIssue } from "../contracts";
import { onConnectionLost } from "./connectionEvents";
import { checkFilter, matchesFilter, notificationFromMessage, type NotificationFilter } from "./notifications";

/** The dead-letter reason given to a message on the notifications topic that is not a valid notification. */
export const INVALID_NOTIFICATION_REASON = "InvalidNotification";

/**
 * Service Bus refuses dead-letter reasons and descriptions longer than 4096 characters (the .NET SDK
 * checks both against `Constants.MaxDeadLetterReasonLength`); a refused dead-letter would leave the
 * message locked, so the description is cut to fit.
 */
export const MAX_DEAD_LETTER_DESCRIPTION_LENGTH = 4096;

/**
 * How long one receive call waits for a message before it drains its credit and asks again. The
 * link stays attached in between, and asking every minute keeps it from looking idle (Service Bus
 * detaches receiver links idle for 10 minutes).
 */
const RECEIVE_WAIT_MS = 60_000;

/** Long enough for a local broker (`flowdeploy serve`) to be restarted, short enough that a script is not left waiting. */
const RECONNECT_FOR_MS = 30_000;

export interface WatchOptions extends NotificationFilter {
  /** The topic subscription to receive from; it must exist (see docs/client.md). */
  subscription: string;
  /** Aborting stops the watch, as `WatchHandle.stop()` does. */
  signal?: AbortSignal | undefined;
  /** Told about each message that was not a valid notification, after it was dead-lettered. */
  onDeadLettered?: ((message: DeadLetteredNotification) => void) | undefined;
  /**
   * Told when the connection to the namespace drops (the namespace closed it, or the network did),
   * with why. The watch then reconnects: `onReconnected` when the subscription answers again; when
   * it does not (after the client's retry policy), the watch ends with that error.
   */
  onDisconnected?: ((reason: string) => void) | undefined;
  onReconnected?: (() => void) | undefined;
  /** How long one receive call waits before it asks again (default 60 s); tests shorten it. */
  receiveWaitMs?: number | undefined;
  /** How long to keep trying to reconnect after the connection dropped before the watch ends (default 30 s). */
  reconnectForMs?: number | undefined;
}

export interface DeadLetteredNotification {
  messageId: string | undefined;
  reason: typeof INVALID_NOTIFICATION_REASON;
  /** The field-named problems, `; `-separated, as written into the message's dead-letter description. */
  description: string;
  issues: FieldIssue[];
}

/** What a notification's message says beside its body: the trace it ends (its `Diagnostic-Id`). */
export interface NotificationMeta {
  traceId: string | null;
}

export type NotificationHandler = (notification: DeploymentNotification, meta: NotificationMeta) => Promise<void> | void;

export interface WatchCounts {
  /** Notifications that matched the filter, were handed to the handler and completed. */
  handled: number;
  /** Valid notifications that did not match the client-side filter: completed without calling the handler. */
  skipped: number;
  /** Messages that were not valid notifications, moved to the subscription's dead-letter queue. */
  deadLettered: number;
}

export interface WatchHandle {
  /** Stops receiving once the message in hand (if any) is handled and settled; resolves when stopped. */
  stop(): Promise<void>;
  /** Resolves when the watch has stopped; rejects with the error that ended it (a handler error, or receiving failed for good). */
  readonly done: Promise<void>;
  readonly counts: Readonly<WatchCounts>;
}

/**
 * Starts receiving notifications from a subscription in peek-lock mode. Resolves once the
 * subscription answered (a peek, which locks nothing), so a missing subscription or a refused
 * credential rejects here rather than later.
 *
 * Per message: not a valid notification → dead-lettered with reason `InvalidNotification` and the
 * field-named problems, and the watch goes on; valid but not matching `outcome`/`requestId` →
 * completed without calling the handler (a subscription is one consumer: see docs/client.md);
 * matching → the handler runs, then the message is completed. When the handler throws, the message
 * is abandoned (delivered again later) and the watch ends with that error.
 */
export async function startWatch(receiver: ServiceBusReceiver, options: WatchOptions, handler: NotificationHandler): Promise<WatchHandle> {
  checkFilter(options);
  const filter: NotificationFilter = { outcome: options.outcome, requestId: options.requestId, requestDigest: options.requestDigest };
  const stopping = new AbortController();
  const onAbort = () => stopping.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) stopping.abort();
  try {
    await receiver.peekMessages(1, { abortSignal: stopping.signal });
  } catch (err) {
    // Stopped while checking: the loop below sees the abort and ends at once.
    if (!stopping.signal.aborted) {
      options.signal?.removeEventListener("abort", onAbort);
      await receiver.close();
      throw err;
    }
  }
  const counts: WatchCounts = { handled: 0, skipped: 0, deadLettered: 0 };
  const state: WatchState = {
    filter,
    handler,
    counts,
    onDeadLettered: options.onDeadLettered,
    onDisconnected: options.onDisconnected,
    onReconnected: options.onReconnected,
    receiveWaitMs: options.receiveWaitMs ?? RECEIVE_WAIT_MS,
    reconnectForMs: options.reconnectForMs ?? RECONNECT_FOR_MS,
  };
  const done = receiveUntilStopped(receiver, state, stopping.signal).finally(async () => {
    options.signal?.removeEventListener("abort", onAbort);
    await receiver.close();
  });
  // The caller may only ever call stop(); an ending error must not also surface as an unhandled rejection.
  done.catch(() => undefined);
  return {
    stop: () => {
      stopping.abort();
      return done.catch(() => undefined);
    },
    done,
    counts,
  };
}

interface WatchState {
  filter: NotificationFilter;
  handler: NotificationHandler;
  counts: WatchCounts;
  onDeadLettered: WatchOptions["onDeadLettered"];
  onDisconnected: WatchOptions["onDisconnected"];
  onReconnected: WatchOptions["onReconnected"];
  receiveWaitMs: number;
  reconnectForMs: number;
}

async function receiveUntilStopped(receiver: ServiceBusReceiver, state: WatchState, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    // Each receive gets its own signal, linked to `stop` for the call only. The SDK adds an abort
    // listener per receive and, when an idle receive ends by draining its credit, never removes it
    // (BatchingReceiverLite.tryDrainReceiver, @azure/service-bus 7.9.5): on one long-lived signal
    // that was a listener a minute, and a MaxListenersExceededWarning after ten idle minutes.
    const call = new AbortController();
    // Resolved when the connection drops or the watch is stopped: either ends the wait at once.
    let wake!: () => void;
    const woken = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)));
    const abortCall = () => {
      call.abort();
      wake();
    };
    stop.addEventListener("abort", abortCall, { once: true });
    let lost: string | undefined;
    const stopListening = onConnectionLost(receiver, (reason) => {
      lost = reason;
      call.abort();
      wake();
    });
    // One at a time: the link holds no credit while a message is being handled, so stopping never
    // leaves a second message locked (and invisible to other receivers) until its lock expires.
    const receiving = receiver.receiveMessages(1, { maxWaitTimeInMs: state.receiveWaitMs, abortSignal: call.signal });
    receiving.catch(() => undefined);
    let messages: ServiceBusReceivedMessage[] = [];
    try {
      // A drop or a stop is acted on at once, whatever the SDK's receive is doing: aborted while it
      // attaches its link, it ends only when its retry loop looks again.
      const got = await Promise.race([receiving, woken]);
      // Stopped while waiting: nothing in hand (a message already received is still handled below).
      if (got === undefined && stop.aborted) return;
      messages = got ?? [];
    } catch (err) {
      if (stop.aborted) return;
      lost ??= connectionLoss(err);
      if (lost === undefined) throw err;
    } finally {
      stop.removeEventListener("abort", abortCall);
      stopListening();
    }
    if (lost !== undefined) {
      state.onDisconnected?.(lost);
      // The SDK refuses a new receive while that one is pending ("already receiving"): let it end.
      // A message it still returns was locked on the dropped link and is delivered again when its
      // lock expires (at least once, as documented).
      await settledOrAborted(receiving, stop);
      if (stop.aborted) return;
      await reconnect(receiver, state, stop);
      continue;
    }
    for (const message of messages) await processMessage(receiver, message, state);
  }
}

/** Resolves when `promise` settles or `signal` aborts, whichever comes first (leaving no listener behind). */
function settledOrAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    promise.then(done, done);
  });
}

/**
 * After the connection dropped: asks the subscription again (a peek, which locks nothing and opens a
 * new connection) until it answers, backing off from 0.5 s to 5 s between tries, for
 * `reconnectForMs`. Resolves when it answered; rejects with the last error when it did not in that
 * time, which ends the watch. (The SDK's own retry policy does not retry a refused or reset
 * connection: a namespace or broker that is restarting would end the watch at once.)
 */
async function reconnect(receiver: ServiceBusReceiver, state: WatchState, stop: AbortSignal): Promise<void> {
  const giveUpAt = Date.now() + state.reconnectForMs;
  for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await receiver.peekMessages(1, { abortSignal: stop });
      break;
    } catch (err) {
      if (stop.aborted) return;
      if (Date.now() + delay > giveUpAt) throw err;
    }
    await abortableDelay(delay, stop);
    if (stop.aborted) return;
  }
  state.onReconnected?.();
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Why a receive failed when the connection went away under it, or undefined for any other error.
 * The SDK ends a pending receive with "Unknown error occurred on the AMQP connection while
 * receiving messages." when the socket drops (BatchingReceiver.onDetached, @azure/service-bus 7.9.5),
 * or with a retryable ServiceBusError (ServiceCommunicationProblem) when the namespace is unreachable.
 */
function connectionLoss(err: unknown): string | undefined {
  const e = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message : "";
  if (/occurred on the AMQP connection/i.test(message)) return "the network connection dropped";
  if (e.code === "ServiceCommunicationProblem") return `the namespace cannot be reached: ${message.split(/\r?\n/, 1)[0]}`;
  return undefined;
}

async function processMessage(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage, state: WatchState): Promise<void> {
  const parsed = notificationFromMessage(message);
  if (!parsed.ok) {
    const description = truncate(formatIssues(parsed.issues).join("; "), MAX_DEAD_LETTER_DESCRIPTION_LENGTH);
    await settle(() => receiver.deadLetterMessage(message, { deadLetterReason: INVALID_NOTIFICATION_REASON, deadLetterErrorDescription: description }));
    state.counts.deadLettered++;
    state.onDeadLettered?.({ messageId: messageIdOf(message), reason: INVALID_NOTIFICATION_REASON, description, issues: parsed.issues });
    return;
  }
  if (!matchesFilter(parsed.value, state.filter)) {
    await settle(() => receiver.completeMessage(message));
    state.counts.skipped++;
    return;
  }
  try {
    await state.handler(parsed.value, { traceId: traceparentOfProperties(message.applicationProperties)?.traceId ?? null });
  } catch (err) {
    await settle(() => receiver.abandonMessage(message)).catch(() => undefined);
    throw err;
  }
  await settle(() => receiver.completeMessage(message));
  state.counts.handled++;
}

/**
 * Settles a message. A lost lock (the handler outlived the SDK's automatic lock renewal, or the
 * connection dropped) is not an error of the watch: Service Bus delivers the message again, so
 * delivery is at least once and handlers must tolerate a repeat.
 */
async function settle(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if ((err as { code?: unknown }).code !== "MessageLockLost") throw err;
  }
}

function messageIdOf(message: ServiceBusReceivedMessage): string | undefined {
  const id = message.messageId;
  return id === undefined ? undefined : String(id);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
