import { describe, expect, it, beforeAll } from "vitest";
import { loadApp } from "../../src/local/appFunctions";
import type { HostHandler } from "../../src/local/runner";
import { flattenActions, history, HistoryBuilder, invokeOrchestrator } from "../../src/local/runner";
import { deployFlowInput } from "../../src/intake/startOnce";
import { parseDeployRequest } from "../../src/contracts";
import { sampleRequest } from "../support/samples";

/**
 * deployFlow one replay step at a time, through durable-functions' own engine (the handler the
 * Functions host would call): build the history the host would send, invoke, and assert the actions
 * the orchestrator emits at that step (the style of durable-js orchestrator-spec.ts).
 */
let handler: HostHandler;
beforeAll(async () => {
  handler = (await loadApp()).functions.orchestrations.get("deployFlow")!;
});
const parsed = parseDeployRequest(sampleRequest());
if (!parsed.ok) throw new Error("sample request is invalid");
const input = deployFlowInput(parsed.value, "queue");
const ws = parsed.value.workspace;

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

type Action = { actionType: number; functionName?: string; input?: unknown; fireAt?: string; lockRequestId?: string; lockSet?: { name: string; key: string }[] };

/** Drives the orchestrator like the host: each step appends what it scheduled, then the next completion. */
function driver() {
  const h = new HistoryBuilder().start(at(0), "deployFlow", JSON.stringify(input));
  let seen = 0;
  let nextId = 0;
  let now = 0;
  const ids = new Map<string, number>();
  let lockRequest = "";
  return {
    /** The endpoint lock entity grants the critical section (an EventRaised under the request id). */
    grantLock() {
      h.episode(at(now), history.eventRaised(lockRequest, at(now), JSON.stringify({ result: null })));
    },
    /** Runs one episode and returns the actions it added; records them as the host would. */
    async step(): Promise<Action[]> {
      const result = await invokeOrchestrator(handler, { history: h.build(), input, instanceId: "deploy-test" });
      if (result.error) throw new Error(result.error);
      const all = flattenActions(result.actions) as Action[];
      // The cancel event raced against every wait (WaitForExternalEvent) is not host work: no history, no task id.
      const fresh = all.slice(seen).filter((a) => a.actionType !== WAIT_FOR_EXTERNAL_EVENT);
      seen = all.length;
      for (const a of fresh) {
        const id = nextId++;
        if (a.actionType === LOCK_ENTITIES) {
          const lockId = a.lockRequestId ?? `lock-${id}`;
          h.scheduled(history.eventSent(id, at(now), `@${a.lockSet![0]!.name}@${a.lockSet![0]!.key}`, "op", JSON.stringify({ id: lockId })));
          ids.set("lock", id);
          lockRequest = lockId;
        } else if (a.actionType === 5) {
          h.scheduled(history.timerCreated(id, at(now), a.fireAt!));
          ids.set(`timer`, id);
        } else {
          h.scheduled(history.taskScheduled(id, at(now), a.functionName!, JSON.stringify(a.input)));
          ids.set(a.functionName!, id);
        }
      }
      return fresh;
    },
    complete(name: string, result: unknown, atSeconds = now) {
      now = atSeconds;
      h.episode(at(now), history.taskCompleted(ids.get(name)!, at(now), JSON.stringify(result)));
    },
    fire(fireAt: string) {
      now = (Date.parse(fireAt) - T0) / 1000;
      h.episode(at(now), history.timerFired(ids.get("timer")!, at(now), fireAt));
    },
  };
}

const CALL_ACTIVITY = 0;
const CREATE_TIMER = 5;
const WAIT_FOR_EXTERNAL_EVENT = 6;
const LOCK_ENTITIES = 13;

/** Every run starts by taking the endpoint's lock; the tests below continue from the grant. */
async function lockedDriver() {
  const d = driver();
  const first = await d.step();
  expect(first).toEqual([expect.objectContaining({ actionType: LOCK_ENTITIES, lockSet: [{ name: "endpointLock", key: "00000000-1111-2222-3333-444444444444:rg-promptflow:ws-promptflow:web-classify" }] })]);
  d.grantLock();
  // The cancel checkpoint: a wait due at once, raced against a cancel that arrived while queued.
  expect(await d.step()).toEqual([expect.objectContaining({ actionType: CREATE_TIMER, fireAt: at(0) })]);
  d.fire(at(0));
  return d;
}

