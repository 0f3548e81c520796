import { z } from "zod";
import { assetName, assetVersion, isoTimestamp, requiredOr, SchemaVersion, WorkspaceRef } from "./common";
import { ErrorStage, StageName } from "./stages";

/**
 * Cancelled: an operator cancelled the run before traffic moved (`POST /api/deployments/{id}/cancel`).
 * AwaitingApproval: not an end — the run passed its smoke test and waits for a person's approval
 * (`rollout.approval`); the outcome follows in a later notification.
 */
export const OUTCOMES = ["Succeeded", "Failed", "Rejected", "Cancelled", "AwaitingApproval"] as const;
export const Outcome = z.enum(OUTCOMES, { error: requiredOr("Succeeded, Failed, Rejected, Cancelled or AwaitingApproval") });
export type Outcome = z.infer<typeof Outcome>;

export const StageRecord = z.object({
  name: StageName,
  startedAt: isoTimestamp,
  endedAt: isoTimestamp.nullable(),
  /** Running until it ends (endedAt null); Skipped: cut short by another stage's failure; Cancelled: by an operator. */
  outcome: z.enum(["Running", "Succeeded", "Failed", "Skipped", "Cancelled"], { error: requiredOr("Running, Succeeded, Failed, Skipped or Cancelled") }),
  /** What the record alone would not say, e.g. that the roles were granted before this run and are already in effect. */
  note: z.string().optional(),
});
export type StageRecord = z.infer<typeof StageRecord>;

export const NotificationError = z.object({
  stage: ErrorStage,
  code: z.string({ error: requiredOr("a string") }).min(1),
  message: z.string({ error: requiredOr("a string") }),
});
export type NotificationError = z.infer<typeof NotificationError>;

/** At most this many failing parity cases travel in a notification (the score counts them all). */
export const MAX_REPORTED_PARITY_CASES = 20;

/**
 * A migration's parity check: the same inputs scored on the prompt flow deployment (`baseline`) and
 * the agent (`candidate`), compared by the request's rules. Reasons quote at most a short excerpt of
 * an answer, never a key or token.
 */
export const ParityReport = z.object({
  baseline: z.string(),
  candidate: z.string(),
  cases: z.number().int().min(0),
  passed: z.number().int().min(0),
  scorePercent: z.number().min(0).max(100),
  minScorePercent: z.number().min(0).max(100),
  failing: z.array(z.object({ index: z.number().int().min(0), reasons: z.array(z.string()) })).max(MAX_REPORTED_PARITY_CASES),
});
export type ParityReport = z.infer<typeof ParityReport>;

/**
 * The outcome of a deployment, published on the notifications topic. Carries the scoring URI but
 * never a key or token. Rejected requests may lack what could not be parsed, so most fields are
 * nullable.
 */
export const DeploymentNotification = z
  .object({
    schemaVersion: SchemaVersion,
    outcome: Outcome,
    requestId: z.string({ error: requiredOr("a string") }).nullable(),
    /**
     * The content digest of the request this notification answers (`r-` + 32 hex; the queue message id
     * flowdeploy's client gives it). Two different bodies sent under one request id have different
     * digests: a sender tells its own answer from the other's. Absent when the body could not be read.
     */
    requestDigest: z.string().regex(/^r-[0-9a-f]{32}$/).optional(),
    instanceId: z.string({ error: requiredOr("a string") }).nullable(),
    workspace: WorkspaceRef.nullable(),
    endpoint: z.object({ name: z.string(), scoringUri: z.string().nullable() }).nullable(),
    deployment: z.object({ name: z.string() }).nullable(),
    /** The model deployed; `registered`: this run registered that version from the flow (false: it existed). */
    model: z.object({ name: assetName, version: assetVersion, registered: z.boolean().optional() }).nullable(),
    /** Traffic of the endpoint after the run: deployment name → percent. */
    traffic: z.record(z.string(), z.number().int().min(0).max(100)),
    stages: z.array(StageRecord),
    error: NotificationError.nullable(),
    /** Deployments this run started deleting: those a `replace` rollout replaced, or its own failed one (cleanup). */
    deletedDeployments: z.array(z.string()).optional(),
    /** What the request deployed: a prompt flow, a registered model, or an agent (whose `model` names its code asset version). */
    target: z.enum(["flow", "model", "agent"]).optional(),
    /** A migration's parity check, when it ran (pass or fail). */
    parity: ParityReport.optional(),
    /** Prompt flow deployments a migration retired (deleted) once the agent served all traffic. */
    retiredDeployments: z.array(z.string()).optional(),
    /** What the owner should know although the run went on, e.g. a prompt flow runtime image that retires. */
    warnings: z.array(z.string()).optional(),
    /** AwaitingApproval: until when the run waits, whom the request names, and where to answer. Later notifications: who answered. */
    approval: z
      .object({
        requestedAt: isoTimestamp,
        expiresAt: isoTimestamp,
        approvers: z.array(z.string()).optional(),
        decision: z.enum(["approved", "rejected"]).optional(),
        by: z.string().optional(),
        reason: z.string().optional(),
      })
      .optional(),
    startedAt: isoTimestamp,
    endedAt: isoTimestamp,
  })
  .superRefine((n, ctx) => {
    const errorless = n.outcome === "Succeeded" || n.outcome === "AwaitingApproval";
    if (errorless && n.error !== null) ctx.addIssue({ code: "custom", path: ["error"], message: `a ${n.outcome} notification has no error` });
    if (!errorless && n.error === null) ctx.addIssue({ code: "custom", path: ["error"], message: `required for ${n.outcome} notifications` });
    if (n.outcome === "AwaitingApproval" && !n.approval) ctx.addIssue({ code: "custom", path: ["approval"], message: "required for AwaitingApproval notifications" });
    const total = Object.values(n.traffic).reduce((a, b) => a + b, 0);
    if (total !== 0 && total !== 100) ctx.addIssue({ code: "custom", path: ["traffic"], message: `traffic adds up to ${total}; Azure requires 0 or 100` });
  });
export type DeploymentNotification = z.infer<typeof DeploymentNotification>;
