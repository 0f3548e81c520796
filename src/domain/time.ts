/**
 * Pure time arithmetic for the orchestrator: it passes `context.df.currentUtcDateTime` in, so
 * replays compute the same instants.
 */

export function addSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}

export function secondsBetween(from: Date | string, to: Date | string): number {
  return (new Date(to).getTime() - new Date(from).getTime()) / 1000;
}

/**
 * When the roles granted at `grantedAt` can be relied on: the wait counts from the grant, never less
 * than the target's documented minimum (src/domain/targets.ts), and overlaps the deployment instead of
 * following it.
 */
export function propagationDeadline(grantedAt: Date | string, minutes: number, minimumMinutes: number): Date {
  return addSeconds(new Date(grantedAt), Math.max(minutes, minimumMinutes) * 60);
}

/** The later of two instants. */
export function later(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}
