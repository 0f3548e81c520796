import { describeTransientCases, GROUPS, groupSelector, type TransientCase } from "./support/transient";
import { scanForLeaksAfterAll } from "./support/leaks";

/**
 * Promise 1 (part 1: throttling, PrincipalNotFound, scoring before propagation): transient faults are
 * survived. Two layers absorb them: the SDK's own retry policy (core-rest-pipeline: 3 retries; 429
 * and 503 with Retry-After wait that many *real* seconds) and, past it, the orchestrator (a retryable
 * PipelineError is retried on a durable timer: the Retry-After, else 5 s doubling, 5 attempts).
 * Bursts of 4 are one more than the SDK retries, so every group's burst reaches the orchestrator's
 * layer. Retry-After stays 0-1 s to keep the suite fast. The 5xx and connection-reset cases, whose
 * SDK back-off sleeps real seconds, are in transientNetworkFaults.test.ts (run in parallel).
 */
scanForLeaksAfterAll();

const burst429 = (group: string): TransientCase => ({
  label: `429 ×4, Retry-After 0, on ${group}.*`,
  faults: [{ op: groupSelector(group), status: 429, retryAfterSeconds: 0, times: 4 }],
  faulted: 4,
  // The 4 faulted answers, plus what the retried activity had already read before the fault.
  maxExtraCalls: 8,
  maxExtraSimulatedSeconds: 60,
});

const cases: TransientCase[] = [
  ...GROUPS.map(burst429),
  {
    label: "503 ×4, Retry-After 0, on every ARM call (*)",
    faults: [{ op: "*", status: 503, retryAfterSeconds: 0, times: 4 }],
    faulted: 4,
    maxExtraCalls: 8,
    maxExtraSimulatedSeconds: 60,
  },
  {
    label: "PrincipalNotFound (400) ×3 on roleAssignments.create, right after the principal appears",
    faults: [{ op: "roleAssignments.create", status: 400, code: "PrincipalNotFound", message: "Principal 0000 does not exist in the directory.", times: 3 }],
    faulted: 3,
    maxExtraCalls: 3,
    // Retried every 10 s: the grant, and so the propagation deadline, moves 30 s.
    maxExtraSimulatedSeconds: 60,
  },
  {
    label: "scoring 401 ×3 before the key is accepted",
    faults: [{ op: "score", status: 401, times: 3 }],
    faulted: 3,
    // Each smoke-test attempt is 3 calls (GET endpoint, listKeys, score), 60 s apart.
    maxExtraCalls: 9,
    maxExtraSimulatedSeconds: 3 * 60 + 30,
  },
  {
    label: "scoring 424 access denied ×3 (injected)",
    faults: [{ op: "score", status: 424, message: "Access denied to list workspace secret due to invalid authentication.", times: 3 }],
    faulted: 3,
    maxExtraCalls: 9,
    maxExtraSimulatedSeconds: 3 * 60 + 30,
  },
  {
    label: "scoring 424 until the grant takes effect (propagation 19 min > the 16-min wait)",
    scenario: { latency: { propagationSeconds: 19 * 60 } },
    faulted: (run) => run.requests.filter((r) => r.operation === "score" && r.status === 424).length,
    maxExtraCalls: 12,
    maxExtraSimulatedSeconds: 4 * 60 + 30,
  },
  {
    label: "scoring 503 ×2 (Retry-After 0) and a connection reset",
    faults: [
      { op: "score", status: 503, retryAfterSeconds: 0, times: 2 },
      { op: "score", reset: true, times: 1 },
    ],
    faulted: 3,
    maxExtraCalls: 9,
    maxExtraSimulatedSeconds: 60,
  },
];

describeTransientCases("transient faults are survived: throttling, replication, propagation", cases);
