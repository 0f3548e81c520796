import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/samples";

/**
 * The determinism rules for orchestrations/** are only worth something if they fire. Each snippet
 * is linted as if it were an orchestrator file, through the repo's real ESLint config.
 */
const eslint = new ESLint({ cwd: repoRoot });

async function ruleHits(code: string, file = "orchestrations/probe.ts"): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}/${file}` });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe("orchestrator determinism lint", () => {
  it.each([
    ["Date.now()", "export const t = Date.now();", "no-restricted-syntax"],
    ["new Date() without arguments", "export const t = new Date();", "no-restricted-syntax"],
    ["Math.random()", "export const r = Math.random();", "no-restricted-syntax"],
    ["process.env", "export const e = process.env.X;", "no-restricted-globals"],
    ["an @azure package", 'import { DefaultAzureCredential } from "@azure/identity";\nexport const c = DefaultAzureCredential;', "no-restricted-imports"],
    ["a node: built-in", 'import { readFileSync } from "node:fs";\nexport const r = readFileSync;', "no-restricted-imports"],
    ["a bare built-in", 'import { randomUUID } from "crypto";\nexport const r = randomUUID;', "no-restricted-imports"],
    ["the config module", 'import { loadConfig } from "../src/config";\nexport const c = loadConfig;', "no-restricted-imports"],
    ["an activity implementation", 'import { x } from "../src/activities/endpoint";\nexport const y = x;', "no-restricted-imports"],
    ["an Azure client module", 'import { x } from "../src/azure/clients";\nexport const y = x;', "no-restricted-imports"],
    ["a local stand-in", 'import { x } from "../src/local/clock";\nexport const y = x;', "no-restricted-imports"],
    ["setTimeout", "setTimeout(() => undefined, 1);", "no-restricted-globals"],
    ["an async function", "export async function f() { return 1; }", "no-restricted-syntax"],
  ])("forbids %s", async (_what, code, rule) => {
    expect(await ruleHits(code)).toContain(rule);
  });

  it("allows the activity catalog, contracts, domain helpers and dates built from history", async () => {
    const code = [
      'import type { DeployRequest } from "../src/contracts";',
      'import { Activities } from "../src/activities/catalog";',
      'import { systemClock } from "../src/domain/clock";',
      "export const t = (iso: string, r: DeployRequest) => [new Date(iso), Activities, systemClock, r];",
    ].join("\n");
    expect(await ruleHits(code)).toEqual([]);
  });

  it("does not apply the orchestrator rules to activities", async () => {
    expect(await ruleHits("export const t = Date.now();", "src/activities/probe.ts")).toEqual([]);
  });
});

describe("product code and the local stand-ins (issue 15 item 4)", () => {
  it.each([["src/functions/probe.ts"], ["src/intake/probe.ts"], ["src/activities/probe.ts"], ["src/client/probe.ts"], ["src/config.probe.ts"]])("%s may not import src/local", async (file) => {
    const depth = file.split("/").length - 2;
    const up = depth === 0 ? "./" : "../".repeat(depth);
    expect(await ruleHits(`import { VirtualClock } from "${up}local/clock";\nexport const c = VirtualClock;`, file)).toContain("no-restricted-imports");
  });

  it("the CLI still may (it hosts the stand-ins)", async () => {
    expect(await ruleHits('import { VirtualClock } from "../../local/clock";\nexport const c = VirtualClock;', "src/cli/commands/probe.ts")).not.toContain("no-restricted-imports");
  });
});
