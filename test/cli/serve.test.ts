import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBin } from "../support/cli";
import { repoRoot } from "../support/samples";

describe("flowdeploy serve + curl + flowdeploy watch --once", () => {
  it("completes a deployment from an Event Grid webhook call on one machine, and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), "serve", "--port", "0", "--time-scale", "600"], { cwd: repoRoot });
    let out = "";
    child.stdout.on("data", (c) => (out += String(c)));
    const exited = new Promise<number | null>((r) => child.on("close", r));
    while (!out.includes("\n")) await new Promise((r) => setTimeout(r, 20));
    const info = JSON.parse(out.split("\n")[0]!) as { url: string; serviceBusConnectionString: string; simulatorUrl: string; caCertFile: string };
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.simulatorUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const watching = runBin(["watch", "--once", "--json", "--connection-string", info.serviceBusConnectionString, "--timeout", "60"]);
    const res = await fetch(`${info.url}/runtime/webhooks/eventgrid?functionName=bulkTestEvents`, {
      method: "POST",
      headers: { "aeg-event-type": "Notification", "content-type": "application/json" },
      body: readFileSync(join(repoRoot, "samples", "bulk-test-passed.event.json")),
    });
    expect(res.status).toBe(202);
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    expect(JSON.parse(watched.stdout.trim())).toMatchObject({ outcome: "Succeeded", endpoint: { name: "web-classify" } });

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 60_000);
});
