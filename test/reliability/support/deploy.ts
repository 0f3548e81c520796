import { ServiceBusClient } from "@azure/service-bus";
import { DEFAULT_TOPIC_NAME } from "../../../src/client/connection";
import { parseNotification, type DeploymentNotification } from "../../../src/contracts";
import type { LocalStack } from "../../../src/local/localStack";
import { runLocalDeployment, type LocalRunOptions } from "../../../src/local/localRun";
import { LOCAL_SUBSCRIPTIONS } from "../../../src/local/serviceBusTopology";
import type { RequestLogEntry, SimulatorStateView } from "../../../src/local/simulator";
import { sampleRequest } from "../../support/samples";
import { recordArtifact, recordSecrets } from "./leaks";

/** Everything a reliability test inspects after one deployment through the whole local stack. */
export interface RecordedRun {
  /** The outcome the requester received (the first notification for the request id). */
  notification: DeploymentNotification;
  /** Every notification published on the topic during the run (drained from a subscription nobody else reads). */
  published: DeploymentNotification[];
  requests: RequestLogEntry[];
  counts: Record<string, number>;
  state: SimulatorStateView;
  /** Simulated seconds from the notification's startedAt to its endedAt. */
  simulatedSeconds: number;
  instances: number;
  wallMs: number;
  logs: string[];
}

/**
 * Timers fire late in the reliability suite, by up to 30 s, as they may on the Azure Storage backend
 * (a due timer waits for the next control-queue poll: maxQueuePollingInterval, default 30 s). Every
 * outcome must hold anyway; only exact timings may move.
 */
export const RELIABILITY_TIMER_LATENESS_SECONDS = 30;

/**
 * Runs one deployment end to end (queue → trigger → orchestration on the local runner → simulator →
 * topic) with the sample request unless told otherwise, records every artifact for the leak scan, and
 * closes the stack.
 */
export async function recordedDeploy(options: LocalRunOptions = {}, label = "run"): Promise<RecordedRun> {
  const logs: string[] = [];
  const started = Date.now();
  const result = await runLocalDeployment({
    request: sampleRequest(),
    ...options,
    runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS, ...options.runner },
    log: (line) => logs.push(line),
  });
  const { stack } = result;
  try {
    // The run's own outcome is among them once it is published.
    const mine = (n: DeploymentNotification) => n.outcome === result.notification.outcome && n.requestId === result.notification.requestId;
    const published = await drainNotifications(stack, { until: (all) => all.some(mine) });
    const run: RecordedRun = {
      notification: result.notification,
      published,
      requests: stack.sim.requests(),
      counts: stack.sim.requestCounts(),
      state: stack.sim.state(),
      simulatedSeconds: (Date.parse(result.notification.endedAt) - Date.parse(result.notification.startedAt)) / 1000,
      instances: stack.runtime.listInstances().length,
      wallMs: Date.now() - started,
      logs,
    };
    recordStack(stack, label);
    recordArtifact(`${label}: notifications`, published);
    recordArtifact(`${label}: logs`, logs.join("\n"));
    return run;
  } finally {
    await stack.close();
  }
}

/** Records a stack's secrets and what its runner holds (histories, custom status, outputs, failures). */
export function recordStack(stack: LocalStack, label: string): void {
  recordSecrets(stack.sim.secrets());
  for (const rec of stack.runtime.listInstances()) {
    recordArtifact(`${label}: instance ${rec.instanceId}`, rec);
    recordArtifact(`${label}: history ${rec.instanceId}`, stack.runtime.getHistory(rec.instanceId));
  }
}

/** What a test waits for: the notifications it expects, read until they are all there or the deadline passes. */
export interface DrainOptions {
  /** Done once this holds for everything read so far (e.g. three Succeeded). */
  until: (published: readonly DeploymentNotification[]) => boolean;
  /** Real milliseconds to wait for `until` before giving up (the assertions then report what came). */
  deadlineMs?: number;
  /** After `until` holds: one more receive of this long, so an extra (unexpected) notification shows too. */
  quietMs?: number;
}

/**
 * The notifications published, read from the `flowdeploy-cli` subscription (unfiltered; the local
 * run's own watcher reads `all`) until the expected ones arrived — never "until the first empty
 * receive", which a loaded machine ends too early — then one quiet receive for any extra.
 */
export async function drainNotifications(stack: LocalStack, options: DrainOptions): Promise<DeploymentNotification[]> {
  const { until, deadlineMs = 20_000, quietMs = 200 } = options;
  const sb = new ServiceBusClient(stack.serviceBusConnectionString);
  const receiver = sb.createReceiver(DEFAULT_TOPIC_NAME, LOCAL_SUBSCRIPTIONS.cli, { receiveMode: "receiveAndDelete" });
  const out: DeploymentNotification[] = [];
  const deadline = Date.now() + deadlineMs;
  try {
    for (let satisfied = false; ; ) {
      const wait = satisfied ? quietMs : Math.max(1, Math.min(1_000, deadline - Date.now()));
      const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: wait });
      if (satisfied && batch.length === 0) break;
      if (!satisfied && batch.length === 0 && Date.now() >= deadline) break;
      for (const m of batch) {
        const parsed = parseNotification(m.body);
        if (!parsed.ok) throw new Error(`a published notification does not match its contract: ${JSON.stringify(parsed.issues)}`);
        out.push(parsed.value);
      }
      if (!satisfied && until(out)) satisfied = true;
    }
  } finally {
    await receiver.close();
    await sb.close();
  }
  return out;
}

/** ARM calls only (the simulator also logs scoring calls). */
export const armCalls = (requests: readonly RequestLogEntry[]) => requests.filter((r) => r.operation !== "score" && r.operation !== "swagger");

/** Side effects that must never repeat: successful creates, counted from the request log. */
export function sideEffects(requests: readonly { operation: string; status: number }[]) {
  const ok = (op: string) => requests.filter((r) => r.operation === op && r.status > 0 && r.status < 300).length;
  const created = (op: string) => requests.filter((r) => r.operation === op && r.status === 201).length;
  return {
    roleAssignmentPuts: ok("roleAssignments.create"),
    roleAssignmentsCreated: created("roleAssignments.create"),
    modelVersionPuts: ok("modelVersions.createOrUpdate"),
    deploymentPuts: ok("onlineDeployments.createOrUpdate"),
    endpointPuts: ok("onlineEndpoints.createOrUpdate"),
  };
}
