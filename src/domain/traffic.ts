/**
 * Traffic policy: the new deployment takes 100% only after it passed its smoke test. Blue/green
 * keeps the previous deployments in the map at 0% (a rollback is one traffic update away); replace
 * leaves them out and deletes them once traffic has moved; a canary ends as blue/green does, after
 * its steps, and so does a migration (its prompt flow deployments are then retired).
 */
export type Traffic = Record<string, number>;

export function trafficAfterRollout(current: Traffic, newDeployment: string, strategy: "blueGreen" | "replace" | "canary" | "migrate"): Traffic {
  if (strategy === "replace") return { [newDeployment]: 100 };
  return trafficAtStep(current, newDeployment, 100);
}

/**
 * The split while the new deployment serves `percent`: the deployments that served before keep their
 * proportions in what is left, in whole percents that add up to 100 (Azure refuses any other total);
 * the remainder of the rounding goes to the largest shares first.
 */
export function trafficAtStep(previous: Traffic, newDeployment: string, percent: number): Traffic {
  const others = Object.keys(previous).filter((name) => name !== newDeployment);
  const before = othersShare(previous, newDeployment);
  const left = 100 - percent;
  const next: Traffic = {};
  if (before === 0) {
    for (const name of others) next[name] = 0;
    next[newDeployment] = 100;
    return next;
  }
  const exact = others.map((name) => ({ name, share: ((previous[name] ?? 0) * left) / before }));
  for (const e of exact) next[e.name] = Math.floor(e.share);
  let remainder = left - exact.reduce((sum, e) => sum + Math.floor(e.share), 0);
  for (const e of [...exact].sort((a, b) => b.share - Math.floor(b.share) - (a.share - Math.floor(a.share)) || b.share - a.share)) {
    if (remainder <= 0) break;
    next[e.name]! += 1;
    remainder -= 1;
  }
  next[newDeployment] = percent;
  return next;
}

/** The share the deployments other than `newDeployment` serve: with none, a canary has nothing to compare with. */
export function othersShare(traffic: Traffic, newDeployment: string): number {
  return Object.entries(traffic).reduce((sum, [name, percent]) => (name === newDeployment ? sum : sum + percent), 0);
}

/** Deployments that served before and are replaced (strategy "replace"). */
export function replacedDeployments(previous: Traffic, newDeployment: string): string[] {
  return Object.keys(previous).filter((name) => name !== newDeployment);
}
