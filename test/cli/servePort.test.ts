import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DeploymentNotification } from "../../src/contracts";
import { instanceIdFor } from "../../src/domain/ids";
import { ListenError, serve } from "../../src/local/serve";
import { repoRoot, sampleRequest } from "../support/samples";

/** A port someone else holds. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server };
}

let holder: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (holder ? holder.close(r) : r(undefined)));
  holder = undefined;
});

/** Listening sockets of this process, counted once the count holds still (a closed one is released a turn or two later). */
async function settledListeningServers(): Promise<number> {
  const count = () => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;
  let last = count();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const now = count();
    if (now === last) return now;
    last = now;
  }
  return last;
}

describe("flowdeploy serve on a port already in use", () => {
  it("the real bin exits 1 with one line naming the port, having started nothing", async () => {
    const { port, server } = await occupiedPort();
    holder = server;
    const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), "serve", "--port", String(port)], { cwd: repoRoot });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    // Before the fix it printed an internal error and kept the simulator and broker up: it never ended.
    const hung = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
    clearTimeout(hung);
    expect(signal, "the process ended by itself: nothing it started is left listening").toBeNull();
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n")).toEqual([`flowdeploy serve: port ${port} on 127.0.0.1 is already in use (another flowdeploy serve or a Functions host?); choose another with --port`, ""]);
  }, 40_000);

  it("serve() rejects with ListenError before starting the simulator, the broker or the runner", async () => {
    const { port, server } = await occupiedPort();
    holder = server;
    const before = await settledListeningServers();
    const failed = await serve({ port }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(ListenError);
    expect(failed).toMatchObject({ port, code: "EADDRINUSE", message: `port ${port} on 127.0.0.1 is already in use` });
    expect(await settledListeningServers()).toBe(before);
  });
});

describe("flowdeploy serve's log", () => {
  it("says which instance, stage and outcome each line about a deployment concerns", async () => {
    const lines: string[] = [];
    const service = await serve({ port: 0, startAt: new Date("2026-11-23T10:00:00.000Z"), log: (l) => lines.push(l) });
    const request = sampleRequest();
    const instanceId = instanceIdFor(request["requestId"]);
    let notification: DeploymentNotification | undefined;
    try {
      const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
      expect(res.status).toBe(202);
      for (let i = 0; i < 400 && !notification; i++) {
        const status = (await (await fetch(`${service.url}/api/deployments/${instanceId}`)).json()) as { runtimeStatus: string; output?: DeploymentNotification };
        if (status.runtimeStatus === "Completed") notification = status.output;
        else await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await service.close();
    }
    expect(notification?.outcome).toBe("Succeeded");
    const id = `instance=${instanceId}`;
    for (const stage of notification!.stages) {
      expect(lines).toContain(`${id} stage=${stage.name} started`);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${id} stage=${stage.name} outcome=${stage.outcome} \\d+(m\\d\\ds)?s?`)));
    }
    expect(lines).toContain(`${id} outcome=Succeeded ${notification!.endpoint!.name}/${notification!.deployment!.name} request=${request["requestId"]}`);
    // The activities' own lines (roles granted, the runtime image warning) say which deployment, too.
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${id} grantEndpointRoles: request=${request["requestId"]} ${id} endpoint=${notification!.endpoint!.name} stage=roles roles: `)));
    // Every line but the service's own start/stop lines names the instance it is about.
    const aboutDeployments = lines.filter((l) => !l.startsWith("startDeploymentHttp:") && !l.startsWith("serve:"));
    expect(aboutDeployments.length).toBeGreaterThan(10);
    for (const line of aboutDeployments) expect(line).toMatch(/^instance=deploy-[0-9a-f]+ /);
  });
});
