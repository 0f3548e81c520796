import type { DeploymentNotification, StageRecord } from "../contracts/notification";
import { logText } from "../domain/logText";
import type { DeployFlowStatus } from "../contracts/orchestration";
import type { RunnerEvent } from "./runner";
import { rolloutProgress } from "../domain/rolloutProgress";

/**
 * `flowdeploy serve`'s log lines about deployments, from what the runner reports: each stage as it
 * starts and ends, and each run's outcome. Every line starts `instance=<id>`, then `stage=<name>`
 * where it concerns a stage and `outcome=<…>` where something ended, so a person can follow one
 * deployment among several, and `grep instance=deploy-…` finds all of it:
 *
 *   instance=deploy-440e… stage=endpoint started
 *   instance=deploy-440e… stage=endpoint outcome=Succeeded 1m30s
 *   instance=deploy-440e… stage=traffic baking step 1 of 3: 10% live until 10:48:00
 *   instance=deploy-440e… outcome=Succeeded web-classify/green request=web-classification-2026-11-23-001
 *
 * Times are the runner clock's (simulated: `--time-scale`), as in the stage records.
 */
export function deploymentLogger(log: (line: string) => void): (event: RunnerEvent) => void {
  /** Per instance, the outcome last printed for each stage record (by position: a stage may repeat). */
  const printed = new Map<string, Map<number, StageRecord["outcome"]>>();
  /** Per instance, the status last seen: what the rollout does between stage records (src/domain/rolloutProgress.ts). */
  const statuses = new Map<string, DeployFlowStatus>();
  return (event) => {
    const id = `instance=${logText(event.instanceId)}`;
    switch (event.type) {
      case "customStatus": {
        const stages = (event.customStatus as { stages?: StageRecord[] } | null)?.stages;
        if (!Array.isArray(stages)) return;
        const seen = printed.get(event.instanceId) ?? new Map<number, StageRecord["outcome"]>();
        printed.set(event.instanceId, seen);
        // rank at the same time: a stage that ran before ends (0), then stages start (1), then those that took no time end (2).
        const lines: { at: string; rank: number; text: string }[] = [];
        stages.forEach((stage, i) => {
          const before = seen.get(i);
          if (before === stage.outcome) return;
          const name = `stage=${logText(stage.name)}`;
          if (before === undefined) lines.push({ at: stage.startedAt, rank: 1, text: `${id} ${name} started` });
          if (stage.outcome !== "Running") {
            const took = stage.endedAt ? ` ${duration(Date.parse(stage.endedAt) - Date.parse(stage.startedAt))}` : "";
            const note = stage.note ? ` (${logText(stage.note)})` : "";
            const at = stage.endedAt ?? stage.startedAt;
            lines.push({ at, rank: at === stage.startedAt ? 2 : 0, text: `${id} ${name} outcome=${stage.outcome}${took}${note}` });
          }
          seen.set(i, stage.outcome);
        });
        // Stage lines in time order (a stage that ends before another starts prints first).
        lines.sort((a, b) => a.at.localeCompare(b.at) || a.rank - b.rank);
        for (const line of lines) log(line.text);
        const status = event.customStatus as DeployFlowStatus;
        for (const p of rolloutProgress(statuses.get(event.instanceId), status)) log(`${id} stage=${p.stage} ${p.event} ${logText(p.note)}`);
        statuses.set(event.instanceId, status);
        return;
      }
      case "completed": {
        printed.delete(event.instanceId);
        statuses.delete(event.instanceId);
        const n = event.output as Partial<DeploymentNotification> | null;
        if (!n || typeof n.outcome !== "string") return log(`${id} outcome=Completed`);
        const target = `${logText(n.endpoint?.name ?? "-")}/${logText(n.deployment?.name ?? "-")}`;
        const error = n.error ? ` stage=${logText(n.error.stage)} error=${logText(n.error.code)}: ${logText(n.error.message)}` : "";
        return log(`${id} outcome=${logText(n.outcome)} ${target} request=${logText(n.requestId ?? "-")}${error}`);
      }
      case "failed":
        printed.delete(event.instanceId);
        statuses.delete(event.instanceId);
        return log(`${id} outcome=Failed the orchestration failed: ${logText(event.message)}`);
      case "terminated":
        printed.delete(event.instanceId);
        statuses.delete(event.instanceId);
        return log(`${id} outcome=Terminated ${logText(event.reason)}`);
      default:
        return;
    }
  };
}

/** `1m30s`, `45s`, `2h05m`. */
function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  return m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}
