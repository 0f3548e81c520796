import { describe, expect, it } from "vitest";
import { runSimulatorCommand } from "../../src/cli/commands/simulator";
import { startSimulator } from "../../src/local/simulator";
import { memoryIO, runCli } from "../support/cli";

/**
 * The simulator's GET /_simulator/state shows endpoint keys to whoever reaches it, so it listens on
 * this machine only: `--host` takes a loopback address, anything else is a usage error (exit 2)
 * before anything listens.
 */
describe("flowdeploy simulator --host", () => {
  it.each(["0.0.0.0", "::", "192.168.1.10", "example.com", "127.0.0.2", ""])("refuses %j: exit 2, one line naming the allowed addresses", async (host) => {
    const run = await runCli(["simulator", "--host", host]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toEqual([
      `flowdeploy: --host must be a loopback address (127.0.0.1, ::1 or localhost): the simulator shows endpoint keys to anyone who reaches it; got '${host}'`,
    ]);
  });

  it.each([
    ["127.0.0.1", "https://127.0.0.1:"],
    ["::1", "https://[::1]:"],
    ["[::1]", "https://[::1]:"],
    ["localhost", "https://localhost:"],
    ["LocalHost", "https://localhost:"],
  ])("listens on %s", async (host, url) => {
    const { io, text } = memoryIO();
    const code = await runSimulatorCommand({ host, quiet: true }, io, () => Promise.resolve());
    expect(code, text().stderr).toBe(0);
    expect(JSON.parse(text().stdout.split("\n")[0]!).url).toMatch(new RegExp(`^${url.replace(/[[\].]/g, "\\$&")}\\d+$`));
  });

  it("startSimulator itself refuses a non-loopback address", async () => {
    await expect(startSimulator({ host: "0.0.0.0" })).rejects.toThrow("the simulator listens on loopback addresses only (127.0.0.1, ::1, localhost), not '0.0.0.0'");
  });
});
