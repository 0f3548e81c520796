import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { instanceIdFor } from "../../src/domain/ids";
import type { SpanLine } from "../../src/tracing/fileExporter";
import { formatTraceparent, parseTraceparent, traceparentOfProperties } from "../../src/tracing/traceparent";
import { runBin } from "../support/cli";
import { repoRoot, sampleEvent, sampleEventRequestId, sampleRequest } from "../support/samples";

describe("W3C traceparent", () => {
  it("reads version 00 exactly and later versions by their first four fields; refuses what the spec refuses", () => {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(parseTraceparent(tp)).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true });
    expect(formatTraceparent(parseTraceparent(tp)!)).toBe(tp);
    expect(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled).toBe(false);
    expect(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")?.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    for (const bad of [
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero span id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // 00 has exactly four fields
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      42,
    ]) {
      expect(parseTraceparent(bad), String(bad)).toBeUndefined();
    }
  });

  it("finds Service Bus' Diagnostic-Id as the Functions worker hands it over (keys camel-cased), or a traceparent property", () => {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(traceparentOfProperties({ "diagnostic-Id": tp })?.spanId).toBe("00f067aa0ba902b7");
    expect(traceparentOfProperties({ "Diagnostic-Id": tp })?.spanId).toBe("00f067aa0ba902b7");
    expect(traceparentOfProperties({ traceparent: tp })?.spanId).toBe("00f067aa0ba902b7");
    expect(traceparentOfProperties({ "diagnostic-Id": "garbage", traceparent: tp })?.spanId).toBe("00f067aa0ba902b7");
    expect(traceparentOfProperties(undefined)).toBeUndefined();
  });
});

/**
 * One request's trace from `flowdeploy enqueue` to `flowdeploy watch` (issue 18 item 3), as people run
 * them: `serve --trace FILE` and the two CLI commands as child processes. The trace id `enqueue` sends
 * (given with --traceparent) is the one `watch` prints from the notification's Diagnostic-Id, and the
 * service's spans for it form one tree under the enqueue's span — intake, one span per activity
 * execution (the orchestrator replays after every activity and timer; replays add none), the Azure
 * SDK's ARM and Service Bus calls under them — with no key or token of the simulator in any of them.
 */
const dirs: string[] = [];
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function startServe(args: string[]): Promise<{ child: ChildProcess; first: Record<string, string> }> {
  const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), "serve", "--port", "0", ...args], { cwd: repoRoot });
  children.add(child);
  child.stdin!.end();
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c) => {
      out += String(c);
      if (out.includes("\n")) resolve({ child, first: JSON.parse(out.slice(0, out.indexOf("\n"))) as Record<string, string> });
    });
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`serve ended (${code}) before its first line`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const closed = new Promise((r) => child.once("close", r));
  child.kill("SIGTERM");
  await closed;
  children.delete(child);
}

const spansOf = (file: string): SpanLine[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as SpanLine) : []);

