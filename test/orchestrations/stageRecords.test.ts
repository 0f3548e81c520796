import { HttpRequest } from "@azure/functions";
import type * as df from "durable-functions";
import { afterEach, describe, expect, it } from "vitest";
import type { DeploymentNotification, StageRecord } from "../../src/contracts/notification";
import type { DeployFlowStatus } from "../../src/contracts/orchestration";
import { parseDeployRequest } from "../../src/contracts";
import { CANCEL_EVENT, instanceIdFor } from "../../src/domain/ids";
import { deployFlowInput } from "../../src/intake/startOnce";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../src/local/localStack";
import type { StageProgress } from "../../src/local/localRun";
import { RunRecord } from "../../orchestrations/runRecord";
import { StageFailure } from "../../orchestrations/failures";
import type { Step } from "../../orchestrations/steps";
import { deploy, t } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 14, "Honest stage records": each record says what happened to its stage — Running,
 * Succeeded, Failed, Skipped or Cancelled — with its real start and end, the records (and the lines
 * `flowdeploy local` prints from them) come in time order, and a propagation wait counted from an
 * earlier run's grant says so. Real runs: request → local runner → activities → simulator.
 */
let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const T0 = new Date("2026-11-23T10:00:00.000Z");
const BLUE_LIVE = { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] };
const ROLES_REFUSED = { faults: [{ op: "roleAssignments.create" as const, status: 403, times: -1 as const }] };

const find = (stages: readonly StageRecord[], name: string) => stages.find((s) => s.name === name);
const named = (stages: readonly StageRecord[], name: string): StageRecord => {
  const s = find(stages, name);
  if (!s) throw new Error(`no ${name} record in ${stages.map((x) => x.name).join(", ")}`);
  return s;
};

/** Every record started no earlier than the one before it, ended no earlier than it started, and none is left open. */
function expectTimeOrderedAndClosed(n: DeploymentNotification): void {
  const starts = n.stages.map((s) => t(s.startedAt));
  expect(starts).toEqual([...starts].sort((a, b) => a - b));
  for (const s of n.stages) {
    expect(s.endedAt, `${s.name} endedAt`).not.toBeNull();
    expect(s.outcome, `${s.name} outcome`).not.toBe("Running");
    expect(t(s.endedAt!)).toBeGreaterThanOrEqual(t(s.startedAt));
    expect(t(s.startedAt)).toBeGreaterThanOrEqual(t(n.startedAt));
    expect(t(s.endedAt!)).toBeLessThanOrEqual(t(n.endedAt));
  }
}

