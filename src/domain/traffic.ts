/**
 * Traffic policy: the new deployment takes 100% only after it passed its smoke test. Blue/green
 * keeps the previous deployments in the map at 0% (a rollback is one traffic update away); replace
 * leaves them out and deletes them once traffic has moved.
 */
export type Traffic = Record<string, number>;

export function trafficAfterRollout(current: Traffic, newDeployment: string, strategy: "blueGreen" | "replace"): Traffic {
  if (strategy === "replace") return { [newDeployment]: 100 };
  const next: Traffic = {};
  for (const name of Object.keys(current)) next[name] = 0;
  next[newDeployment] = 100;
  return next;
}

/** Deployments that served before and are replaced (strategy "replace"). */
export function replacedDeployments(previous: Traffic, newDeployment: string): string[] {
  return Object.keys(previous).filter((name) => name !== newDeployment);
}
