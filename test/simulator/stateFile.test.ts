import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/local/simulator";
import { removeStaleTempFiles, saveStateFile, tempFileFor, type SimState } from "../../src/local/simulator/stateStore";

/**
 * The state file holds endpoint keys and tokens, and so does the temp copy it is written through
 * (`simulator-state.json.<pid>.tmp`, then renamed): no copy may outlive a failed write, a killed
 * writer is cleaned up after, and both are readable by their owner only.
 */
const root = mkdtempSync(join(tmpdir(), "flowdeploy-state-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, String(n++));
  mkdirSync(d);
  return d;
};
const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));
const STATE = { format: "flowdeploy-simulator-state", version: 1, secrets: ["k3y"] } as unknown as SimState;

describe("the simulator state file", () => {
  it("is written readable by its owner only", () => {
    const dir = freshDir();
    saveStateFile(join(dir, "simulator-state.json"), STATE);
    expect(statSync(join(dir, "simulator-state.json")).mode & 0o777).toBe(0o600);
    expect(temps(dir)).toEqual([]);
  });

  it("leaves no temp copy when the rename fails", () => {
    const dir = freshDir();
    const file = join(dir, "simulator-state.json");
    mkdirSync(file); // a directory where the file should go: the rename fails (EISDIR)
    expect(() => saveStateFile(file, STATE)).toThrow();
    expect(temps(dir)).toEqual([]);
  });

  it("a temp copy left by a killed writer is removed when the simulator opens or closes the state; a live writer's is left alone", async () => {
    const dir = freshDir();
    const file = join(dir, "simulator-state.json");
    // A writer SIGKILLed between the write and the rename (it wrote its copy, then died).
    const dead = spawn(process.execPath, ["-e", `require("fs").writeFileSync(${JSON.stringify(file)} + "." + process.pid + ".tmp", "{\\"secrets\\":[\\"k3y\\"]"); process.kill(process.pid, "SIGKILL")`]);
    const deadPid = await new Promise<number>((resolve) => dead.on("close", (_code, signal) => (expect(signal).toBe("SIGKILL"), resolve(dead.pid!))));
    // A writer still running (its write is in progress).
    const live = spawn(process.execPath, ["-e", "setTimeout(() => undefined, 30000)"]);
    try {
      writeFileSync(tempFileFor(file, live.pid!), "{}");
      expect(temps(dir).sort()).toEqual([`simulator-state.json.${deadPid}.tmp`, `simulator-state.json.${live.pid}.tmp`].sort());

      const sim = await startSimulator({ stateFile: file });
      expect(temps(dir)).toEqual([`simulator-state.json.${live.pid}.tmp`]);
      await sim.close();
      expect(temps(dir)).toEqual([`simulator-state.json.${live.pid}.tmp`]);
    } finally {
      live.kill("SIGKILL");
      await new Promise((r) => live.on("close", r));
    }
    expect(removeStaleTempFiles(file)).toEqual([join(dir, `simulator-state.json.${live.pid}.tmp`)]);
    expect(temps(dir)).toEqual([]);
  });
});
