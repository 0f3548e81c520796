/**
 * Types for the few durable-functions 3.5 internals the runner's adapter (durableEngine.ts) imports.
 * The package ships no .d.ts under lib/ and has no `exports` map, so these deep paths are unsupported
 * API: only durableEngine.ts may import them.
 */
declare module "durable-functions/lib/src/history/HistoryEventType" {
  export const HistoryEventType: Record<string, number | string>;
}
declare module "durable-functions/lib/src/actions/ActionType" {
  export const ActionType: Record<string, number | string>;
}
declare module "durable-functions/lib/src/orchestrations/ReplaySchema" {
  export const ReplaySchema: Record<string, number | string>;
  export const LatestReplaySchema: number;
}