describe("deployFlow, step by step", () => {
  it("polls on durable timers, grants as soon as the principal exists, and never smoke-tests before grant + 16 minutes", async () => {
    const d = await lockedDriver();
    expect(await d.step()).toEqual([expect.objectContaining({ actionType: CALL_ACTIVITY, functionName: "ensureEndpoint", input: expect.objectContaining({ workspace: ws }) })]);

    d.complete("ensureEndpoint", { existed: false, provisioningState: "Creating", operationUrl: "https://op/1", retryAfterSeconds: null, traffic: {} });
    // No Retry-After: the endpoint poll policy's first look after 30 s.
    expect(await d.step()).toEqual([expect.objectContaining({ actionType: CREATE_TIMER, fireAt: at(30) })]);

    d.fire(at(30));
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "getEndpointState", input: expect.objectContaining({ operationUrl: "https://op/1" }) })]);

    d.complete("getEndpointState", { provisioningState: "Succeeded", principalId: "p-1", scoringUri: "https://s/score", traffic: {}, error: null }, 31);
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "grantEndpointRoles", input: { workspace: ws, identityType: "SystemAssigned", principalId: "p-1", _run: { instanceId: "deploy-test", stage: "roles", requestId: "web-classification-2026-11-23-001", endpoint: "web-classify" } } })]);

    d.complete("grantEndpointRoles", { assignments: [], grantedAt: at(31) }, 32);
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "registerModel" })]);

    d.complete("registerModel", { name: "web-classification", version: "1", id: "/models/web-classification/versions/1", created: true });
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "startDeployment", input: expect.objectContaining({ modelId: "/models/web-classification/versions/1" }) })]);

    d.complete("startDeployment", { provisioningState: "Creating", operationUrl: "https://op/2", retryAfterSeconds: 60 });
    // Before the propagation deadline a ready deployment could not be tested anyway: the idle
    // interval (480 s) applies, longer than the PUT's Retry-After (60 s).
    expect(await d.step()).toEqual([expect.objectContaining({ actionType: CREATE_TIMER, fireAt: at(32 + 480) })]);

    d.fire(at(512));
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "getDeploymentState" })]);

    // The deployment is ready long before the propagation deadline (a fast 5-minute deployment).
    d.complete("getDeploymentState", { provisioningState: "Succeeded", error: null, logsTail: null }, 513);
    const wait = await d.step();
    expect(wait).toEqual([expect.objectContaining({ actionType: CREATE_TIMER })]);
    expect(Date.parse(wait[0]!.fireAt!) - Date.parse(at(31))).toBe(16 * 60_000);

    d.fire(wait[0]!.fireAt!);
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "smokeTest", input: expect.objectContaining({ deploymentName: "green", authMode: "key" }) })]);
  });

  it("does not wait again when the deployment was ready after the deadline", async () => {
    const d = await lockedDriver();
    await d.step();
    d.complete("ensureEndpoint", { existed: true, provisioningState: "Succeeded", operationUrl: null, retryAfterSeconds: null, traffic: { blue: 100 } });
    // An existing, ready endpoint is read at once, without a timer.
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "getEndpointState" })]);
    d.complete("getEndpointState", { provisioningState: "Succeeded", principalId: "p-1", scoringUri: "https://s/score", traffic: { blue: 100 }, error: null });
    await d.step();
    d.complete("grantEndpointRoles", { assignments: [], grantedAt: at(0) });
    await d.step();
    d.complete("registerModel", { name: "m", version: "1", id: "/m/1", created: true });
    await d.step();
    d.complete("startDeployment", { provisioningState: "Creating", operationUrl: null, retryAfterSeconds: null });
    const poll = await d.step();
    d.fire(poll[0]!.fireAt!);
    await d.step();
    d.complete("getDeploymentState", { provisioningState: "Succeeded", error: null, logsTail: null }, 20 * 60);
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "smokeTest" })]);
  });

  it("fails the deployment stage on a failed provisioning, removes the new deployment, and notifies", async () => {
    const d = await lockedDriver();
    await d.step();
    d.complete("ensureEndpoint", { existed: true, provisioningState: "Succeeded", operationUrl: null, retryAfterSeconds: null, traffic: { blue: 100 } });
    await d.step();
    d.complete("getEndpointState", { provisioningState: "Succeeded", principalId: "p-1", scoringUri: "https://s/score", traffic: { blue: 100 }, error: null });
    await d.step();
    d.complete("grantEndpointRoles", { assignments: [], grantedAt: at(0) });
    await d.step();
    d.complete("registerModel", { name: "m", version: "1", id: "/m/1", created: true });
    await d.step();
    d.complete("startDeployment", { provisioningState: "Creating", operationUrl: "https://op/2", retryAfterSeconds: null });
    d.fire((await d.step())[0]!.fireAt!);
    await d.step();
    d.complete("getDeploymentState", { provisioningState: "Failed", error: { code: "OutOfQuota", message: "no quota" }, logsTail: null });
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "deleteDeployment", input: expect.objectContaining({ deploymentName: "green" }) })]);
    d.complete("deleteDeployment", { existed: true, operationUrl: null, retryAfterSeconds: null });
    expect(await d.step()).toEqual([expect.objectContaining({ functionName: "getEndpointState" })]);
    d.complete("getEndpointState", { provisioningState: "Succeeded", principalId: "p-1", scoringUri: "https://s/score", traffic: { blue: 100 }, error: null });
    const notify = await d.step();
    expect(notify).toEqual([expect.objectContaining({ functionName: "notify" })]);
    expect(notify[0]!.input).toMatchObject({ outcome: "Failed", traffic: { blue: 100 }, error: { stage: "deployment", code: "OutOfQuota", message: "no quota" } });
  });
});
