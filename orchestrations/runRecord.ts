import type * as df from "durable-functions";
import type { DeploymentNotification, ParityReport, StageRecord } from "../src/contracts/notification";
import type { StageName } from "../src/contracts/stages";
import type { HealthVerdict } from "../src/contracts/activities";
import type { ApprovalStatus, DeployFlowStatus } from "../src/contracts/orchestration";

export type { DeployFlowStatus };
import { AUTO_DEPLOYMENT_NAME, requestedDeploymentName, type DeployRequest } from "../src/contracts/deployRequest";
import { CancelRequested, StageFailure } from "./failures";
import type { Step } from "./steps";


/**
 * Records each stage's start, end and outcome (history time, so replays agree) and publishes them
 * as custom status after every change.
 */
export class RunRecord {
  readonly stages: StageRecord[] = [];
  readonly warnings: string[] = [];
  /** Deployments whose deletion this run started (replaced by a `replace` rollout, or the failed new one). */
  readonly deleted: string[] = [];
  /** Prompt flow deployments a migration retired once the agent served all traffic. */
  readonly retired: string[] = [];
  /** A migration's parity check, once it ran. */
  parity: ParityReport | undefined;
  readonly startedAt: string;
  /** The deployment's name: the request's, or the slot chosen for it (undefined until then). */
  deploymentName: string | undefined;
  private deploymentChoice: string | undefined;
  propagationDeadline: string | null = null;
  /** rollout.approval: the wait and its answer. */
  approval: ApprovalStatus | undefined;
  /** A canary's progress and its last analysis. */
  canary: DeployFlowStatus["canary"];
  /** False once the run ignores a cancel (traffic moving, cleanup, notification). */
  private cancellable = true;
  /** The live split the rollout started from (read at the endpoint stage; what a failed rollout restores). */
  trafficBefore: Record<string, number> | undefined;
  /** rollout.mirror while the copies bake (cleared once the mirror stops). */
  mirror: DeployFlowStatus["mirror"];
  lastAnalysis: HealthVerdict | undefined;
  /** rollout.window: when the change window opens, while the run waits for it. */
  windowOpensAt: string | undefined;
  private notification: DeployFlowStatus["notification"];
  private current: DeployFlowStatus["stage"] = "queued";

  constructor(
    private readonly ctx: df.OrchestrationContext,
    private readonly request: DeployRequest,
  ) {
    this.startedAt = ctx.df.currentUtcDateTime.toISOString();
    this.deploymentName = requestedDeploymentName(request.deployment);
  }

  /** flowdeploy chose the deployment's name (the request left it to it). */
  nameDeployment(name: string, reason: string): void {
    this.deploymentName = name;
    this.deploymentChoice = reason;
    this.publish("Running");
  }

  deletedDeployment(name: string): void {
    if (!this.deleted.includes(name)) this.deleted.push(name);
  }

  /** Adds warnings an activity reported (each once), shown in custom status and the notification. */
  warn(warnings: readonly string[] | undefined): void {
    const fresh = (warnings ?? []).filter((w) => !this.warnings.includes(w));
    if (fresh.length === 0) return;
    this.warnings.push(...fresh);
    this.publish("Running");
  }

  /** Waiting for the endpoint's lock (another deployment to it runs). */
  queue(): void {
    this.current = "queued";
    this.publish("Running");
  }

  /** The lock is held: the run begins (the first stage names itself as it starts). */
  start(): void {
    this.current = "endpoint";
  }

  /** Where the run is, for a Cancelled notification: the stage under way, or "request" before any. */
  currentStage(): StageName | "request" {
    return this.current === "queued" || this.current === "notify" || this.current === "done" ? "request" : this.current;
  }

  /** Runs `body` as stage `name`, recording it Succeeded, or Failed when it throws; `note` says which step of a repeated stage it is. */
  *stage<T>(name: StageName, body: () => Step<T>, note?: string): Step<T> {
    const record: StageRecord = { name, startedAt: this.now(), endedAt: null, outcome: "Running", ...(note ? { note } : {}) };
    this.stages.push(record);
    this.current = name;
    this.publish("Running");
    try {
      const result = yield* body();
      record.endedAt = this.now();
      record.outcome = "Succeeded";
      this.publish("Running");
      return result;
    } catch (err) {
      record.endedAt = this.now();
      // A stage that ran inside this one failed (the system-assigned grant runs while the endpoint
      // provisions): this one did not fail, it was cut short. (A stage whose own work was done is
      // closed before the next one starts: the grant on a ready endpoint follows the endpoint stage.)
      const nested = err instanceof StageFailure && err.stage !== name;
      record.outcome = err instanceof CancelRequested ? "Cancelled" : nested ? "Skipped" : "Failed";
      this.publish(err instanceof CancelRequested ? "Cancelled" : "Failed");
      throw err;
    }
  }

