import { join } from "node:path";
import { mkdirSync, readFileSync } from "node:fs";
import { InvocationContext } from "@azure/functions";
import { ServiceBusClient, type ServiceBusReceiver } from "@azure/service-bus";
import { createActivities } from "../activities";
import { createActivityDeps, type NotificationPublisher } from "../activities/deps";
import { planDeployment } from "../plan/planDeployment";
import { createNotificationPublisher } from "../azure/serviceBus";
import { staticTokenCredential } from "../azure/staticCredential";
import { DEFAULT_QUEUE_NAME, DEFAULT_TOPIC_NAME } from "../client/connection";
import { useAppServices } from "../functions/appServices";
import { LOCAL_INTAKE_POLICY, type IntakePolicy } from "../intake/policy";
import { parseWorkspaceId, type WorkspaceTarget } from "../inventory/model";
import { useInventoryServices } from "../inventory/services";
import { VirtualClock, ScaledClock } from "./clock";
import { startSimulator, type ScenarioInput, type Simulator } from "./simulator";
import { startLocalServiceBus } from "./serviceBusTopology";
import type { LocalServiceBusBroker } from "./broker";
import { currentActivityInvocation, DurableRuntime, LocalDurableClient, type DurableRuntimeOptions, type RunnerClock } from "./runner";
import { loadApp, type LoadedApp } from "./appFunctions";
import { resolveSettings } from "./appFunctions/localTriggers";

/**
 * The whole product on one machine: the ARM simulator, the AMQP broker, the local durable runner on
 * a shared clock, and the app's own registered orchestrator, activities and trigger handlers running
 * against them. `flowdeploy local`, `flowdeploy serve`, the end-to-end tests and the benchmarks all
 * start it. Production code is unchanged; only endpoints and credentials differ.
 */
/** The part of the Durable client the queue trigger uses. */
export type StartClientLike = Pick<LocalDurableClient, "getStatus" | "startNew">;

export interface LocalStackOptions {
  scenario?: ScenarioInput | undefined;
  /** Keep runner history and simulator state here (a killed run resumes from it). */
  stateDir?: string | undefined;
  /** Scaled real time (N simulated seconds per real second) instead of the virtual clock. */
  timeScale?: number | undefined;
  /** Where the virtual clock starts (default: now). */
  startAt?: Date | undefined;
  /** Activities running at once in the runner (default 8). */
  activityConcurrency?: number | undefined;
  /** What intake allows (default: any workspace and identity, `*`: the simulator has them all). */
  policy?: Partial<IntakePolicy> | undefined;
  /** FLOWDEPLOY_ADOPT_ENDPOINTS: may the activities change endpoints flowdeploy did not create (default false, as in Azure). */
  adoptEndpoints?: boolean | undefined;
  /** FLOWDEPLOY_SERVING_IMAGE: the prompt flow serving image (default: the runtime image's tag). */
  servingImage?: string | undefined;
  /** Receives the app's and the runner's log lines. */
  log?: ((line: string) => void) | undefined;
  /**
   * How strict an extension the runner plays (defaults: the strict, current one). Tests use these to
   * show the product's behaviour on an older extension (replay schema V3, no exception properties) and
   * with timers that fire late as on the Azure Storage backend.
   */
  runner?: Pick<DurableRuntimeOptions, "replaySchema" | "exceptionProperties" | "timerLatenessSeconds" | "timerLatenessSeed"> | undefined;
}

