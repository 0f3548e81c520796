import { spawn } from "node:child_process";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runWatchCommand } from "../../src/cli/commands/watch";
import { runCli, type CliRun } from "../support/cli";
import { repoRoot } from "../support/samples";
import type { DeploymentNotification } from "../../src/contracts";
import { LocalBus, notification, QUEUE, requestWithId, SECRET_KEY, subscriptionPath, TOPIC } from "./helpers";

/** `flowdeploy enqueue` and `flowdeploy watch`, in-process (and once as the real bin), against the local broker. */
const bus = new LocalBus();

beforeAll(() => bus.start());
afterEach(async () => {
  vi.unstubAllEnvs();
  await bus.purge();
});
afterAll(() => bus.stop());

/** Runs the CLI and checks the secret hygiene every run must keep: no key, no stack trace. */
async function cli(args: string[], stdin = ""): Promise<CliRun> {
  const run = await runCli(args, stdin);
  expect(run.stdout + run.stderr).not.toContain(SECRET_KEY);
  expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
  return run;
}

const connect = () => ["--connection-string", bus.connectionString];
const withoutConnectionSettings = () => {
  vi.stubEnv("ServiceBusConnection", undefined);
  vi.stubEnv("ServiceBusConnection__fullyQualifiedNamespace", undefined);
};