describe("one trace from enqueue to watch", () => {
  it("enqueue's trace id comes back on the notification, and the service's spans for it form one tree with no duplicates and no secrets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flowdeploy-trace-"));
    dirs.push(dir);
    const traceFile = join(dir, "spans.jsonl");
    const { child, first } = await startServe(["--time-scale", "600", "--trace", traceFile, "--state-dir", join(dir, "state")]);
    const cs = first["serviceBusConnectionString"]!;
    const enqueueSpan = "b7ad6b7169203331";
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const request = sampleRequest();
    request.requestId = "traced-request-1";
    const file = join(dir, "request.json");
    writeFileSync(file, JSON.stringify(request));

    const enqueued = await runBin(["enqueue", file, "--connection-string", cs, "--traceparent", `00-${traceId}-${enqueueSpan}-01`]);
    expect(enqueued.code, enqueued.stderr).toBe(0);
    expect(enqueued.stderr).toContain(`flowdeploy enqueue: trace ${traceId}`);
    const watched = await runBin(["watch", "--once", "--request-id", "traced-request-1", "--connection-string", cs, "--timeout", "120"]);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`Succeeded web-classify/green request=traced-request-1 trace=${traceId}$`, "m"));
    await stop(child);

    const all = spansOf(traceFile);
    const spans = all.filter((s) => s.traceId === traceId);
    // One tree: the intake is the only child of the enqueue's span, and every other span's parent is in the trace.
    const ids = new Set(spans.map((s) => s.spanId));
    expect(ids.size).toBe(spans.length);
    const roots = spans.filter((s) => !ids.has(s.parentSpanId ?? ""));
    expect(roots.map((s) => [s.name, s.parentSpanId])).toEqual([["flowdeploy intake queue", enqueueSpan]]);
    const intake = roots[0]!;
    const activities = spans.filter((s) => s.name.startsWith("flowdeploy activity "));
    expect(activities.every((s) => s.parentSpanId === intake.spanId)).toBe(true);
    expect(new Set(activities.map((s) => s.attributes["flowdeploy.instance_id"]))).toEqual(new Set([instanceIdFor("traced-request-1")]));
    // Each activity scheduled once appears once, though the orchestrator replayed after every step.
    const once = ["ensureEndpoint", "grantEndpointRoles", "registerModel", "startDeployment", "smokeTest", "setTraffic", "notify"];
    for (const name of once) expect(activities.filter((s) => s.name === `flowdeploy activity ${name}`), name).toHaveLength(1);
    // The Azure SDK's calls are spans under the activities that made them.
    const activityIds = new Set(activities.map((s) => s.spanId));
    const sdk = spans.filter((s) => !s.name.startsWith("flowdeploy "));
    expect(sdk.filter((s) => s.name === "HTTP PUT").length).toBeGreaterThanOrEqual(3);
    expect(sdk.some((s) => s.name === "ServiceBusSender.send")).toBe(true);
    for (const s of sdk) expect(activityIds.has(s.parentSpanId!) || ids.has(s.parentSpanId!), s.name).toBe(true);
    // Nothing secret in any span: the simulator's endpoint keys and tokens, as it recorded them.
    const secrets = (JSON.parse(readFileSync(join(dir, "state", "simulator-state.json"), "utf8")) as { secrets: string[] }).secrets;
    expect(secrets.length).toBeGreaterThan(0);
    const text = readFileSync(traceFile, "utf8");
    for (const secret of secrets) {
      expect(text.includes(secret)).toBe(false);
      expect(text.includes(Buffer.from(secret).toString("base64"))).toBe(false);
    }
  });

  it("a request posted over HTTP with a traceparent header, a CloudEvent with a traceparent attribute, and a rejected request keep the caller's trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flowdeploy-trace-"));
    dirs.push(dir);
    const traceFile = join(dir, "spans.jsonl");
    const { child, first } = await startServe(["--time-scale", "600", "--trace", traceFile]);
    const traceId = "5b8efff798038103d269b633813fc60c";
    const bad = sampleRequest();
    bad.requestId = "traced-bad-1";
    bad.deployment.instanceCount = 0;
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify(bad));
    // The client validates before sending: send the bad body raw, as another producer would.
    const { ServiceBusClient } = await import("@azure/service-bus");
    const sb = new ServiceBusClient(first["serviceBusConnectionString"]!);
    await sb.createSender("deploy-requests").sendMessages({ body: bad, contentType: "application/json", applicationProperties: { "Diagnostic-Id": `00-${traceId}-eee19f7b6e0c1a2b-01` } });
    await sb.close();
    const watched = await runBin(["watch", "--once", "--request-id", "traced-bad-1", "--connection-string", first["serviceBusConnectionString"]!, "--timeout", "60"]);
    expect(watched.stdout).toMatch(new RegExp(`Rejected -/- request=traced-bad-1 .*trace=${traceId}$`, "m"));

    const httpTrace = "6e0c63257de34c926f9efcd03899d7ef";
    const good = sampleRequest();
    good.requestId = "traced-http-1";
    const res = await fetch(`${first["url"]}/api/deployments`, { method: "POST", headers: { "content-type": "application/json", traceparent: `00-${httpTrace}-aaaaaaaaaaaaaaaa-01` }, body: JSON.stringify(good) });
    expect(res.status).toBe(202);
    const outcome = await runBin(["watch", "--once", "--request-id", "traced-http-1", "--connection-string", first["serviceBusConnectionString"]!, "--timeout", "120"]);
    expect(outcome.stdout).toMatch(new RegExp(`Succeeded web-classify/green request=traced-http-1 trace=${httpTrace}$`, "m"));

    // A CloudEvent's own `traceparent` attribute (the CloudEvents distributed tracing extension).
    const eventTrace = "7c0d4b4a2f1e4d5b9a8c6e3f2d1c0b9a";
    const event = { ...sampleEvent(), traceparent: `00-${eventTrace}-bbbbbbbbbbbbbbbb-01` };
    const delivered = await fetch(`${first["url"]}/runtime/webhooks/eventgrid?functionName=bulkTestEvents`, { method: "POST", headers: { "content-type": "application/cloudevents+json", "aeg-event-type": "Notification" }, body: JSON.stringify(event) });
    expect(delivered.status).toBeLessThan(300);
    const fromEvent = await runBin(["watch", "--once", "--request-id", sampleEventRequestId(), "--connection-string", first["serviceBusConnectionString"]!, "--timeout", "120"]);
    expect(fromEvent.stdout).toMatch(new RegExp(`Succeeded web-classify/\\w+ request=${sampleEventRequestId()} trace=${eventTrace}$`, "m"));
    await stop(child);
    const spans = spansOf(traceFile).filter((s) => s.traceId === httpTrace);
    expect(spans.find((s) => s.name === "flowdeploy intake http")?.parentSpanId).toBe("aaaaaaaaaaaaaaaa");
    expect(spansOf(traceFile).find((s) => s.traceId === eventTrace && s.name === "flowdeploy intake eventGrid")?.parentSpanId).toBe("bbbbbbbbbbbbbbbb");
  });
});
