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
  if (deployment.image && RETIRING_IMAGES.test(deployment.image)) return true;
  return Object.keys(deployment.environmentVariables).some((name) => name.toUpperCase() === "PROMPTFLOW_RUN_MODE");
}
