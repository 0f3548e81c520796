import { z } from "zod";
import { requiredOr } from "./common";

/**
 * The one list of stage names. A deployment runs these stages in this order (propagation overlaps
 * model and deployment; parity only in a migration; approval only when the request asks for it; a canary alternates traffic and
 * analysis per step); notifications, custom status, errors and the orchestrator's steps all name them
 * from here.
 */
export const STAGE_NAMES = ["endpoint", "roles", "model", "deployment", "propagation", "smokeTest", "parity", "approval", "traffic", "analysis"] as const;
export const StageName = z.enum(STAGE_NAMES, { error: requiredOr(`one of ${STAGE_NAMES.join(", ")}`) });
export type StageName = z.infer<typeof StageName>;

/**
 * Where an error arose: a stage; "request" for input refused before any stage ran (a rejection, the
 * lock, the lock wait); "notify" for the outcome notification that could not be published (the run
 * logs it and its status says `notification: "failed"`; no notification can carry it).
 */
export const ERROR_STAGES = ["request", ...STAGE_NAMES, "notify"] as const;
export const ErrorStage = z.enum(ERROR_STAGES, { error: requiredOr(`one of ${ERROR_STAGES.join(", ")}`) });
export type ErrorStage = z.infer<typeof ErrorStage>;

/**
 * Where a run is, as its custom status shows it: queued for the endpoint's lock, in a stage,
 * publishing its outcome, or done.
 */
export const RUN_POSITIONS = ["queued", ...STAGE_NAMES, "notify", "done"] as const;
export type RunPosition = (typeof RUN_POSITIONS)[number];
