/**
 * The load benchmark, one size per process (so each size has its own peak RSS):
 *
 *   node --import tsx bench/load.ts <requests> <endpoints>
 *
 * Starts the local stack with the queue trigger running, enqueues every deploy request at once
 * through the local broker (Service Bus message batches), waits for every notification on the
 * topic, checks the outcomes and the per-endpoint serialization, and prints one line
 * `BENCH_LOAD <json>` (a LoadResult). Exit code 0 even when a check fails: the parent judges.
 */
import type { ServiceBusMessageBatch } from "@azure/service-bus";
import { ServiceBusClient } from "@azure/service-bus";
import { createFlowdeployClient, deployRequestMessage, DEFAULT_QUEUE_NAME } from "../src/client";
import type { DeploymentNotification } from "../src/contracts";
import { startLocalStack } from "../src/local/localStack";
import { LOCAL_SUBSCRIPTIONS } from "../src/local/serviceBusTopology";
import { round } from "./measure";
import { deployRequest, T0 } from "./scenarios";

export interface LoadResult {
  requests: number;
  endpoints: number;
  /** Real seconds from the first send to the last notification received. */
  wallSeconds: number;
  /** Real seconds to start the stack (simulator certificate, broker, runner), not included in wallSeconds. */
  startupSeconds: number;
  /** Real seconds to send every request (message batches). */
  enqueueSeconds: number;
  /** Peak resident set size of the process (getrusage maxrss), MB. */
  peakRssMb: number;
  /** Highest RSS seen by sampling every 50 ms, MB. */
  sampledPeakRssMb: number;
  peakHeapUsedMb: number;
  allSucceeded: boolean;
  serializationHeld: boolean;
  finalTrafficCorrect: boolean;
  problems: string[];
  /** Simulated seconds from the first orchestration start to the last notification. */
  simulatedSeconds: number;
  runner: {
    episodes: number;
    replayedEvents: number;
    historyEvents: number;
    historyEventsPerInstanceMax: number;
    /** Real ms inside orchestrator invocations (replay CPU). */
    replayCpuMs: number;
    activityCalls: number;
    activityBusyMs: number;
    maxActivityMs: number;
    slowestActivity: string;
    activityBusyMsByName: Record<string, number>;
    entityOperations: number;
  };
  armCalls: number;
  broker: { received: number; delivered: number; completed: number; abandoned: number; deadLettered: number; errors: number };
  /** Process CPU seconds (user + system) over the run. */
  cpuSeconds: number;
}

