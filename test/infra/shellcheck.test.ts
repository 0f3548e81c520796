import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/samples";

/**
 * Every shell script under infra/ (the azd hooks) and scripts/ passes ShellCheck at its default
 * severity (style and up). .ci/run installs ShellCheck (Debian's `shellcheck` package) when it is
 * missing. On a machine without it this test fails and says how to install it; set
 * FLOWDEPLOY_SKIP_SHELLCHECK=1 to skip it instead.
 */
const SKIP = process.env["FLOWDEPLOY_SKIP_SHELLCHECK"] === "1";
const INSTALL_HINT =
  "ShellCheck is not installed (no `shellcheck` on PATH). Install it: `apt-get install -y shellcheck` (Debian/Ubuntu; .ci/run does this), " +
  "`brew install shellcheck` (macOS) or `dnf install ShellCheck`; or set FLOWDEPLOY_SKIP_SHELLCHECK=1 to skip the shell script checks.";

function shellcheckVersion(): string | undefined {
  const run = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
  if (run.error || run.status !== 0) return undefined;
  return /version: (\S+)/.exec(run.stdout)?.[1] ?? "unknown";
}

function shellScripts(): string[] {
  const found: string[] = [];
  for (const dir of ["infra", "scripts"]) {
    const root = join(repoRoot, dir);
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith(".sh")) found.push(join(entry.parentPath, entry.name).slice(repoRoot.length + 1).split("\\").join("/"));
    }
  }
  return found.sort();
}

/** ShellCheck's findings for one file (empty when it passes); sources are followed relative to the script. */
function shellcheck(file: string, cwd = repoRoot): { ok: boolean; output: string } {
  const run = spawnSync("shellcheck", ["--external-sources", "--source-path=SCRIPTDIR", "--format=gcc", file], { cwd, encoding: "utf8" });
  if (run.error) throw run.error;
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

const version = shellcheckVersion();
const scripts = shellScripts();

describe.skipIf(SKIP)("shell scripts pass ShellCheck", () => {
  it("ShellCheck is installed", () => {
    if (!version) throw new Error(INSTALL_HINT);
    expect(version).toMatch(/^\d+\.\d+/);
  });

  it.each(scripts)("%s", (file) => {
    if (!version) throw new Error(INSTALL_HINT);
    const result = shellcheck(file);
    expect(result.ok, `shellcheck ${file}:\n${result.output}`).toBe(true);
  });

  it("the check fails on a script with a ShellCheck finding (unquoted variable) and passes the fixed one", () => {
    if (!version) throw new Error(INSTALL_HINT);
    const dir = mkdtempSync(join(tmpdir(), "flowdeploy-shellcheck-"));
    try {
      writeFileSync(join(dir, "bad.sh"), '#!/usr/bin/env bash\nset -euo pipefail\nname=$1\nrm -rf $name/tmp\n');
      writeFileSync(join(dir, "good.sh"), '#!/usr/bin/env bash\nset -euo pipefail\nname=$1\nrm -rf "${name:?}/tmp"\n');
      const bad = shellcheck(join(dir, "bad.sh"), dir);
      expect(bad.ok).toBe(false);
      expect(bad.output).toMatch(/bad\.sh:4:\d+: .*SC2086/);
      expect(shellcheck(join(dir, "good.sh"), dir)).toEqual({ ok: true, output: "" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
