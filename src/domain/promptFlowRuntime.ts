/**
 * The prompt flow serving runtime and its retirement.
 *
 * "Prompt Flow feature development ended on April 20, 2026. The feature will be fully retired on April
 * 20, 2027. On the retirement date, Prompt Flow enters read-only mode." and its container images "are
 * no longer receiving updates, including security and package updates" — promptflow-runtime,
 * promptflow-runtime-stable and promptflow-python (learn.microsoft.com, "Migrate Prompt Flow to Agent
 * Framework", and the Foundry (classic) migration page).
 */
export const PROMPT_FLOW_RETIREMENT_DATE = "2027-04-20";

/** The image the deploy-to-code how-to serves flows with; unpinned (a tag) unless FLOWDEPLOY_SERVING_IMAGE names a digest. */
export const DEFAULT_SERVING_IMAGE = "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest";

/** `registry/repository[:tag][@sha256:<64 hex>]`: the references a container registry accepts (OCI distribution). */
export const IMAGE_REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Pinned: the reference names a content digest, so a re-push of the tag cannot change what runs. */
export function isPinned(image: string): boolean {
  return /@sha256:[a-f0-9]{64}$/.test(image);
}

const RETIRING_IMAGES = /\/azureml\/promptflow\/promptflow-(?:runtime|runtime-stable|python)(?:[:@]|$)/;

/** The warning for a deployment that runs a retiring prompt flow image, or null. */
export function retiringImageWarning(image: string | null | undefined): string | null {
  if (!image || !RETIRING_IMAGES.test(image)) return null;
  return `This deployment runs a prompt flow runtime image (${image.replace(/@sha256:([a-f0-9]{12})[a-f0-9]+$/, "@sha256:$1…")}), which gets no more security or package updates; prompt flow retires on ${PROMPT_FLOW_RETIREMENT_DATE} (read-only from then). Plan the move to Microsoft Agent Framework.`;
}

/**
 * Whether a deployment runs the prompt flow runtime: its environment's image is one of the runtime
 * images, or it sets PROMPTFLOW_RUN_MODE (the deploy-to-code how-to's serving variable, which an image
 * built FROM the runtime under another name still needs).
 */
export function runsPromptFlow(deployment: { image: string | null | undefined; environmentVariables: Record<string, string | null | undefined> }): boolean {
  return promptFlowEvidence(deployment).length > 0;
}

/** Each sign of the prompt flow runtime Azure shows for a deployment, in words (the variable's name only, never its value); none: not prompt flow. */
export function promptFlowEvidence(deployment: { image: string | null | undefined; environmentVariables: Record<string, string | null | undefined> }): string[] {
  const evidence: string[] = [];
  if (isPromptFlowRuntimeImage(deployment.image)) evidence.push(`image ${deployment.image} is a prompt flow runtime image`);
  if (Object.keys(deployment.environmentVariables).some((name) => name.toUpperCase() === PROMPT_FLOW_RUN_MODE_VARIABLE)) evidence.push(`environment variable ${PROMPT_FLOW_RUN_MODE_VARIABLE} is set`);
  return evidence;
}

/** Prompt flow feature development ended, and its runtime images get no more updates (security fixes included) from this day. */
export const PROMPT_FLOW_UPDATES_ENDED_DATE = "2026-04-20";

/** Where PROMPT_FLOW_UPDATES_ENDED_DATE and PROMPT_FLOW_RETIREMENT_DATE come from (docs/agents.md has the quotes). */
export const PROMPT_FLOW_RETIREMENT_SOURCE = 'Microsoft Learn, "Migrate Prompt Flow to Agent Framework" (learn.microsoft.com/azure/machine-learning/prompt-flow/migrate-prompt-flow-to-agent-framework)';

/** The serving variable prompt flow's deploy-to-code sets; an image built FROM the runtime under another name still needs it. */
export const PROMPT_FLOW_RUN_MODE_VARIABLE = "PROMPTFLOW_RUN_MODE";

/** Whether an image reference is one of the prompt flow runtime images (promptflow-runtime, -runtime-stable, promptflow-python, in any registry that mirrors that path). */
export function isPromptFlowRuntimeImage(image: string | null | undefined): boolean {
  return Boolean(image && RETIRING_IMAGES.test(image));
}