describe("flowdeploy enqueue", () => {
  it("sends the request and prints its id (exit 0)", async () => {
    const run = await cli(["enqueue", "-", ...connect()], JSON.stringify(requestWithId("cli-enqueue-1")));
    expect(run).toMatchObject({ code: 0, stdout: "cli-enqueue-1\n" });
    // Without --wait it says where the answer comes from, a conflict included.
    expect(run.stderr).toMatch(/^flowdeploy enqueue: trace [0-9a-f]{32}\nflowdeploy enqueue: sent; its outcome is a notification \(enqueue --wait, or watch --once --request-id cli-enqueue-1\); .*RequestIdConflict\n$/);
    const [message] = await bus.receive(QUEUE, undefined, 1);
    // The trace id printed is the one the message carries.
    expect(String(message!.applicationProperties?.["Diagnostic-Id"])).toContain(`-${/trace ([0-9a-f]{32})/.exec(run.stderr)![1]}-`);
    expect(message).toMatchObject({ messageId: expect.stringMatching(/^r-[0-9a-f]{32}$/), correlationId: "cli-enqueue-1", contentType: "application/json" });
    expect(message!.body.requestId).toBe("cli-enqueue-1");
  });

  it("reads the connection string from the ServiceBusConnection setting and the file from disk", async () => {
    withoutConnectionSettings();
    vi.stubEnv("ServiceBusConnection", bus.connectionString);
    const run = await cli(["enqueue", join(repoRoot, "samples", "deploy-request.json")]);
    expect(run).toMatchObject({ code: 0, stdout: "web-classification-2026-11-23-001\n" });
    expect(bus.broker.entity(QUEUE).active).toBe(1);
  });

  it("exits 1 with one line per problem naming the field, and sends nothing", async () => {
    const received = bus.broker.stats().received;
    const request = requestWithId("cli-invalid-1");
    request.deployment.instanceCount = 0;
    request.endpoint.name = "x";
    request.flow.mde = "chat";
    const run = await cli(["enqueue", "-", ...connect()], JSON.stringify(request));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toEqual([
      'flow: unknown field "mde"',
      "endpoint.name: endpoint names have 3 to 32 characters",
      "deployment.instanceCount: expected a positive integer",
    ]);
    expect(bus.broker.stats().received).toBe(received);
  });

  it("exits 1 for text that is not JSON", async () => {
    const run = await cli(["enqueue", "-", ...connect()], "{ nope");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\(root\): not valid JSON/);
  });

  it("exits 2 explaining how to connect when there is no connection", async () => {
    withoutConnectionSettings();
    const run = await cli(["enqueue", "-"], JSON.stringify(requestWithId("cli-no-connection")));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no Service Bus connection: pass --connection-string or --namespace, or set ServiceBusConnection .* or ServiceBusConnection__fullyQualifiedNamespace/);
  });

  it.each([
    [["--namespace", "my-ns"], /--namespace expects the fully qualified namespace/],
    [["--namespace", "my-ns.servicebus.windows.net", "--connection-string", "x"], /cannot be used with/],
    [["--connection-string", `SharedAccessKeyName=k;SharedAccessKey=${SECRET_KEY}`], /cannot use the Service Bus connection: Connection string should have an Endpoint key/],
    [["--namespace", `Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=${SECRET_KEY}`], /got 'Endpoint=sb:\/\/x\/;SharedAccessKeyName=k;SharedAccessKey=\*\*\*'/],
  ])("exits 2 for a bad connection flag: %j", async (flags, message) => {
    const run = await cli(["enqueue", "-", ...flags], JSON.stringify(requestWithId("cli-bad-flag")));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("does not echo a connection string given as FILE by mistake", async () => {
    const run = await cli(["enqueue", `Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=${SECRET_KEY}`, ...connect()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no such file: Endpoint=sb:\/\/x\/;SharedAccessKeyName=k;SharedAccessKey=\*\*\*/);
  });

  it("reports a transport failure in one line, exit 1, without the key", async () => {
    const refused = `Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=local;SharedAccessKey=${SECRET_KEY};UseDevelopmentEmulator=true`;
    const run = await cli(["enqueue", "-", "--connection-string", refused], JSON.stringify(requestWithId("cli-refused")));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^flowdeploy enqueue: cannot send: queue 'deploy-requests' in 127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("names a queue that does not exist", async () => {
    const run = await cli(["enqueue", "-", ...connect(), "--queue", "no-such-queue"], JSON.stringify(requestWithId("cli-no-queue")));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/queue 'no-such-queue' does not exist in 127\.0\.0\.1:\d+ \(MessagingEntityNotFound\)/);
  });
});

/** What a run with `rollout.approval` publishes after its smoke test: not an end, an AwaitingApproval request. */
function awaitingApproval(requestId: string): DeploymentNotification {
  return {
    ...notification("Succeeded", requestId),
    outcome: "AwaitingApproval",
    traffic: { blue: 100, green: 0 },
    approval: { requestedAt: "2026-11-23T10:20:00.000Z", expiresAt: "2026-11-23T11:20:00.000Z", approvers: ["alice@contoso.com"] },
    endedAt: "2026-11-23T10:20:00.000Z",
  };
}

/** The outcome after an approver answered. */
function answered(outcome: "Succeeded" | "Failed", requestId: string, decision: "approved" | "rejected"): DeploymentNotification {
  const n = notification(outcome, requestId);
  if (outcome === "Failed") n.error = { stage: "approval", code: "ApprovalRejected", message: "the eval set is stale" };
  return { ...n, approval: { requestedAt: "2026-11-23T10:20:00.000Z", expiresAt: "2026-11-23T11:20:00.000Z", decision, by: "alice@contoso.com" } };
}

describe("AwaitingApproval notifications: not an outcome", () => {
  it("are published with subject AwaitingApproval and kind 'approval'; outcomes with kind 'outcome'", async () => {
    await bus.publish(awaitingApproval("kind-1"), answered("Succeeded", "kind-1", "approved"));
    const [asked, ended] = await bus.receive(TOPIC, "all", 2);
    expect(asked).toMatchObject({ subject: "AwaitingApproval", correlationId: "kind-1", applicationProperties: { outcome: "AwaitingApproval", kind: "approval", endpoint: "web-classify" } });
    expect(ended).toMatchObject({ subject: "Succeeded", applicationProperties: { outcome: "Succeeded", kind: "outcome" } });
  });

  it("enqueue --wait prints the request for approval and keeps waiting for the outcome (exit 0 Succeeded)", async () => {
    const running = cli(["enqueue", "-", "--wait", "--json", "--timeout", "10", ...connect()], JSON.stringify(requestWithId("cli-wait-approval")));
    await new Promise((r) => setTimeout(r, 300));
    await bus.publish(awaitingApproval("cli-wait-approval"));
    await new Promise((r) => setTimeout(r, 300));
    await bus.publish(answered("Succeeded", "cli-wait-approval", "approved"));
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const [id, first, second, rest] = run.stdout.trim().split("\n");
    expect(id).toBe("cli-wait-approval");
    expect(JSON.parse(first!)).toMatchObject({ outcome: "AwaitingApproval", requestId: "cli-wait-approval" });
    expect(JSON.parse(second!)).toMatchObject({ outcome: "Succeeded", approval: { decision: "approved", by: "alice@contoso.com" } });
    expect(rest).toBeUndefined();
  });

  it("watch --once prints it as a request for approval and ends at the outcome (a rejection: exit 1)", async () => {
    await bus.publish(awaitingApproval("cli-watch-approval"), answered("Failed", "cli-watch-approval", "rejected"));
    const run = await cli(["watch", "--once", "--timeout", "10", ...connect()]);
    expect(run.code).toBe(1);
    expect(run.stdout.split("\n")).toEqual([
      "2026-11-23T10:20:00.000Z AwaitingApproval web-classify/green request=cli-watch-approval waiting for approval until 2026-11-23T11:20:00.000Z (asks alice@contoso.com): flowdeploy approve|reject deploy-cli-watch-approval",
      "2026-11-23T10:31:02.000Z Failed web-classify/green request=cli-watch-approval rejected by alice@contoso.com error approval/ApprovalRejected: the eval set is stale",
      "",
    ]);
  });

  it("watch --once --outcome AwaitingApproval ends at it (exit 0); --once with only it in time is exit 1, no outcome yet", async () => {
    await bus.publish(awaitingApproval("cli-ask-1"));
    const asked = await cli(["watch", "--once", "--outcome", "AwaitingApproval", "--json", "--timeout", "10", ...connect()]);
    expect(asked.code).toBe(0);
    expect(JSON.parse(asked.stdout)).toMatchObject({ outcome: "AwaitingApproval", requestId: "cli-ask-1" });

    await bus.publish(awaitingApproval("cli-ask-2"));
    const waited = await cli(["watch", "--once", "--timeout", "1", ...connect()]);
    expect(waited.code).toBe(1);
    expect(waited.stdout).toMatch(/ AwaitingApproval web-classify\/green request=cli-ask-2 /);
    expect(waited.stderr).toMatch(/no outcome within 1 s \(so far: AwaitingApproval; the run has not ended\)\n$/);
  });
});

describe("flowdeploy enqueue --wait", () => {
  it("sends, then prints the request's notification: a RequestIdConflict rejection ends with exit 1", async () => {
    const running = cli(["enqueue", "-", "--wait", "--json", "--timeout", "10", ...connect()], JSON.stringify(requestWithId("cli-wait-1")));
    // The pipeline's answer to a request id already used by another request (published by its intake).
    const rejected = notification("Rejected", "cli-wait-1");
    rejected.error = { stage: "request", code: "RequestIdConflict", message: "requestId: already used by a different request (instance deploy-0, Running); a changed request needs a new requestId" };
    await new Promise((r) => setTimeout(r, 300));
    await bus.publish(notification("Succeeded", "cli-someone-else"), rejected);
    const run = await running;
    expect(run.code).toBe(1);
    const [id, line] = run.stdout.trim().split("\n");
    expect(id).toBe("cli-wait-1");
    expect(JSON.parse(line!)).toMatchObject({ outcome: "Rejected", requestId: "cli-wait-1", error: { code: "RequestIdConflict" } });
  });

  it("waits for the answer to its own body: the run of an earlier body under the same id does not answer it", async () => {
    const body = requestWithId("cli-wait-3");
    const running = cli(["enqueue", "-", "--wait", "--json", "--timeout", "10", ...connect()], JSON.stringify(body));
    await new Promise((r) => setTimeout(r, 300));
    const [sent] = await bus.receive(QUEUE, undefined, 1);
    // The earlier body's run ends first (another digest); then the intake's answer to this body.
    const earlier = { ...notification("Succeeded", "cli-wait-3"), requestDigest: `r-${"0".repeat(32)}` };
    const conflict = { ...notification("Rejected", "cli-wait-3"), requestDigest: String(sent!.messageId) };
    conflict.error = { stage: "request", code: "RequestIdConflict", message: "requestId: already used by a different request" };
    await bus.publish(earlier, conflict);
    const run = await running;
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout.trim().split("\n")[1]!)).toMatchObject({ outcome: "Rejected", requestDigest: sent!.messageId, error: { code: "RequestIdConflict" } });
  });

  it("ends with exit 1 after --timeout when no notification comes", async () => {
    const run = await cli(["enqueue", "-", "--wait", "--timeout", "1", ...connect()], JSON.stringify(requestWithId("cli-wait-2")));
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe("cli-wait-2");
  });
});

