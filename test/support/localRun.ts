import type { LocalRunOptions, LocalRunResult } from "../../src/local/localRun";
import { runLocalDeployment } from "../../src/local/localRun";
import { sampleRequest } from "./samples";

/** Runs one deployment through the whole local stack and closes it, keeping what tests inspect. */
export async function deploy(options: LocalRunOptions = {}) {
  const result: LocalRunResult = await runLocalDeployment({ request: sampleRequest(), ...options });
  const { stack } = result;
  const snapshot = {
    notification: result.notification,
    simulatedSeconds: result.simulatedSeconds,
    state: stack.sim.state(),
    requests: stack.sim.requests(),
    counts: stack.sim.requestCounts(),
    secrets: stack.sim.secrets(),
    metrics: stack.runtime.metrics(),
    instances: stack.runtime.listInstances(),
  };
  await stack.close();
  return snapshot;
}

export const t = (iso: string) => Date.parse(iso);
