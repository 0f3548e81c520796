/**
 * The local AMQP 1.0 broker: a TCP listener the real @azure/service-bus client connects to through a
 * `UseDevelopmentEmulator=true` connection string. A test and local-run stand-in for Azure Service
 * Bus, never a production broker: everything is in memory, nothing is authenticated, and only the
 * features flowdeploy uses are implemented (see docs/local-broker.md).
 */
import type { AddressInfo, Server, Socket } from "node:net";
import * as rhea from "rhea";
import type { EventContext } from "rhea";
import { BrokerContext } from "./brokerContext";
import { Conditions, DEFAULT_MAX_MESSAGE_SIZE_BYTES } from "./constants";
import { EntityRegistry, QueueEntity, resolveDefaults, SubscriptionEntity, TopicEntity } from "./entities";
import { LinkRouter } from "./linkRouter";
import { idToString, inspectBody, stringField } from "./messageCodec";
import { MessageStore } from "./messageStore";
import type { BrokerOptions, BrokerStats, DeadLetteredMessage, EntityCounts } from "./options";

export interface LocalServiceBusBroker {
  readonly host: string;
  readonly port: number;
  /** `Endpoint=sb://<host>:<port>;SharedAccessKeyName=…;SharedAccessKey=…;UseDevelopmentEmulator=true` */
  readonly connectionString: string;
  /** Counts of a queue, topic, subscription (`<topic>/Subscriptions/<sub>`) or dead-letter queue path. */
  entity(path: string): EntityCounts;
  /** Messages in the dead-letter queue of a queue or subscription (or of a `…/$DeadLetterQueue` path). */
  deadLetters(path: string): DeadLetteredMessage[];
  stats(): BrokerStats;
  /**
   * Fault injection: detaches every receiver link on a queue, subscription or dead-letter queue with
   * `amqp:link:detach-forced`, as Service Bus does to idle links. Returns how many were detached.
   */
  detachReceivers(path: string): number;
  /** Closes every connection and the listener; resolves once the port is free. Idempotent. */
  close(): Promise<void>;
}

/** Grace for our AMQP close frames to reach clients before their sockets are cut. */
const CLOSE_GRACE_MS = 50;

class Broker implements LocalServiceBusBroker {
  readonly host: string;
  readonly port: number;
  readonly connectionString: string;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    private readonly registry: EntityRegistry,
    private readonly router: LinkRouter,
    private readonly context: BrokerContext,
    host: string,
    keyName: string,
    key: string,
  ) {
    this.host = host;
    this.port = (server.address() as AddressInfo).port;
    // A wildcard listen address is not something a client can dial.
    const dial = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
    this.connectionString = `Endpoint=sb://${dial}:${this.port};SharedAccessKeyName=${keyName};SharedAccessKey=${key};UseDevelopmentEmulator=true`;
  }

  entity(path: string): EntityCounts {
    const found = this.registry.find(path);
    if (!found) throw new Error(`the local broker has no entity '${path}'`);
    return countsOf(found);
  }

  deadLetters(path: string): DeadLetteredMessage[] {
    const found = this.registry.find(path);
    const dlq =
      found instanceof QueueEntity || found instanceof SubscriptionEntity
        ? found.deadLetterQueue
        : found instanceof MessageStore && found.kind === "deadLetterQueue"
          ? found
          : undefined;
    if (!dlq) throw new Error(`'${path}' has no dead-letter queue on the local broker`);
    return dlq.all().map((m) => {
      const props = m.amqp.application_properties ?? {};
      const reason = props["DeadLetterReason"];
      const description = props["DeadLetterErrorDescription"];
      return {
        messageId: idToString(m.amqp.message_id),
        sequenceNumber: m.sequenceNumber,
        reason: typeof reason === "string" ? reason : undefined,
        description: typeof description === "string" ? description : undefined,
        deliveryCount: m.deliveryCount,
        source: m.deadLetterSource ?? "",
        body: inspectBody(m.amqp),
        subject: stringField(m.amqp, "subject"),
        correlationId: stringField(m.amqp, "correlation_id"),
        contentType: stringField(m.amqp, "content_type"),
        applicationProperties: { ...props },
      };
    });
  }

  detachReceivers(path: string): number {
    const found = this.registry.find(path);
    const store = found instanceof MessageStore ? found : found instanceof QueueEntity || found instanceof SubscriptionEntity ? found.store : undefined;
    if (!store) throw new Error(`'${path}' is not a queue, subscription or dead-letter queue on the local broker`);
    return store.detachConsumers({ condition: Conditions.detachForced, description: `The link to '${store.path}' was force-detached by the local broker.` });
  }

  stats(): BrokerStats {
    const entities: EntityCounts[] = [];
    for (const q of this.registry.queues.values()) entities.push(countsOf(q));
    for (const t of this.registry.topics.values()) {
      entities.push(countsOf(t));
      for (const s of t.subscriptions.values()) entities.push(countsOf(s));
    }
    return {
      connections: this.router.connections.size,
      ...this.context.counters,
      managementRequests: { ...this.context.managementRequests },
      errors: [...this.context.errors],
      entities,
    };
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.registry.close();
      for (const c of this.router.connections) {
        try {
          c.close();
        } catch {
          // The socket may already be gone; it is destroyed below either way.
        }
      }
      const cut = setTimeout(() => {
        for (const s of this.sockets) s.destroy();
      }, CLOSE_GRACE_MS);
      this.server.close(() => {
        clearTimeout(cut);
        resolve();
      });
    });
    return this.closing;
  }
}

