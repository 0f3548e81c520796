import type { HealthVerdict } from "../contracts/activities";
import type { StageRecord } from "../contracts/notification";
import type { DeployFlowStatus } from "../contracts/orchestration";

/**
 * What a rollout is doing between stage records, told from two successive custom statuses: an
 * approval asked for (until when, from whom), a canary step or a mirror baking (until when), a wait
 * for the change window. `flowdeploy local` prints these beside the records' started/ended lines, and
 * `stageEndNote` adds the verdict's figures or the approval's answer to the line that ends its stage.
 */
export interface RolloutProgress {
  stage: "approval" | "traffic";
  event: "waiting" | "baking";
  note: string;
  /** When it was seen (the status' updatedAt, orchestration time). */
  at: string;
}

export function rolloutProgress(before: DeployFlowStatus | undefined, now: DeployFlowStatus): RolloutProgress[] {
  const at = now.updatedAt;
  const out: RolloutProgress[] = [];
  const approval = now.approval;
  if (approval && !approval.decision && !before?.approval) {
    const whom = approval.approvers && approval.approvers.length > 0 ? ` (asked: ${approval.approvers.join(", ")})` : "";
    out.push({ stage: "approval", event: "waiting", note: `for an approval until ${clock(approval.expiresAt)}${whom}`, at });
  }
  if (now.windowOpensAt && now.windowOpensAt !== before?.windowOpensAt) {
    out.push({ stage: "traffic", event: "waiting", note: `for the change window, which opens ${now.windowOpensAt.slice(0, 16).replace("T", " ")} UTC`, at });
  }
  const mirror = now.mirror;
  if (mirror?.bakeUntil && mirror.bakeUntil !== before?.mirror?.bakeUntil) {
    out.push({ stage: "traffic", event: "baking", note: `mirror ${mirror.percent}% (copies only, no live traffic) until ${clock(mirror.bakeUntil)}`, at });
  }
  const canary = now.canary;
  if (canary?.bakeUntil && (canary.bakeUntil !== before?.canary?.bakeUntil || canary.step !== before?.canary?.step)) {
    out.push({ stage: "traffic", event: "baking", note: `step ${canary.step} of ${canary.of}: ${canary.percent}% live until ${clock(canary.bakeUntil)}`, at });
  }
  return out;
}

/**
 * The note for the line that ends a stage, from the status that ended it: an analysis' verdict with
 * its figures, a parity check's score, an approval's answer; otherwise the record's own note.
 */
export function stageEndNote(stage: StageRecord, status: DeployFlowStatus): string | undefined {
  if (stage.name === "analysis" && status.lastAnalysis) return verdictNote(status.lastAnalysis);
  if (stage.name === "parity" && status.parity) return parityNote(status.parity);
  if (stage.name === "approval" && status.approval?.decision) {
    const a = status.approval;
    return `${a.decision} by ${a.by ?? "?"}${a.reason ? `: ${a.reason}` : ""}`;
  }
  return undefined;
}

/** `10:33:00` of an ISO instant (the runner's clock, as the stage lines print it). */
function clock(iso: string): string {
  return iso.slice(11, 19);
}

/** A health verdict in one line: `unhealthy: 60 requests, 20% errors, p95 900 ms — <each limit breached>`. */
export function verdictNote(v: HealthVerdict): string {
  const figures = `${v.requests} requests, ${v.errorRatePercent ?? "-"}% errors, p95 ${v.p95LatencyMs ?? "-"} ms`;
  return `${v.verdict}: ${figures}${v.reasons.length > 0 ? ` — ${v.reasons.join("; ")}` : ""}`;
}

/** A parity check in one line: `5 of 6 cases match blue (83.3%; at least 100% needed)`. */
export function parityNote(p: NonNullable<DeployFlowStatus["parity"]>): string {
  return `${p.passed} of ${p.cases} cases match ${p.baseline} (${p.scorePercent}%; at least ${p.minScorePercent}% needed)`;
}
