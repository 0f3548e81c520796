/**
 * The one source of "now" for code that may read the time (activities, the simulator, the local
 * runner). Orchestrators never use it: they read `context.df.currentUtcDateTime`.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