async function runLoad(requests: number, endpoints: number): Promise<LoadResult> {
  let sampledPeak = 0;
  let heapPeak = 0;
  const sample = () => {
    const m = process.memoryUsage();
    sampledPeak = Math.max(sampledPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  };
  const sampler = setInterval(sample, 50);
  const cpuStart = process.cpuUsage();

  const startupStart = performance.now();
  const stack = await startLocalStack({ startAt: T0 });
  const stopTrigger = await stack.startQueueTrigger();
  const client = createFlowdeployClient({ connectionString: stack.serviceBusConnectionString });
  const startupSeconds = (performance.now() - startupStart) / 1000;

  // Request i goes to endpoint i % endpoints; its deployment is named after its position on that endpoint.
  const batch = Array.from({ length: requests }, (_, i) =>
    deployRequest({ requestId: `load-${requests}-${i}`, endpoint: `ep-${String(i % endpoints).padStart(3, "0")}`, deployment: `dep${Math.floor(i / endpoints) + 1}` }),
  );
  const got = new Map<string, DeploymentNotification>();
  let allIn!: () => void;
  const allReceived = new Promise<void>((r) => (allIn = r));
  const abort = new AbortController();
  await client.watch({ subscription: LOCAL_SUBSCRIPTIONS.all, signal: abort.signal }, (n) => {
    got.set(n.requestId ?? `(no request id ${got.size})`, n);
    if (got.size >= requests) allIn();
  });

  const wallStart = performance.now();
  const sb = new ServiceBusClient(stack.serviceBusConnectionString);
  const sender = sb.createSender(DEFAULT_QUEUE_NAME);
  let current: ServiceBusMessageBatch = await sender.createMessageBatch();
  for (const request of batch) {
    const message = deployRequestMessage(request);
    if (!current.tryAddMessage(message)) {
      await sender.sendMessages(current);
      current = await sender.createMessageBatch();
      if (!current.tryAddMessage(message)) throw new Error("a deploy request does not fit in an empty batch");
    }
  }
  if (current.count > 0) await sender.sendMessages(current);
  const enqueueSeconds = (performance.now() - wallStart) / 1000;

  const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(120_000, requests * 1000)).unref());
  const finished = await Promise.race([allReceived.then(() => "done" as const), timeout]);
  const wallSeconds = (performance.now() - wallStart) / 1000;
  sample();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuStart);

  const problems: string[] = [];
  if (finished === "timeout") problems.push(`only ${got.size} of ${requests} notifications within the time limit`);
  const notifications = [...got.values()];
  const failed = notifications.filter((n) => n.outcome !== "Succeeded");
  for (const n of failed.slice(0, 5)) problems.push(`${n.requestId}: ${n.outcome} ${n.error ? `${n.error.stage} ${n.error.code}: ${n.error.message}` : ""}`);
  const allSucceeded = finished === "done" && failed.length === 0 && notifications.length === requests;

  // Per endpoint: the critical sections (endpoint stage start → last stage end) must not overlap,
  // and the deployment of the last one must serve 100% of the endpoint's traffic.
  let serializationHeld = true;
  let finalTrafficCorrect = true;
  const state = stack.sim.state();
  const byEndpoint = new Map<string, DeploymentNotification[]>();
  for (const n of notifications) {
    const name = n.endpoint?.name ?? "(none)";
    byEndpoint.set(name, [...(byEndpoint.get(name) ?? []), n]);
  }
  for (const [endpoint, list] of byEndpoint) {
    const spans = list
      .map((n) => ({
        deployment: n.deployment?.name ?? "(none)",
        from: Date.parse(n.stages.find((s) => s.name === "endpoint")?.startedAt ?? n.startedAt),
        to: Math.max(...n.stages.map((s) => Date.parse(s.endedAt ?? n.endedAt))),
      }))
      .sort((a, b) => a.from - b.from);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i]!.from < spans[i - 1]!.to) {
        serializationHeld = false;
        problems.push(`${endpoint}: ${spans[i]!.deployment} started before ${spans[i - 1]!.deployment} finished`);
      }
    }
    const last = spans.at(-1)!;
    const traffic = state.endpoints.find((e) => e.name === endpoint)?.traffic ?? {};
    if (traffic[last.deployment] !== 100 || Object.values(traffic).reduce((a, b) => a + b, 0) !== 100) {
      finalTrafficCorrect = false;
      problems.push(`${endpoint}: traffic ${JSON.stringify(traffic)}, expected ${last.deployment} at 100`);
    }
  }
  const deploymentsCreated = stack.sim.requests({ operation: "onlineDeployments.createOrUpdate" }).length;
  if (deploymentsCreated !== requests) problems.push(`${deploymentsCreated} deployment creates for ${requests} requests`);

  const metrics = stack.runtime.metrics();
  let slowestActivity = "";
  const activityBusyMsByName: Record<string, number> = {};
  for (const [name, stats] of Object.entries(metrics.activities.byName)) {
    activityBusyMsByName[name] = round(stats.busyMs);
    if (stats.maxMs === metrics.activities.maxMs) slowestActivity = name;
  }
  const historyMax = Math.max(...stack.runtime.listInstances().map((r) => stack.runtime.instanceMetrics(r.instanceId).historyEvents));
  const starts = notifications.map((n) => Date.parse(n.startedAt));
  const ends = notifications.map((n) => Date.parse(n.endedAt));
  const armCalls = Object.entries(stack.sim.requestCounts())
    .filter(([op]) => op !== "score" && op !== "swagger")
    .reduce((a, [, n]) => a + n, 0);
  const brokerStats = stack.broker.stats();

  abort.abort();
  await client.close();
  await sender.close();
  await sb.close();
  await stopTrigger();
  await stack.close();

  return {
    requests,
    endpoints,
    wallSeconds: round(wallSeconds, 2),
    startupSeconds: round(startupSeconds, 2),
    enqueueSeconds: round(enqueueSeconds, 3),
    peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1),
    sampledPeakRssMb: round(sampledPeak / 2 ** 20, 1),
    peakHeapUsedMb: round(heapPeak / 2 ** 20, 1),
    allSucceeded,
    serializationHeld,
    finalTrafficCorrect,
    problems,
    simulatedSeconds: notifications.length ? (Math.max(...ends) - Math.min(...starts)) / 1000 : 0,
    runner: {
      episodes: metrics.episodes,
      replayedEvents: metrics.replayedEvents,
      historyEvents: metrics.historyEvents,
      historyEventsPerInstanceMax: historyMax,
      replayCpuMs: round(metrics.episodeMs),
      activityCalls: metrics.activities.calls,
      activityBusyMs: round(metrics.activities.busyMs),
      maxActivityMs: round(metrics.activities.maxMs, 1),
      slowestActivity,
      activityBusyMsByName,
      entityOperations: metrics.entityOperations,
    },
    armCalls,
    broker: {
      received: brokerStats.received,
      delivered: brokerStats.delivered,
      completed: brokerStats.completed,
      abandoned: brokerStats.abandoned,
      deadLettered: brokerStats.deadLettered,
      errors: brokerStats.errors.length,
    },
    cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
  };
}

if (require.main === module) {
  const [requests, endpoints] = process.argv.slice(2).map(Number);
  if (!Number.isInteger(requests) || !Number.isInteger(endpoints) || requests! < 1 || endpoints! < 1) {
    console.error("usage: node --import tsx bench/load.ts <requests> <endpoints>");
    process.exit(2);
  }
  runLoad(requests!, endpoints!).then(
    (result) => {
      console.log(`BENCH_LOAD ${JSON.stringify(result)}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}
