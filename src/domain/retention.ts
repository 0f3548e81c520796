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
