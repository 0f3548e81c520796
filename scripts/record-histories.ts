/**
 * Records the deployFlow histories replayed by test/orchestrations/deployFlow.history.test.ts (the
 * determinism gate). Re-record ONLY for a deliberate, versioned change to the orchestrator: in-flight
 * orchestrations replay their old histories, so a change that fails the gate would break them.
 *   npx tsx scripts/record-histories.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runLocalDeployment } from "../src/local/localRun";
import { instanceIdFor } from "../src/domain/ids";
import { sampleRequest } from "../test/support/samples";

const cases: { file: string; scenario?: Record<string, unknown> }[] = [
  { file: "deployFlow.succeeded.json" },
  { file: "deployFlow.blueGreen.json", scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] } },
  { file: "deployFlow.imagePullFailure.json", scenario: { faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure" }] } },
];

async function main(): Promise<void> {
  const dir = join(__dirname, "..", "test", "fixtures", "histories");
  mkdirSync(dir, { recursive: true });
  for (const c of cases) {
    const request = sampleRequest();
    const result = await runLocalDeployment({ request, startAt: new Date("2026-11-23T10:00:00.000Z"), ...(c.scenario ? { scenario: c.scenario } : {}) });
    const events = result.stack.runtime.getHistory(instanceIdFor(request.requestId));
    await result.stack.close();
    writeFileSync(join(dir, c.file), `${JSON.stringify(events, null, 1)}\n`);
    console.log(`recorded ${c.file}: ${events.length} events, ${result.notification.outcome}`);
  }
}

void main();
