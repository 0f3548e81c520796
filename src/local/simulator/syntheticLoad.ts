import { resourceKey } from "./ids";
import { deploymentsOf } from "./resourceLookup";
import { sampleInputFor, serveMirroredCopy, serveRouted } from "./scoring";
import { minuteStart, pruneScoringMinutes, trafficAt, METRICS_RETENTION_MS, type TelemetryState } from "./scoringTelemetry";
import type { SimState } from "./stateStore";
import { routeByTraffic } from "./traffic";

/**
 * Scenario `load: {requestsPerMinute, endpoint?}`: synthetic callers, so a canary's bake has traffic
 * on a virtual clock where nobody calls the endpoint. Served lazily — when metrics are read, every
 * whole simulated minute not yet served is served first — through the simulator's own scoring path
 * (`serveRouted`: faults, readiness, propagation, connections, scoringBehaviour, the flow, and the
 * record the metrics come from), routed by the traffic split in force at that minute (kept over time,
 * `trafficAt`), and copied to the mirrored deployment by the mirror split in force then (`mirrorAt`,
 * `serveMirroredCopy`): synthetic callers send no `azureml-model-deployment` header, so Azure would
 * mirror them. The minute in progress is served once it is over, so its bucket shows no calls yet.
 *
 * This is simulator traffic: Azure's metrics come from the endpoint's real callers only.
 */

const MINUTE_MS = 60_000;

export function serveSyntheticLoad(state: SimState, now: Date): void {
  const t = state as TelemetryState;
  const load = t.load;
  if (!load) return;
  const until = minuteStart(now).getTime();
  // Minutes Azure Monitor would no longer keep are not worth serving.
  let minute = Math.max(new Date(load.servedUntil).getTime(), minuteStart(new Date(now.getTime() - METRICS_RETENTION_MS)).getTime());
  const endpoints = Object.values(state.endpoints).filter((e) => load.endpoint === undefined || e.name.toLowerCase() === load.endpoint.toLowerCase());
  for (; minute < until; minute += MINUTE_MS) {
    for (const endpoint of endpoints) {
      const key = resourceKey(endpoint.id);
      const deployments = deploymentsOf(state, endpoint);
      for (let i = 0; i < load.requestsPerMinute; i++) {
        // Spread evenly over the minute; each call sees the simulated state of its own instant.
        const at = new Date(minute + Math.floor(((i + 0.5) * MINUTE_MS) / load.requestsPerMinute));
        if (!endpoint.created || new Date(endpoint.createdAt).getTime() > at.getTime()) continue;
        // Its own round-robin counters: synthetic routing is exact (10% → 1 call in 10) whatever real calls do.
        const router = `${key}#synthetic-load`;
        const routed = routeByTraffic(state, router, trafficAt(state, key, at, endpoint.effectiveTraffic));
        const deployment = routed === undefined ? undefined : deployments.find((d) => d.name === routed);
        // No deployment with traffic: the front end's 404 names no deployment, so no metric shows it.
        if (!deployment) continue;
        const input = sampleInputFor(state, endpoint, deployment);
        serveRouted(state, endpoint, deployment, at, input);
        // The copy carries the caller's request as sent (built for the live deployment's flow).
        serveMirroredCopy(state, endpoint, router, at, input);
      }
    }
  }
  load.servedUntil = new Date(Math.max(until, new Date(load.servedUntil).getTime())).toISOString();
  pruneScoringMinutes(state, now);
}
