import { NonRetryableError } from "../errors";

/**
 * flowdeploy changes only what it manages: endpoints and deployments it creates carry this tag, and
 * an existing resource without it is someone else's. It is changed only when the app's setting
 * FLOWDEPLOY_ADOPT_ENDPOINTS=true says so; a `replace` rollout deletes only tagged deployments
 * (docs/security.md, row M1).
 */
export const MANAGED_TAG = "flowdeploy.managed";

export const MANAGED_TAGS: Readonly<Record<string, string>> = { [MANAGED_TAG]: "true" };

export function isManaged(tags: Record<string, string> | undefined): boolean {
  return tags?.[MANAGED_TAG] === "true";
}

/** Refuses to change an existing resource flowdeploy did not create, unless adoption is allowed. */
export function assertManagedOrAdopted(kind: "endpoint" | "deployment", name: string, tags: Record<string, string> | undefined, adopt: boolean): void {
  if (isManaged(tags) || adopt) return;
  throw new NonRetryableError(`${kind} ${name} exists and was not created by flowdeploy (no ${MANAGED_TAG} tag); it is left alone. Set FLOWDEPLOY_ADOPT_ENDPOINTS=true to let flowdeploy change it, or choose another name`, {
    code: kind === "endpoint" ? "EndpointNotManaged" : "DeploymentNotManaged",
  });
}
