/** A deployment of an endpoint as retention judges it. */
export interface RetainedDeployment {
  name: string;
  /** Created by flowdeploy (tagged flowdeploy.managed=true): only these are ever deleted. */
  managed: boolean;
  /** When Azure created it (systemData.createdAt); null when Azure did not say. */
  createdAt: string | null;
  /** Live and mirrored percent. */
  traffic: number;
  mirror: number;
}

/**
 * rollout.keepPrevious: the deployments to delete after a successful rollout — flowdeploy's own, at
 * 0% live and 0% mirrored, other than the new one, beyond the newest `keep`. One with traffic or a
 * mirror, one someone else created, and one whose age Azure did not report are never deleted.
 */
export function deploymentsBeyondRetention(deployments: readonly RetainedDeployment[], keep: number, newDeployment: string): string[] {
  const idle = deployments
    .filter((d) => d.name.toLowerCase() !== newDeployment.toLowerCase() && d.managed && d.traffic === 0 && d.mirror === 0 && d.createdAt !== null)
    .sort((a, b) => Date.parse(b.createdAt!) - Date.parse(a.createdAt!) || a.name.localeCompare(b.name));
  return idle.slice(keep).map((d) => d.name);
}

/**
 * A migration's retirement: the endpoint's prompt flow deployments other than the new one, idle (0%
 * live and mirrored), beyond the newest `keep` (newest by Azure's createdAt; unknown ages count as oldest).
 */
export function promptFlowToRetire(deployments: readonly { name: string; promptFlow: boolean; traffic: number; mirror: number; createdAt: string | null }[], newDeployment: string, keep: number): string[] {
  return deployments
    .filter((d) => d.promptFlow && d.name.toLowerCase() !== newDeployment.toLowerCase() && d.traffic === 0 && d.mirror === 0)
    .sort((a, b) => (Date.parse(b.createdAt ?? "") || 0) - (Date.parse(a.createdAt ?? "") || 0) || a.name.localeCompare(b.name))
    .slice(keep)
    .map((d) => d.name);
}