export interface LocalStack {
  /** The app as the worker loads it (package.json main), with the trigger handlers the edges call. */
  app: LoadedApp;
  clock: RunnerClock;
  sim: Simulator;
  broker: LocalServiceBusBroker;
  runtime: DurableRuntime;
  client: LocalDurableClient;
  /** What the notify activity publishes through (tests replace `publish` to make the topic fail). */
  publisher: NotificationPublisher;
  serviceBusConnectionString: string;
  /**
   * Starts the wiring table's Service Bus queue triggers (as the Functions host would); returns a stop function.
   * `client` replaces the Durable client (tests use a failing one to exercise redelivery).
   */
  startQueueTrigger(options?: { client?: StartClientLike }): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The app settings the local hosts resolve `%NAME%` in trigger options from (the defaults of local.settings.sample.json). */
export const LOCAL_APP_SETTINGS: Readonly<Record<string, string>> = { DEPLOY_QUEUE_NAME: DEFAULT_QUEUE_NAME };

/** The simulator's scenario workspace, as the inventory names workspaces. */
function simulatorWorkspace(sim: Simulator): WorkspaceTarget {
  const ws = sim.workspace;
  const id = `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}`;
  return parseWorkspaceId(id) ?? { subscriptionId: ws.subscriptionId, resourceGroup: ws.resourceGroup, name: ws.workspace, id };
}

/** The simulated time a previous run in `stateDir` had reached, if any. */
function resumedTime(stateDir: string | undefined): Date | undefined {
  if (!stateDir) return undefined;
  try {
    const state = JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as { lastNow?: string };
    return state.lastNow ? new Date(state.lastNow) : undefined;
  } catch {
    return undefined;
  }
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  // The activities log through one process-wide logger; inside an activity the runner invoked, the
  // line says which deployment (instance) and activity it is about, as the host's context would.
  const activityLog = (line: string) => {
    const invocation = currentActivityInvocation();
    log(invocation ? `instance=${invocation.instanceId} ${invocation.name}: ${line}` : line);
  };
  if (options.stateDir) mkdirSync(options.stateDir, { recursive: true });
  // A resumed run continues from the simulated time it had reached: Azure's state and the
  // orchestration's timers were written on that clock.
  const startAt = options.startAt ?? resumedTime(options.stateDir) ?? new Date();
  const clock: RunnerClock = options.timeScale ? new ScaledClock(options.timeScale, startAt) : new VirtualClock(startAt);
  const sim = await startSimulator({
    clock,
    ...(options.scenario ? { scenario: options.scenario } : {}),
    ...(options.stateDir ? { stateFile: join(options.stateDir, "simulator-state.json") } : {}),
  });
  const broker = await startLocalServiceBus();
  const serviceBus = new ServiceBusClient(broker.connectionString);
  const publisher = createNotificationPublisher(serviceBus, DEFAULT_TOPIC_NAME);

  const deps = createActivityDeps({
    arm: { endpoint: sim.url, caCertPem: sim.caCertPem, credential: staticTokenCredential() },
    bus: publisher,
    clock,
    // The simulator serves scoring on its own host (https): the only place the key may go locally.
    settings: {
      ...(options.servingImage ? { servingImage: options.servingImage } : {}),
      adoptEndpoints: options.adoptEndpoints ?? false,
      scoringHostSuffixes: [new URL(sim.url).hostname],
      // Blob storage (a migration's parity inputs file) is the simulator's too, path-style.
      blobEndpoint: sim.url,
    },
    log: { info: activityLog, warn: activityLog },
  });
  // Locally every workspace may be targeted unless the caller says otherwise: the simulator accepts any.
  const policy = { ...LOCAL_INTAKE_POLICY, ...options.policy };
  useAppServices({ activities: createActivities(deps), plan: (request) => planDeployment(deps, request), publisher, policy, clock });
  // GET /api/inventory reads the simulator with the same clients; with the allow-list `*` and no
  // workspace named, it reads the scenario's workspace (where `existing` is seeded).
  useInventoryServices({ deps: { ml: deps.ml, clock }, allowedWorkspaces: policy.allowedWorkspaces, knownWorkspaces: [simulatorWorkspace(sim)] });

  const app = await loadApp();
  const runtime = new DurableRuntime({
    functions: app.functions,
    clock,
    ...(options.stateDir ? { stateDir: join(options.stateDir, "runner") } : {}),
    ...(options.activityConcurrency ? { activityConcurrency: options.activityConcurrency } : {}),
    log: (entry) => log(`instance=${entry.instanceId} ${entry.functionName}: ${entry.args.map(String).join(" ")}`),
    ...options.runner,
  });
  const client = new LocalDurableClient(runtime);
  runtime.start();

  const receivers: ServiceBusReceiver[] = [];
  // The queue triggers' `connection` settings: the local broker.
  const connections = new Map([["ServiceBusConnection", serviceBus]]);
  return {
    app,
    clock,
    sim,
    broker,
    runtime,
    client,
    publisher,
    serviceBusConnectionString: broker.connectionString,
    async startQueueTrigger(triggerOptions = {}) {
      const durableClient = triggerOptions.client ?? client;
      const subscriptions = app.triggers.serviceBusQueue.map((trigger) => {
        const connection = connections.get(trigger.connection);
        if (!connection) throw new Error(`${trigger.name}: the local hosts have no Service Bus connection '${trigger.connection}'`);
        const receiver = connection.createReceiver(resolveSettings(trigger.queueName, LOCAL_APP_SETTINGS));
        receivers.push(receiver);
        // Like the Functions host with autoCompleteMessages: complete on return, abandon on throw
        // (Service Bus then redelivers, and dead-letters after maxDeliveryCount).
        return receiver.subscribe(
          {
            processMessage: async (message) => {
              const context = new InvocationContext({
                functionName: trigger.name,
                triggerMetadata: workerTriggerMetadata(message),
                logHandler: (_level, ...args) => log(`${trigger.name}: ${args.map(String).join(" ")}`),
              });
              await trigger.handler(message.body, durableClient as LocalDurableClient, context);
            },
            processError: async (args) => log(`queue trigger: ${args.error.message}`),
          },
          { autoCompleteMessages: true, maxConcurrentCalls: 8 },
        );
      });
      return async () => {
        for (const subscription of subscriptions) await subscription.close();
      };
    },
    async close() {
      await runtime.stop();
      for (const r of receivers) await r.close().catch(() => undefined);
      await publisher.close().catch(() => undefined);
      await serviceBus.close().catch(() => undefined);
      await broker.close();
      await sim.close();
    },
  };
}

/**
 * A Service Bus message's trigger metadata as the Functions Node worker hands it to a v4 handler:
 * @azure/functions' fromRpcTriggerMetadata camel-cases every key, nested ones too (toCamelCaseKey:
 * the first letter lower-cased), so `ApplicationProperties.Diagnostic-Id` arrives as
 * `applicationProperties["diagnostic-Id"]`.
 */
function workerTriggerMetadata(message: { messageId?: unknown; deliveryCount?: number; applicationProperties?: Record<string, unknown> }): Record<string, unknown> {
  const camel = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);
  const properties = Object.fromEntries(Object.entries(message.applicationProperties ?? {}).map(([k, v]) => [camel(k), v]));
  return { messageId: message.messageId, deliveryCount: message.deliveryCount, applicationProperties: properties };
}
