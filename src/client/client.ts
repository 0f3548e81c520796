import type { ServiceBusClient, ServiceBusClientOptions, ServiceBusSender } from "@azure/service-bus";
import { parseDeployRequest, type DeployRequestInput } from "../contracts";
import { createServiceBusClientFor, DEFAULT_QUEUE_NAME, DEFAULT_TOPIC_NAME, type ServiceBusConnection } from "./connection";
import { RequestValidationError } from "./errors";
import { deployRequestMessage } from "./messages";
import { activeTraceparent } from "../tracing/spans";
import { newTraceparent, parseTraceparent } from "../tracing/traceparent";
import { checkFilter } from "./notifications";
import { startWatch, type NotificationHandler, type WatchHandle, type WatchOptions } from "./watch";

export interface FlowdeployClientOptions {
  /** The queue deploy requests go to; default `deploy-requests`. */
  queueName?: string;
  /** The topic notifications come from; default `deployment-notifications`. */
  topicName?: string;
  /** Passed to the ServiceBusClient: retry policy, WebSockets, identifier. */
  serviceBusClientOptions?: ServiceBusClientOptions;
}

export interface EnqueueResult {
  requestId: string;
  /** A digest of the request's content: what the queue's duplicate detection compares (identical resends are dropped). */
  messageId: string;
  /** The W3C trace id the deployment runs under (its spans, and the notification's Diagnostic-Id). */
  traceId: string;
}

export interface FlowdeployClient {
  readonly queueName: string;
  readonly topicName: string;
  /**
   * Validates the request against the DeployRequest contract and sends it to the queue. Throws a
   * RequestValidationError (nothing sent) when it does not meet the contract. Sending the same
   * request again within the queue's duplicate detection window is accepted and dropped by Service
   * Bus; after the window the pipeline's own idempotency still deploys it only once. A *changed*
   * request under a used request id reaches the pipeline and is rejected (RequestIdConflict).
   */
  enqueue(request: DeployRequestInput, options?: { abortSignal?: AbortSignal; traceparent?: string }): Promise<EnqueueResult>;
  /** Receives notifications from a subscription of the topic until stopped; see `startWatch`. */
  watch(options: WatchOptions, onNotification: NotificationHandler): Promise<WatchHandle>;
  /** Stops every watch, then closes the sender and the connection. */
  close(): Promise<void>;
}

/**
 * A client for the people who use flowdeploy: enqueue deploy requests, watch outcome notifications.
 * One AMQP connection, opened on first use.
 */
export function createFlowdeployClient(connection: ServiceBusConnection, options: FlowdeployClientOptions = {}): FlowdeployClient {
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const topicName = options.topicName ?? DEFAULT_TOPIC_NAME;
  const serviceBus: ServiceBusClient = createServiceBusClientFor(connection, options.serviceBusClientOptions);
  const watches = new Set<WatchHandle>();
  let sender: ServiceBusSender | undefined;
  let closing: Promise<void> | undefined;

  const ensureOpen = () => {
    if (closing) throw new Error("this flowdeploy client is closed");
  };

  return {
    queueName,
    topicName,

    async enqueue(request, enqueueOptions = {}) {
      ensureOpen();
      const parsed = parseDeployRequest(request);
      if (!parsed.ok) throw new RequestValidationError(parsed.issues);
      sender ??= serviceBus.createSender(queueName);
      // The deployment continues the caller's trace: the one given, else the active span's, else a new one.
      const given = enqueueOptions.traceparent === undefined ? undefined : parseTraceparent(enqueueOptions.traceparent);
      if (enqueueOptions.traceparent !== undefined && !given) throw new RangeError(`traceparent: not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>): ${enqueueOptions.traceparent.slice(0, 80)}`);
      const trace = given ?? activeTraceparent() ?? newTraceparent();
      const message = deployRequestMessage(parsed.value, trace);
      await sender.sendMessages(message, { abortSignal: enqueueOptions.abortSignal });
      return { requestId: parsed.value.requestId, messageId: String(message.messageId), traceId: trace.traceId };
    },

    async watch(watchOptions, onNotification) {
      ensureOpen();
      if (!watchOptions.subscription?.trim()) throw new RangeError("watch needs the name of a subscription of the topic");
      checkFilter(watchOptions);
      const receiver = serviceBus.createReceiver(topicName, watchOptions.subscription, { receiveMode: "peekLock" });
      const handle = await startWatch(receiver, watchOptions, onNotification);
      watches.add(handle);
      void handle.done.catch(() => undefined).finally(() => watches.delete(handle));
      return handle;
    },

    close() {
      closing ??= (async () => {
        await Promise.all([...watches].map((w) => w.stop()));
        await sender?.close();
        await serviceBus.close();
      })();
      return closing;
    },
  };
}
