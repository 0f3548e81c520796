import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkStateDir } from "../../src/cli/stateDir";
import { runBin } from "../support/cli";

/** Issue 14: a bad --state-dir is a usage error (exit 2), and a --scenario that an existing state overrides is said to be ignored. */
const dir = mkdtempSync(join(tmpdir(), "flowdeploy-statedir-"));
afterAll(() => {
  chmodSync(join(dir, "locked"), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe("--state-dir", () => {
  it("a file is a usage error, exit 2, one line", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = await runBin(["local", "--state-dir", file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/--state-dir .*a-file is a file, not a directory/);
    expect(r.stderr).not.toMatch(/internal error/i);
  });

  it("an unwritable directory is a usage error", () => {
    const locked = join(dir, "locked");
    rmSync(locked, { recursive: true, force: true });
    writeFileSync(join(dir, "placeholder"), "");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    // root ignores permissions: then the directory is writable and nothing is wrong.
    if (process.getuid?.() === 0) return expect(checkStateDir(locked, false)).toBeUndefined();
    expect(() => checkStateDir(join(locked, "inner"), false)).toThrow(/cannot be written/);
  });

  it("says that --scenario is ignored when the directory already holds state", async () => {
    const state = join(dir, "state");
    const first = await runBin(["local", "--state-dir", state]);
    expect(first.code).toBe(0);
    const second = await runBin(["local", "--state-dir", state, "--scenario", "samples/scenarios/fast.json"]);
    expect(second.stderr).toContain("--scenario is ignored");
  });
});
