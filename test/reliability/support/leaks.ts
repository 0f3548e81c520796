import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { afterAll, expect } from "vitest";
import { reportRow } from "./report";

/**
 * Promise 7 (secrets stay secret), checked over everything a reliability test file produced: every
 * file records what a caller or an operator could see — orchestration histories, custom status,
 * outputs, log lines, notifications received on the topic, HTTP responses, CLI stdout/stderr, error
 * messages and the files of each state directory; the status page's HTML as served and its DOM as
 * rendered in Chromium (test/statusPage/browser.test.ts) — and the keys and tokens its simulators
 * issued, plus any function key a test opened the page with.
 * `scanForLeaksAfterAll()` fails the file if any secret (or a 20-character piece of one) appears in
 * any of it.
 *
 * The simulator's own state file (`simulator-state.json`) is not scanned: it is Azure's state
 * (endpoint keys live there as they live in Azure), written by the stand-in, not by flowdeploy.
 * It is the *source* of the secrets scanned for. Its temp copies (`simulator-state.json.<pid>.tmp`,
 * what a run killed mid-write leaves) are scanned like any other file: nothing should leave one
 * behind, and one holds the keys, so finding one is a leak.
 */
export interface Artifact {
  where: string;
  text: string;
}

const artifacts: Artifact[] = [];
const secrets = new Set<string>();

/** The simulator's own state file: the source of secrets, never a place flowdeploy writes. */
export const SIMULATOR_STATE_FILE = "simulator-state.json";

/**
 * The simulator writes its state to `simulator-state.json.<pid>.tmp` and renames it into place; a
 * process SIGKILLed between the two leaves that temp file behind until a simulator opens the state
 * again (src/local/simulator/stateStore.ts). It holds the same keys: a secret source, and a leak.
 */
const isSimulatorStateTemp = (name: string): boolean => /^simulator-state\.json\.\d+\.tmp$/.test(name);

export function recordSecrets(list: Iterable<string>): void {
  for (const s of list) if (s) secrets.add(s);
}

export function recordArtifact(where: string, value: unknown): void {
  artifacts.push({ where, text: typeof value === "string" ? value : JSON.stringify(value) ?? String(value) });
}

/**
 * Reads every file under `dir` now (test directories are removed later): the secrets found in its
 * simulator state file are recorded, every other file is an artifact.
 */
/** The secrets a simulator state file lists; a torn temp file (killed mid-write) lists what it can. */
function simulatorSecrets(text: string): string[] {
  try {
    return (JSON.parse(text) as { secrets?: string[] }).secrets ?? [];
  } catch {
    return [];
  }
}

export function recordStateDirectory(dir: string, label = dir): { files: number } {
  const read = readStateDirectory(dir, label);
  recordSecrets(read.secrets);
  artifacts.push(...read.artifacts);
  return { files: read.artifacts.length };
}

/** What `recordStateDirectory` records, without recording it: the files to scan and the secrets to scan for. */
export function readStateDirectory(dir: string, label = dir): { artifacts: Artifact[]; secrets: string[] } {
  const found: Artifact[] = [];
  const issued: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const text = readFileSync(path, "utf8");
      if (name === SIMULATOR_STATE_FILE || isSimulatorStateTemp(name)) issued.push(...simulatorSecrets(text));
      if (name !== SIMULATOR_STATE_FILE) found.push({ where: `${label}/${relative(dir, path)}`, text });
    }
  };
  walk(dir);
  return { artifacts: found, secrets: [...new Set(issued)] };
}

/**
 * Every (artifact, secret) pair where the secret, or a 20-character prefix or suffix of it (a
 * truncated or partly masked copy), appears. The secret itself is never reported, only where.
 */
export function leaksIn(where: readonly Artifact[], among: Iterable<string>): { where: string; secret: string }[] {
  const found: { where: string; secret: string }[] = [];
  for (const secret of among) {
    const needles = [secret, secret.slice(0, 20), secret.slice(-20)];
    for (const a of where) if (needles.some((n) => a.text.includes(n))) found.push({ where: a.where, secret: `${secret.slice(0, 4)}…` });
  }
  return found;
}

export function findLeaks(): { where: string; secret: string }[] {
  return leaksIn(artifacts, secrets);
}

export function leakScanSummary(): { secrets: number; artifacts: number; bytes: number } {
  return { secrets: secrets.size, artifacts: artifacts.length, bytes: artifacts.reduce((n, a) => n + a.text.length, 0) };
}

/**
 * Registers the scan as the file's last `afterAll`. `minSecrets` guards against a vacuous scan (a
 * file whose runs issued no key would pass trivially).
 */
export function scanForLeaksAfterAll(options: { minSecrets?: number } = {}): void {
  afterAll(() => {
    const summary = leakScanSummary();
    reportRow("leakScan", { file: basename(expect.getState().testPath ?? "?"), ...summary, leaks: findLeaks().length });
    expect(summary.secrets, "the runs issued keys or tokens to scan for").toBeGreaterThanOrEqual(options.minSecrets ?? 1);
    expect(summary.artifacts).toBeGreaterThan(0);
    expect(findLeaks()).toEqual([]);
  });
}