describe("flowdeploy watch", () => {
  it("--once --json prints the notification as one JSON line, completes it and exits 0 for Succeeded", async () => {
    const n = notification("Succeeded", "cli-watch-ok");
    await bus.publish(n);
    const run = await cli(["watch", "--once", "--json", "--timeout", "10", ...connect()]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")).toEqual([JSON.stringify(n), ""]);
    expect(run.stderr).toMatch(/watching subscription 'flowdeploy-cli' of topic 'deployment-notifications' on 127\.0\.0\.1:\d+/);
    const cliSubscription = bus.broker.entity(subscriptionPath("flowdeploy-cli"));
    expect([cliSubscription.active, cliSubscription.locked]).toEqual([0, 0]);
  });

  it("--once exits 1 for Failed; --request-id skips (and completes) other requests' notifications", async () => {
    const abandoned = bus.broker.stats().abandoned;
    await bus.publish(notification("Succeeded", "cli-someone-else"), notification("Failed", "cli-watch-failed"), notification("Succeeded", "cli-later"));
    const run = await cli(["watch", "--once", "--json", "--request-id", "cli-watch-failed", "--timeout", "10", ...connect()]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: "Failed", requestId: "cli-watch-failed", error: { stage: "smokeTest" } });
    // The skipped one was completed; the one after the match was never received (no credit was left open).
    const sub = bus.broker.entity(subscriptionPath("flowdeploy-cli"));
    expect([sub.active, sub.locked, sub.deadLettered]).toEqual([1, 0, 0]);
    expect(bus.broker.stats().abandoned).toBe(abandoned);
  });

  it("prints a human line per notification: time, outcome, endpoint/deployment, request, error", async () => {
    await bus.publish(notification("Failed", "cli-human"));
    const run = await cli(["watch", "--once", "--subscription", "failed", "--timeout", "10", ...connect()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("2026-11-23T10:31:02.000Z Failed web-classify/green request=cli-human error smokeTest/SmokeTestFailed: the answer lacked the field 'category'\n");
  });

  it("reports dead-lettered messages on stderr and goes on", async () => {
    const sender = bus.sdk.createSender(TOPIC);
    await sender.sendMessages({ body: { schemaVersion: "1" }, messageId: "cli-garbage" });
    await sender.close();
    await bus.publish(notification("Succeeded", "cli-after-garbage"));
    const run = await cli(["watch", "--once", "--timeout", "10", ...connect()]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/dead-lettered message cli-garbage \(InvalidNotification\): outcome: required; /);
    expect(run.stdout).toMatch(/ Succeeded web-classify\/green request=cli-after-garbage\n$/);
  });

  it("--timeout ends with exit 1 when nothing matched in time", async () => {
    const started = Date.now();
    const run = await cli(["watch", "--timeout", "1", ...connect()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no matching notification within 1 s\n$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    // Ends because of --timeout, not the test's: a generous bound for a child process on a loaded machine.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("names a subscription that does not exist (exit 1)", async () => {
    const run = await cli(["watch", "--subscription", "nobody", "--timeout", "10", ...connect()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/subscription 'nobody' of topic 'deployment-notifications' does not exist/);
  });

  it("exits 2 for usage errors", async () => {
    expect((await cli(["watch", "--outcome", "Maybe", ...connect()])).code).toBe(2);
    expect((await cli(["watch", "--timeout", "soon", ...connect()])).stderr).toMatch(/--timeout must be a number of seconds/);
    withoutConnectionSettings();
    expect((await cli(["watch"])).stderr).toMatch(/no Service Bus connection/);
  });

  it("stops cleanly (exit 0) when asked to stop", async () => {
    const stop = new AbortController();
    const stderr = new PassThrough();
    const ready = new Promise<void>((resolve) => stderr.on("data", (c) => String(c).includes("watching") && resolve()));
    const running = runWatchCommand({ connectionString: bus.connectionString }, { stdout: new PassThrough(), stderr, stdin: Readable.from([]) }, {}, stop.signal);
    await ready;
    stop.abort();
    expect(await running).toBe(0);
  });

  it("stops cleanly on SIGINT as the real bin (exit 0)", async () => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), "watch"], {
      cwd: repoRoot,
      env: { ...process.env, ServiceBusConnection: bus.connectionString },
    });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    const ready = new Promise<void>((resolve) => child.stderr.on("data", (c) => (stderr += String(c)).includes("watching") && resolve()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await ready;
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stdout + stderr).not.toContain(SECRET_KEY);
  });
});
