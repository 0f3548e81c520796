import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sourceKey } from "../../src/contracts/events";

export const repoRoot = join(__dirname, "..", "..");
/** The official Azure wire examples (copied from the team's shared fixtures; see test/fixtures/azure/README.md). */
export const azureFixtures = join(repoRoot, "test", "fixtures", "azure");

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** A fresh, mutable copy of the bundled sample deploy request. */
export function sampleRequest(): Record<string, any> {
  return readJson(join(repoRoot, "samples", "deploy-request.json"));
}

/** The sample request as a deploy target (what events carry): no requestId. */
export function sampleTarget(): Record<string, any> {
  const { requestId: _drop, ...target } = sampleRequest();
  return target;
}

/** Sets a value at a dotted path ("deployment.instanceCount"), creating objects on the way. */
export function setPath(obj: Record<string, any>, path: string, value: unknown): Record<string, any> {
  const parts = path.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) cur = cur[part] ??= {};
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return obj;
}

/** The bundled sample event (CloudEvents 1.0, PromptFlow.BulkTestPassed). */
export function sampleEvent(): Record<string, any> {
  return readJson(join(repoRoot, "samples", "bulk-test-passed.event.json"));
}

/** The request id the sample event maps to: `bulktest-<source digest>-<bulk test run id>`. */
export function sampleEventRequestId(): string {
  const event = sampleEvent();
  return `bulktest-${sourceKey(event["source"])}-${event["data"].bulkTestRunId}`;
}

/** A fresh, mutable copy of the bundled agent deploy request (samples/agents/agent.request.json). */
export function sampleAgentRequest(): Record<string, any> {
  return readJson(join(repoRoot, "samples", "agents", "agent.request.json"));
}

/** A fresh, mutable copy of the bundled migration request (samples/agents/migrate.request.json). */
export function sampleMigrationRequest(): Record<string, any> {
  return readJson(join(repoRoot, "samples", "agents", "migrate.request.json"));
}
