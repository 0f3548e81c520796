import { HttpRequest, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as df from "durable-functions";
import { afterEach, describe, expect, it } from "vitest";
import type { DeploymentNotification } from "../../src/contracts";
import { instanceIdFor } from "../../src/domain/ids";
import { admitEvent, admitRequest, type IntakeDeps } from "../../src/intake/intake";
import { LOCAL_INTAKE_POLICY } from "../../src/intake/policy";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../src/local/localStack";
import { runLocalDeployment } from "../../src/local/localRun";
import { drainNotifications } from "../reliability/support/deploy";
import { repoRoot, sampleRequest } from "../support/samples";

/**
 * First contact with the real host (issue 11): what the strict runner refuses or withholds, and the
 * product's answer to each — a lock that cannot be taken, two starts racing, cancel, a dead holder's
 * lock, failures without exception properties.
 */
let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const BLUE_LIVE = { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] };

/** A stack whose runner is driven by the test (no background loop), so it can act mid-deployment. */
async function steppedStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  stack = await startLocalStack({ startAt: new Date("2026-11-23T10:00:00.000Z"), ...options });
  await stack.runtime.stop();
  return stack;
}

function request(requestId: string, overrides: (r: Record<string, any>) => void = () => undefined): Record<string, any> {
  const r = sampleRequest();
  r.requestId = requestId;
  overrides(r);
  return r;
}

const context = (name: string) => new InvocationContext({ functionName: name, logHandler: () => undefined });
const post = (path: string, body = "", params: Record<string, string> = {}) =>
  new HttpRequest({ url: `http://localhost:7071${path}`, method: "POST", params, ...(body ? { body: { string: body } } : {}) });

async function startHttp(s: LocalStack, body: Record<string, any>): Promise<HttpResponseInit> {
  return s.app.handlers.startDeploymentHttp(post("/api/deployments", JSON.stringify(body)), s.client, context("startDeploymentHttp"));
}

async function cancelHttp(s: LocalStack, instanceId: string, reason?: string): Promise<HttpResponseInit> {
  return s.app.handlers.cancelDeploymentHttp(post(`/api/deployments/${instanceId}/cancel`, reason ? JSON.stringify({ reason }) : "", { instanceId }), s.client, context("cancelDeploymentHttp"));
}

async function releaseLockHttp(s: LocalStack, instanceId: string): Promise<HttpResponseInit> {
  return s.app.handlers.releaseLockHttp(post(`/api/deployments/${instanceId}/release-lock`, "", { instanceId }), s.client, context("releaseLockHttp"));
}

const later = (s: LocalStack, seconds: number) => new Date(s.clock.now().getTime() + seconds * 1000);
const output = (s: LocalStack, id: string) => JSON.parse(s.runtime.getInstance(id)!.outputJson ?? "null") as DeploymentNotification;
const endpoint = (s: LocalStack) => s.sim.state().endpoints.find((e) => e.name === "web-classify")!;

describe("a lock that cannot be taken", () => {
  it("on an extension without replay schema V4, the run ends in a Failed notification instead of staying queued", async () => {
    const result = await runLocalDeployment({ request: sampleRequest(), runner: { replaySchema: "V3" } });
    stack = result.stack;
    expect(result.notification).toMatchObject({ outcome: "Failed", error: { stage: "request", code: "LockUnavailable" } });
    expect(result.notification.error!.message).toMatch(/lock requires a Durable Functions extension that supports OOProc schema V4/);
    const id = instanceIdFor(sampleRequest().requestId);
    expect(stack.runtime.getInstance(id)).toMatchObject({ runtimeStatus: "Completed" });
    expect(JSON.parse(stack.runtime.getInstance(id)!.exec.customStatusJson!)).toMatchObject({ stage: "done", outcome: "Failed" });
    // Nothing was touched in Azure.
    expect(stack.sim.requests().filter((r) => r.method !== "GET")).toEqual([]);
  });
});