  /**
   * Opens a stage that began at a known instant (the propagation wait starts at the grant). An
   * instant before this run (roles granted by an earlier one, found again) starts it now, with a note;
   * one later than now (another clock's, Azure's) starts it now too: no record starts in the future.
   */
  openStage(name: StageName, startedAt: string, earlierNote?: string): StageRecord {
    const at = Date.parse(startedAt);
    const before = !(at >= Date.parse(this.startedAt));
    const now = this.now();
    const record: StageRecord = { name, startedAt: before || at > Date.parse(now) ? now : startedAt, endedAt: null, outcome: "Running", ...(before && earlierNote ? { note: earlierNote } : {}) };
    this.stages.push(record);
    this.publish("Running");
    return record;
  }

  /** The run now waits in a stage opened earlier (the propagation wait after the deployment is ready). */
  waitIn(record: StageRecord): void {
    this.current = record.name;
    this.publish("Running");
  }

  /**
   * The run ends early: stages still open end now — Cancelled by a cancel, Skipped by another stage's
   * failure (the propagation wait did not fail; it was cut short).
   */
  abort(reason: "Failed" | "Cancelled"): void {
    for (const record of this.stages) {
      if (record.endedAt !== null) continue;
      record.endedAt = this.now();
      record.outcome = reason === "Cancelled" ? "Cancelled" : "Skipped";
    }
  }

  closeStage(record: StageRecord): void {
    record.endedAt = this.now();
    record.outcome = "Succeeded";
    this.current = record.name;
    this.publish("Running");
  }

  finish(notification: DeploymentNotification, delivered = true): void {
    this.notification = delivered ? "sent" : "failed";
    this.current = "done";
    this.publish(notification.outcome === "Succeeded" || notification.outcome === "Cancelled" ? notification.outcome : "Failed");
  }

  enterNotify(): void {
    this.current = "notify";
    this.publish("Running");
  }

  now(): string {
    return this.ctx.df.currentUtcDateTime.toISOString();
  }

  /** The run's Cancellation was disarmed: from now on custom status says a cancel is not honoured. */
  cancelDisarmed(): void {
    this.cancellable = false;
    this.publish(this.lastOutcome);
  }

  /** Publishes a change of the approval, canary, mirror or analysis state. */
  changed(): void {
    this.publish("Running");
  }

  private lastOutcome: DeployFlowStatus["outcome"] = "Running";

  private publish(outcome: DeployFlowStatus["outcome"]): void {
    this.lastOutcome = outcome;
    const status: DeployFlowStatus = {
      stage: this.current,
      outcome,
      endpoint: this.request.endpoint.name,
      deployment: this.deploymentName ?? AUTO_DEPLOYMENT_NAME,
      ...(this.deploymentChoice ? { deploymentChoice: this.deploymentChoice } : {}),
      stages: this.stages.map((s) => ({ ...s })),
      propagationDeadline: this.propagationDeadline,
      ...(this.notification ? { notification: this.notification } : {}),
      ...(this.warnings.length > 0 ? { warnings: [...this.warnings] } : {}),
      ...(this.approval ? { approval: { ...this.approval } } : {}),
      ...(this.canary ? { canary: { ...this.canary } } : {}),
      cancellable: this.cancellable && outcome === "Running",
      ...(this.trafficBefore ? { trafficBefore: { ...this.trafficBefore } } : {}),
      ...(this.mirror ? { mirror: { ...this.mirror } } : {}),
      ...(this.parity ? { parity: { baseline: this.parity.baseline, cases: this.parity.cases, passed: this.parity.passed, scorePercent: this.parity.scorePercent, minScorePercent: this.parity.minScorePercent } } : {}),
      ...(this.lastAnalysis ? { lastAnalysis: this.lastAnalysis } : {}),
      ...(this.windowOpensAt ? { windowOpensAt: this.windowOpensAt } : {}),
      updatedAt: this.now(),
    };
    this.ctx.df.setCustomStatus(status);
  }
}
