import { describeTransientCases, type TransientCase } from "./support/transient";
import { scanForLeaksAfterAll } from "./support/leaks";

/**
 * Promise 1 (part 2: 5xx, resets and real Retry-After waits): the SDK retries a 5xx or a reset
 * after an exponential back-off of *real* time (0.5-1 s, 1-2 s, 2-4 s), and 429/503 after their
 * Retry-After in real seconds, so these cases cost wall time and are kept few. A burst of 4 outlasts
 * the SDK's 3 retries and is retried by the orchestrator (5 s back-off on a durable timer). Every ARM
 * operation group gets its 429 burst in transientFaults.test.ts.
 */
scanForLeaksAfterAll();

const cases: TransientCase[] = [
  {
    label: "429 ×4, Retry-After 1 s, on onlineDeployments.createOrUpdate",
    faults: [{ op: "onlineDeployments.createOrUpdate", status: 429, retryAfterSeconds: 1, times: 4 }],
    faulted: 4,
    // The SDK waits 1 real second 3 times, then the orchestrator 1 simulated second; the retried
    // startDeployment reads the deployment and PUTs the environment version again.
    maxExtraCalls: 8,
    maxExtraSimulatedSeconds: 60,
  },
  {
    label: "500 ×1 on every ARM call (*)",
    faults: [{ op: "*", status: 500, times: 1 }],
    faulted: 1,
    maxExtraCalls: 1,
    maxExtraSimulatedSeconds: 30,
  },
  {
    label: "502 ×4 on onlineDeployments.createOrUpdate (no Retry-After)",
    faults: [{ op: "onlineDeployments.createOrUpdate", status: 502, times: 4 }],
    faulted: 4,
    maxExtraCalls: 8,
    maxExtraSimulatedSeconds: 60,
  },
  {
    label: "connection reset ×2 on every ARM call (*)",
    faults: [{ op: "*", reset: true, times: 2 }],
    faulted: 2,
    maxExtraCalls: 2,
    maxExtraSimulatedSeconds: 30,
  },
  {
    label: "connection reset ×4 on roleAssignments.create",
    faults: [{ op: "roleAssignments.create", reset: true, times: 4 }],
    faulted: 4,
    maxExtraCalls: 4,
    maxExtraSimulatedSeconds: 60,
  },
];

describeTransientCases("transient faults are survived: 5xx and connection resets", cases);