describe("two starts of one request id at the same moment", () => {
  /** A Durable client whose first two getStatus calls answer only once both were asked: both callers see "no instance". */
  function racingClient(s: LocalStack): df.DurableClient {
    const waiting: Array<() => void> = [];
    let calls = 0;
    const barrier = () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 2) for (const w of waiting) w();
      });
    return new Proxy(s.client, {
      get(target, prop, receiver) {
        if (prop === "getStatus") {
          return async (id: string) => {
            if (calls++ < 2) await barrier();
            return target.getStatus(id);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as unknown as df.DurableClient;
  }

  const intakeDeps = (s: LocalStack, client: df.DurableClient, rejected: unknown[]): IntakeDeps => ({
    client,
    policy: LOCAL_INTAKE_POLICY,
    publishRejected: async (n) => void rejected.push(n),
    clock: s.clock,
    log: () => undefined,
  });

  it("queue: one orchestration starts, the other delivery is a duplicate (no throw, so no redelivery)", async () => {
    const s = await steppedStack();
    const rejected: unknown[] = [];
    const body = request("race-queue");
    const deps = intakeDeps(s, racingClient(s), rejected);
    const results = await Promise.all([admitRequest(body, "queue:m1", "queue", deps, { publishRejection: true }), admitRequest(body, "queue:m2", "queue", deps, { publishRejection: true })]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["duplicate", "started"]);
    expect(s.runtime.listInstances().map((r) => r.instanceId)).toEqual([instanceIdFor("race-queue")]);
    expect(rejected).toEqual([]);
  });

  it("Event Grid: the same event delivered twice at once starts one orchestration, and neither delivery throws", async () => {
    const s = await steppedStack();
    const rejected: unknown[] = [];
    const event = JSON.parse(readFileSync(join(repoRoot, "samples", "bulk-test-passed.event.json"), "utf8")) as unknown;
    const deps = intakeDeps(s, racingClient(s), rejected);
    const results = await Promise.all([admitEvent(event, deps), admitEvent(event, deps)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["duplicate", "started"]);
    expect(s.runtime.listInstances()).toHaveLength(1);
    expect(rejected).toEqual([]);
  });

  it("HTTP: both callers get 202 naming the one running instance, never a 500", async () => {
    const s = await steppedStack();
    const body = request("race-http");
    const client = racingClient(s);
    const call = () => s.app.handlers.startDeploymentHttp(post("/api/deployments", JSON.stringify(body)), client, context("startDeploymentHttp"));
    const [a, b] = await Promise.all([call(), call()]);
    const id = instanceIdFor("race-http");
    for (const r of [a, b]) {
      expect(r.status).toBe(202);
      expect(r.jsonBody).toMatchObject({ id });
    }
    expect(s.runtime.listInstances()).toHaveLength(1);
  });
});

describe("cancel", () => {
  it("mid-deployment: the new deployment is removed, live traffic stays on blue, a Cancelled notification goes out, and the next request proceeds", async () => {
    const s = await steppedStack({ scenario: BLUE_LIVE });
    const first = request("cancel-me");
    expect((await startHttp(s, first)).status).toBe(202);
    const id = instanceIdFor("cancel-me");
    // 5 simulated minutes in: the deployment is provisioning (it takes 12).
    await s.runtime.runUntilIdle({ advanceClockUntil: later(s, 300) });
    expect(JSON.parse(s.runtime.getInstance(id)!.exec.customStatusJson!)).toMatchObject({ stage: "deployment" });
    expect(endpoint(s).deployments.map((d) => d.name).sort()).toEqual(["blue", "green"]);

    const answer = await cancelHttp(s, id, "wrong flow version");
    expect(answer).toMatchObject({ status: 202, jsonBody: { instanceId: id, cancel: "requested", stage: "deployment" } });
    await s.runtime.runUntilIdle();

    const n = output(s, id);
    expect(n).toMatchObject({ outcome: "Cancelled", error: { stage: "deployment", code: "Cancelled", message: "wrong flow version" }, traffic: { blue: 100 } });
    expect(n.stages.find((st) => st.name === "deployment")?.outcome).toBe("Cancelled");
    expect(n.stages.map((st) => st.name)).not.toContain("traffic");
    expect(endpoint(s).traffic).toEqual({ blue: 100 });
    // The cancelled deployment is being deleted (DELETE accepted; Azure finishes it in the background).
    expect(s.sim.requests().filter((r) => r.operation === "onlineDeployments.delete").map((r) => [r.path.split("/").pop(), r.status])).toEqual([["green", 202]]);
    s.clock.advanceTo!(later(s, 1800));
    expect(endpoint(s).deployments.map((d) => d.name)).toEqual(["blue"]);
    // Traffic never moved and the endpoint was reused: not one endpoint write.
    expect(s.sim.requests().filter((r) => r.operation === "onlineEndpoints.update" || r.operation === "onlineEndpoints.createOrUpdate").map((r) => r.operation)).toEqual([]);
    const published = await drainNotifications(s, { until: (all) => all.some((p) => p.requestId === "cancel-me") });
    expect(published.filter((p) => p.requestId === "cancel-me").map((p) => p.outcome)).toEqual(["Cancelled"]);

    // The lock was released: the next request for the endpoint runs to completion.
    expect((await startHttp(s, request("after-cancel"))).status).toBe(202);
    await s.runtime.runUntilIdle();
    expect(output(s, instanceIdFor("after-cancel"))).toMatchObject({ outcome: "Succeeded", traffic: { green: 100, blue: 0 } });
  });

  it("during the propagation wait: the notification names the propagation stage, and the ready deployment is deleted at once", async () => {
    // A deployment ready in 5 minutes is seen by the idle poll at ~580 s, long before the deadline (~1050 s).
    const s = await steppedStack({ scenario: { latency: { deploymentSeconds: 300 } } });
    await startHttp(s, request("cancel-in-wait"));
    const id = instanceIdFor("cancel-in-wait");
    await s.runtime.runUntilIdle({ advanceClockUntil: later(s, 930) });
    expect(JSON.parse(s.runtime.getInstance(id)!.exec.customStatusJson!)).toMatchObject({ stage: "propagation" });
    expect(await cancelHttp(s, id)).toMatchObject({ status: 202, jsonBody: { stage: "propagation" } });
    const before = s.sim.requests().length;
    await s.runtime.runUntilIdle();
    const n = output(s, id);
    expect(n).toMatchObject({ outcome: "Cancelled", error: { stage: "propagation", code: "Cancelled" }, traffic: {} });
    expect(n.stages.find((st) => st.name === "propagation")).toMatchObject({ outcome: "Cancelled", endedAt: expect.any(String) });
    expect(n.stages.every((st) => st.endedAt !== null)).toBe(true);
    // No settling poll first: the deployment had finished, so the delete activity (its managed-tag
    // read, then the DELETE) makes the next deployment calls.
    const after = s.sim.requests().slice(before).filter((r) => r.operation.startsWith("onlineDeployments."));
    expect(after.map((r) => [r.operation, r.status]).slice(0, 2)).toEqual([
      ["onlineDeployments.get", 200],
      ["onlineDeployments.delete", 202],
    ]);
  });

  it("with rollout.onFailure keep, the cancelled deployment stays at 0%", async () => {
    const s = await steppedStack({ scenario: BLUE_LIVE });
    await startHttp(s, request("cancel-keep", (r) => (r.rollout.onFailure = "keep")));
    const id = instanceIdFor("cancel-keep");
    await s.runtime.runUntilIdle({ advanceClockUntil: later(s, 300) });
    expect((await cancelHttp(s, id)).status).toBe(202);
    await s.runtime.runUntilIdle();
    expect(output(s, id)).toMatchObject({ outcome: "Cancelled", error: { code: "Cancelled", message: "cancelled by an operator" } });
    expect(endpoint(s).traffic).toEqual({ blue: 100 });
    expect(endpoint(s).deployments.map((d) => d.name).sort()).toEqual(["blue", "green"]);
    expect(s.sim.requests().some((r) => r.operation === "onlineDeployments.delete")).toBe(false);
  });

  it("while queued behind another deployment: nothing is created, the first one is not disturbed", async () => {
    const s = await steppedStack();
    await startHttp(s, request("runs-first"));
    await startHttp(s, request("queued-second", (r) => (r.deployment.name = "blue")));
    await s.runtime.runUntilIdle({ advanceClockUntil: later(s, 60) });
    const second = instanceIdFor("queued-second");
    expect(JSON.parse(s.runtime.getInstance(second)!.exec.customStatusJson!)).toMatchObject({ stage: "queued" });
    expect((await cancelHttp(s, second, "superseded")).status).toBe(202);
    await s.runtime.runUntilIdle();
    expect(output(s, second)).toMatchObject({ outcome: "Cancelled", stages: [], error: { stage: "request", code: "Cancelled", message: "superseded" } });
    expect(output(s, instanceIdFor("runs-first"))).toMatchObject({ outcome: "Succeeded", traffic: { green: 100 } });
    expect(endpoint(s).deployments.map((d) => d.name)).toEqual(["green"]);
  });

  it("refuses what cannot be cancelled: unknown (404), finished (409), bad id or body (400)", async () => {
    const s = await steppedStack();
    expect((await cancelHttp(s, "deploy-0000")).status).toBe(404);
    await startHttp(s, request("done-already"));
    await s.runtime.runUntilIdle();
    const done = await cancelHttp(s, instanceIdFor("done-already"));
    expect(done).toMatchObject({ status: 409, jsonBody: { errors: [expect.stringContaining("is Completed: nothing to cancel")] } });
    const bad = await s.app.handlers.cancelDeploymentHttp(post("/api/deployments/x/cancel", '{"reason": 5}', { instanceId: "deploy-1" }), s.client, context("c"));
    expect(bad).toMatchObject({ status: 400, jsonBody: { errors: [expect.stringMatching(/^reason: /)] } });
    const unknownField = await s.app.handlers.cancelDeploymentHttp(post("/api/deployments/x/cancel", '{"why": "x"}', { instanceId: "deploy-1" }), s.client, context("c"));
    expect(unknownField).toMatchObject({ status: 400, jsonBody: { errors: [expect.stringMatching(/^why: unknown field/)] } });
    expect((await s.app.handlers.cancelDeploymentHttp(post("/api/deployments/x/cancel", "", { instanceId: "../x" }), s.client, context("c"))).status).toBe(400);
  });
});

describe("a notification that cannot be sent", () => {
  it("still ends the run normally, so the endpoint's lock is released and the next request proceeds", async () => {
    const s = await steppedStack();
    const publish = s.publisher.publish.bind(s.publisher);
    s.publisher.publish = async () => {
      throw new Error("topic deleted by someone");
    };
    await startHttp(s, request("unnotified"));
    await s.runtime.runUntilIdle();
    const id = instanceIdFor("unnotified");
    expect(s.runtime.getInstance(id)).toMatchObject({ runtimeStatus: "Completed" });
    expect(output(s, id).outcome).toBe("Succeeded");
    expect(JSON.parse(s.runtime.getInstance(id)!.exec.customStatusJson!)).toMatchObject({ stage: "done", notification: "failed" });
    s.publisher.publish = publish;
    await startHttp(s, request("after-unnotified", (r) => (r.deployment.name = "blue")));
    await s.runtime.runUntilIdle();
    expect(output(s, instanceIdFor("after-unnotified"))).toMatchObject({ outcome: "Succeeded" });
    expect(JSON.parse(s.runtime.getInstance(instanceIdFor("after-unnotified"))!.exec.customStatusJson!)).toMatchObject({ notification: "sent" });
  });
});

describe("a lock whose holder no longer runs", () => {
  it("a terminated deployment keeps the endpoint locked; release-lock refuses while it runs, then frees it and the queued request proceeds", async () => {
    const s = await steppedStack();
    await startHttp(s, request("will-be-terminated"));
    const dead = instanceIdFor("will-be-terminated");
    await s.runtime.runUntilIdle({ advanceClockUntil: later(s, 120) });
    expect(await releaseLockHttp(s, dead)).toMatchObject({ status: 409, jsonBody: { errors: [expect.stringContaining("is Running: it still holds its lock")] } });

    // Someone terminates it through the Durable management API (flowdeploy never does).
    await s.client.terminate(dead, "terminated from the portal");
    await startHttp(s, request("waits-behind", (r) => (r.deployment.name = "blue")));
    await s.runtime.runUntilIdle();
    const waiting = instanceIdFor("waits-behind");
    expect(s.runtime.getInstance(waiting)).toMatchObject({ runtimeStatus: "Running" });
    expect(JSON.parse(s.runtime.getInstance(waiting)!.exec.customStatusJson!)).toMatchObject({ stage: "queued" });

    expect(await releaseLockHttp(s, dead)).toMatchObject({ status: 202, jsonBody: { lock: "releasing", endpoint: "web-classify" } });
    await s.runtime.runUntilIdle();
    expect(output(s, waiting)).toMatchObject({ outcome: "Succeeded" });
    expect(await releaseLockHttp(s, dead)).toMatchObject({ status: 200, jsonBody: { lock: "released" } });
    // The dead holder's record now tells what happened to it.
    expect(JSON.parse(s.runtime.getInstance(dead)!.outputJson!)).toMatchObject({ endpointName: "web-classify", previous: { requestId: "will-be-terminated", runtimeStatus: "Terminated" } });
  });

  it("a deployment terminated while queued: release-lock waits for the live holder, then frees the lock the dead request was granted", async () => {
    const s = await steppedStack();
    await startHttp(s, request("holder-y"));
    await startHttp(s, request("queued-x", (r) => (r.deployment.name = "blue")));
    await startHttp(s, request("queued-z", (r) => (r.deployment.name = "teal")));
    await s.runtime.runUntilIdle({ advanceClockUntil: later(s, 60) });
    const x = instanceIdFor("queued-x");
    await s.client.terminate(x, "terminated while queued");
    // Y holds the lock, not X: a release started now would queue behind Z and never be served.
    expect(await releaseLockHttp(s, x)).toMatchObject({ status: 409, jsonBody: { errors: [expect.stringContaining(`held by running deployment ${instanceIdFor("holder-y")}`)] } });
    await s.runtime.runUntilIdle();
    // Y finished; X's old request was granted to a dead execution: Z waits behind an orphaned lock.
    expect(output(s, instanceIdFor("holder-y")).outcome).toBe("Succeeded");
    expect(JSON.parse(s.runtime.getInstance(instanceIdFor("queued-z"))!.exec.customStatusJson!)).toMatchObject({ stage: "queued" });
    expect(s.runtime.lockHolder("@endpointlock@00000000-1111-2222-3333-444444444444:rg-promptflow:ws-promptflow:web-classify")).toMatchObject({ instanceId: x, running: false });
    expect((await releaseLockHttp(s, x)).status).toBe(202);
    await s.runtime.runUntilIdle();
    expect(output(s, instanceIdFor("queued-z"))).toMatchObject({ outcome: "Succeeded", traffic: { teal: 100 } });
  });

  it("release-lock refuses a deployment that completed (its lock is free) and an unknown id", async () => {
    const s = await steppedStack();
    await startHttp(s, request("completed-normally"));
    await s.runtime.runUntilIdle();
    expect(await releaseLockHttp(s, instanceIdFor("completed-normally"))).toMatchObject({ status: 409, jsonBody: { errors: [expect.stringContaining("released its lock when it finished")] } });
    expect((await releaseLockHttp(s, "deploy-0000")).status).toBe(404);
  });
});

describe("an extension without exception properties", () => {
  it("still retries transient failures: the payload left in the message, or the HTTP status, decides", async () => {
    // Six 503s: the Azure SDK's own retries absorb four, then the activity fails and the orchestrator retries it.
    const faults = [{ op: "onlineDeployments.createOrUpdate", status: 503, times: 6, retryAfterSeconds: 0 }];
    const result = await runLocalDeployment({ request: sampleRequest(), scenario: { faults }, runner: { exceptionProperties: false } });
    stack = result.stack;
    expect(result.notification.outcome).toBe("Succeeded");
    expect(stack.sim.requests().filter((r) => r.operation === "onlineDeployments.createOrUpdate" && r.status === 503)).toHaveLength(6);
    // The failures really lacked properties: the runner recorded them without.
    const history = stack.runtime.getHistory(instanceIdFor(sampleRequest().requestId));
    const failed = history.filter((e) => e.FailureDetails);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.every((e) => e.FailureDetails!.Properties === undefined)).toBe(true);
  });
});