/** A stack whose runner the test drives (no background loop), so it can read the status and act mid-run. */
async function steppedRun(requestId: string, options: LocalStackOptions = {}) {
  const s = await startLocalStack({ startAt: T0, ...options });
  stack = s;
  await s.runtime.stop();
  const body = sampleRequest();
  body.requestId = requestId;
  const parsed = parseDeployRequest(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const id = instanceIdFor(requestId);
  await s.client.startNew("deployFlow", { instanceId: id, input: deployFlowInput(parsed.value, "cli") });
  return { s, id };
}

const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const output = (s: LocalStack, id: string) => JSON.parse(s.runtime.getInstance(id)!.outputJson ?? "null") as DeploymentNotification;

/** The custom status as the status route answers it while the run goes on. */
async function statusRoute(s: LocalStack, id: string): Promise<DeployFlowStatus> {
  const res = await s.app.handlers.getDeploymentHttp(new HttpRequest({ url: `http://localhost:7071/api/deployments/${id}`, method: "GET", params: { instanceId: id } }), s.client);
  expect(res.status).toBe(200);
  const body = res.jsonBody as { runtimeStatus: string; customStatus: DeployFlowStatus };
  expect(body.runtimeStatus).toBe("Running");
  return body.customStatus;
}

describe("a roles failure", () => {
  it("leaves the endpoint stage Succeeded (it was ready), fails roles, opens nothing after, and prints the lines in time order", async () => {
    const lines: StageProgress[] = [];
    const run = await deploy({ scenario: ROLES_REFUSED, onProgress: (p) => lines.push(p) });
    const n = run.notification;
    expect(n).toMatchObject({ outcome: "Failed", error: { stage: "roles" } });
    // The endpoint was created (default latency 90 s) before the grant was refused.
    expect(run.state.endpoints.find((e) => e.name === "web-classify")?.provisioningState).toBe("Succeeded");
    const endpoint = named(n.stages, "endpoint");
    expect(endpoint.outcome).toBe("Succeeded");
    expect(endpoint.endedAt).not.toBeNull();
    expect((t(endpoint.endedAt!) - t(endpoint.startedAt)) / 1000).toBe(90);
    const roles = named(n.stages, "roles");
    expect(roles.outcome).toBe("Failed");
    // Roles followed the endpoint stage; it did not run inside it.
    expect(t(roles.startedAt)).toBeGreaterThanOrEqual(t(endpoint.endedAt!));
    expect(n.stages.map((s) => s.name)).toEqual(["endpoint", "roles"]);
    expectTimeOrderedAndClosed(n);

    // What `flowdeploy local` prints: the endpoint succeeded, then roles started and failed.
    expect(lines.map((l) => `${l.stage} ${l.event}`)).toEqual(["endpoint started", "endpoint succeeded", "roles started", "roles failed"]);
    expect(lines.find((l) => l.stage === "endpoint" && l.event === "succeeded")?.seconds).toBe(90);
    const times = lines.map((l) => t(l.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("on an existing endpoint, the endpoint stage is still Succeeded and roles Failed", async () => {
    const run = await deploy({ scenario: { ...BLUE_LIVE, ...ROLES_REFUSED, existing: [{ ...BLUE_LIVE.existing[0]!, grantConnectionSecretsReader: false }] } });
    const n = run.notification;
    expect(n).toMatchObject({ outcome: "Failed", error: { stage: "roles" }, traffic: { blue: 100 } });
    expect(n.stages.map((s) => [s.name, s.outcome])).toEqual([
      ["endpoint", "Succeeded"],
      ["roles", "Failed"],
    ]);
    expectTimeOrderedAndClosed(n);
  });
});

describe("a deployment failure", () => {
  it("ends the open propagation wait Skipped (not Succeeded) when the deployment fails, with an end", async () => {
    // A new endpoint: the roles are granted in this run, so the wait is still under way when the deployment fails.
    const run = await deploy({ scenario: { latency: { deploymentSeconds: 300 }, faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure" }] } });
    const n = run.notification;
    expect(n).toMatchObject({ outcome: "Failed", error: { stage: "deployment", code: "ImagePullFailure" } });
    const deployment = named(n.stages, "deployment");
    expect(deployment.outcome).toBe("Failed");
    const propagation = named(n.stages, "propagation");
    // The deadline (grant + 16 minutes) had not come when the deployment failed: the wait was cut short.
    expect(t(deployment.endedAt!)).toBeLessThan(t(named(n.stages, "roles").endedAt!) + 16 * 60_000);
    expect(propagation.outcome).toBe("Skipped");
    expect(propagation.endedAt).toBe(deployment.endedAt);
    // Stages that did their own work say so.
    expect(named(n.stages, "endpoint").outcome).toBe("Succeeded");
    expect(named(n.stages, "model").outcome).toBe("Succeeded");
    expect(find(n.stages, "smokeTest")).toBeUndefined();
    expect(find(n.stages, "traffic")).toBeUndefined();
    expectTimeOrderedAndClosed(n);
  });
});

describe("while the run goes on", () => {
  it("the status route shows the stage under way Running with endedAt null; a cancel during the propagation wait ends it Cancelled", async () => {
    // A deployment ready in 5 minutes is seen by the idle poll long before the propagation deadline (~1050 s).
    const { s, id } = await steppedRun("records-cancel", { scenario: { latency: { deploymentSeconds: 300 } } });
    await s.runtime.runUntilIdle({ advanceClockUntil: at(200) });
    const provisioning = await statusRoute(s, id);
    expect(provisioning.stage).toBe("deployment");
    expect(named(provisioning.stages, "deployment")).toMatchObject({ outcome: "Running", endedAt: null });
    expect(named(provisioning.stages, "propagation")).toMatchObject({ outcome: "Running", endedAt: null });
    expect(named(provisioning.stages, "endpoint")).toMatchObject({ outcome: "Succeeded", endedAt: expect.any(String) });

    await s.runtime.runUntilIdle({ advanceClockUntil: at(930) });
    const waiting = await statusRoute(s, id);
    expect(waiting.stage).toBe("propagation");
    expect(named(waiting.stages, "propagation")).toMatchObject({ outcome: "Running", endedAt: null });
    expect(named(waiting.stages, "deployment")).toMatchObject({ outcome: "Succeeded", endedAt: expect.any(String) });

    await s.client.raiseEvent(id, CANCEL_EVENT, { reason: "wrong flow" });
    await s.runtime.runUntilIdle();
    const n = output(s, id);
    expect(n).toMatchObject({ outcome: "Cancelled", error: { stage: "propagation", code: "Cancelled" } });
    const propagation = named(n.stages, "propagation");
    expect(propagation.outcome).toBe("Cancelled");
    expect(t(propagation.endedAt!)).toBeGreaterThanOrEqual(at(930).getTime());
    const deadline = (JSON.parse(s.runtime.getInstance(id)!.exec.customStatusJson!) as DeployFlowStatus).propagationDeadline;
    expect(t(propagation.endedAt!)).toBeLessThan(t(deadline!));
    // The deployment had finished its own work before the cancel.
    expect(named(n.stages, "deployment").outcome).toBe("Succeeded");
    expect(find(n.stages, "smokeTest")).toBeUndefined();
    expectTimeOrderedAndClosed(n);
  });
});

describe("roles granted by an earlier run", () => {
  it("the propagation wait starts in this run, with a note that it counts from the earlier grant", async () => {
    const lines: StageProgress[] = [];
    const run = await deploy({ scenario: BLUE_LIVE, onProgress: (p) => lines.push(p) });
    const n = run.notification;
    expect(n.outcome).toBe("Succeeded");
    const propagation = named(n.stages, "propagation");
    expect(propagation.note).toMatch(/^the roles were granted before this run \(last at (\S+)\); the wait counts from then$/);
    const earlier = /last at (\S+)\)/.exec(propagation.note!)![1]!;
    expect(t(earlier)).toBeLessThan(t(n.startedAt));
    expect(t(propagation.startedAt)).toBeGreaterThanOrEqual(t(n.startedAt));
    // Not the day since the earlier grant: the wait lasted no longer than this run.
    expect(t(propagation.endedAt!) - t(propagation.startedAt)).toBeLessThanOrEqual(t(n.endedAt) - t(n.startedAt));
    expect(propagation.outcome).toBe("Succeeded");
    expectTimeOrderedAndClosed(n);
    // The printed line carries the note.
    expect(lines.find((l) => l.stage === "propagation" && l.event === "started")?.note).toBe(propagation.note);
    const times = lines.map((l) => t(l.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("a grant made in this run has no note and starts at the grant", async () => {
    const run = await deploy();
    const n = run.notification;
    const propagation = named(n.stages, "propagation");
    expect(propagation.note).toBeUndefined();
    expect(propagation.startedAt).toBe(named(n.stages, "roles").endedAt);
    expectTimeOrderedAndClosed(n);
  });
});

describe("RunRecord", () => {
  /** A context with a clock the test moves, and the last custom status it published. */
  function fakeContext() {
    const clock = { now: new Date(T0) };
    const published: DeployFlowStatus[] = [];
    const ctx = {
      df: {
        get currentUtcDateTime() {
          return clock.now;
        },
        setCustomStatus: (s: DeployFlowStatus) => published.push(s),
        isReplaying: false,
      },
    } as unknown as df.OrchestrationContext;
    return { clock, published, ctx };
  }
  const request = () => {
    const parsed = parseDeployRequest(sampleRequest());
    if (!parsed.ok) throw new Error("sample request invalid");
    return parsed.value;
  };
  /** Runs a step to its end; each task it yields (a stand-in) completes at once. */
  function drive<T>(step: Step<T>): T {
    for (let r = step.next(); ; r = step.next()) if (r.done) return r.value;
  }
  /** A stand-in for a task that completes `seconds` after the run started (the clock moves to then). */
  const until = (clock: { now: Date }, seconds: number) => {
    clock.now = at(seconds);
    return {} as df.Task;
  };

  it("a stage cut short by a stage running inside it is Skipped; the failing one is Failed", () => {
    const { clock, ctx, published } = fakeContext();
    const record = new RunRecord(ctx, request());
    expect(() =>
      drive(
        record.stage("endpoint", function* () {
          yield until(clock, 40);
          yield* record.stage("roles", function* (): Step<void> {
            yield until(clock, 45);
            throw new StageFailure("roles", "AuthorizationFailed", "refused");
          });
        }),
      ),
    ).toThrow(StageFailure);
    expect(record.stages.map((s) => [s.name, s.outcome, s.startedAt, s.endedAt])).toEqual([
      ["endpoint", "Skipped", at(0).toISOString(), at(45).toISOString()],
      ["roles", "Failed", at(40).toISOString(), at(45).toISOString()],
    ]);
    expect(published.at(-1)?.outcome).toBe("Failed");
  });

  it("an open stage is Cancelled by a cancel and Skipped by a failure; a grant instant in the future starts it now", () => {
    for (const reason of ["Cancelled", "Failed"] as const) {
      const { clock, ctx } = fakeContext();
      const record = new RunRecord(ctx, request());
      clock.now = at(60);
      const open = record.openStage("propagation", at(3600).toISOString(), "earlier");
      expect(open).toMatchObject({ startedAt: at(60).toISOString(), endedAt: null, outcome: "Running" });
      expect(open.note).toBeUndefined();
      clock.now = at(120);
      record.abort(reason);
      expect(open).toMatchObject({ outcome: reason === "Cancelled" ? "Cancelled" : "Skipped", endedAt: at(120).toISOString() });
    }
  });
});