function countsOf(e: QueueEntity | TopicEntity | SubscriptionEntity | MessageStore): EntityCounts {
  if (e instanceof TopicEntity) {
    const subs = [...e.subscriptions.values()];
    const sum = (f: (s: SubscriptionEntity) => number) => subs.reduce((n, s) => n + f(s), 0);
    return {
      path: e.path,
      kind: "topic",
      active: sum((s) => s.store.activeCount),
      locked: sum((s) => s.store.lockedCount),
      deferred: sum((s) => s.store.deferredCount),
      scheduled: e.scheduledCount,
      deadLettered: sum((s) => s.deadLetterQueue.size),
      receivers: sum((s) => s.store.receiversWithCredit),
      subscriptions: subs.map((s) => s.name),
    };
  }
  const store = e instanceof MessageStore ? e : e.store;
  return {
    path: store.path,
    kind: store.kind,
    active: store.activeCount,
    locked: store.lockedCount,
    deferred: store.deferredCount,
    scheduled: e instanceof QueueEntity ? e.scheduledCount : 0,
    deadLettered: e instanceof MessageStore ? 0 : e.deadLetterQueue.size,
    receivers: store.receiversWithCredit,
  };
}

/** Starts the broker and resolves once it listens. */
export async function startBroker(options: BrokerOptions = {}): Promise<LocalServiceBusBroker> {
  const host = options.host ?? "127.0.0.1";
  const context = new BrokerContext(options.trace);
  const registry = new EntityRegistry(resolveDefaults(options.defaults), context);
  for (const q of options.queues ?? []) registry.addQueue(q);
  for (const t of options.topics ?? []) registry.addTopic(t);
  const router = new LinkRouter({ registry, context, autoCreateEntities: options.autoCreateEntities ?? false });

  const maxMessageSize = options.maxMessageSizeBytes ?? DEFAULT_MAX_MESSAGE_SIZE_BYTES;
  const container = rhea.create_container({
    id: "flowdeploy-local-broker",
    // Attach frames carry max_message_size: createMessageBatch() sizes batches from it.
    sender_options: { max_message_size: maxMessageSize, autosettle: true, treat_modified_as_released: false },
    // Credit for senders is granted by LinkRouter (only to links attached to an entity).
    receiver_options: { max_message_size: maxMessageSize, autoaccept: false, credit_window: 0 },
  });

  const on = (event: string, handler: (context: EventContext) => void) => container.on(event, handler);
  on("connection_open", (c) => router.onConnectionOpen(c.connection));
  on("connection_close", (c) => router.onConnectionGone(c.connection));
  on("disconnected", (c) => router.onConnectionGone(c.connection));
  on("receiver_open", (c) => c.receiver && router.onReceiverOpen(c.receiver));
  on("sender_open", (c) => c.sender && router.onSenderOpen(c.sender));
  on("receiver_close", (c) => c.receiver && router.onLinkClosed(c.receiver));
  on("sender_close", (c) => c.sender && router.onLinkClosed(c.sender));
  on("sender_flow", (c) => c.sender && router.onSenderFlow(c.sender));
  on("message", (c) => router.onMessage(c));
  for (const outcome of ["accepted", "modified", "rejected", "released"] as const) on(outcome, (c) => router.onOutcome(outcome, c));
  // Errors a client reports on its links, sessions and connections are its business (it closed or
  // misbehaved); without these listeners rhea would rethrow them from the container or print them.
  for (const e of ["connection_error", "session_error", "sender_error", "receiver_error"]) container.on(e, () => undefined);
  // Exceptions while reading or writing frames: rhea ends that connection; keep them for stats().errors.
  container.on("error", (e: unknown) => context.recordError(e));
  container.on("protocol_error", (e: unknown) => context.recordError(e));

  const server = container.listen({ port: options.port ?? 0, host });
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return new Broker(server, sockets, registry, router, context, host, options.sharedAccessKeyName ?? "local", options.sharedAccessKey ?? "local-broker-key");
}
