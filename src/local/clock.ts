import type { Clock } from "../domain/clock";

/**
 * A clock the local durable runner moves by hand. The runner advances it to the next durable timer
 * when nothing else can run, so a 16-minute propagation wait passes in microseconds; the simulator
 * reads the same clock, so its long-running operations and permission propagation agree with the
 * orchestration's timers.
 */
export class VirtualClock implements Clock {
  private currentMs: number;

  constructor(start: Date | string = "2026-01-01T00:00:00.000Z") {
    this.currentMs = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  /** Moves time forward to `to`; never backwards. */
  advanceTo(to: Date | string): void {
    const target = new Date(to).getTime();
    if (target > this.currentMs) this.currentMs = target;
  }

  advanceBy(ms: number): void {
    if (ms > 0) this.currentMs += ms;
  }
}

/**
 * Real time, sped up: `scale` simulated seconds pass per real second (scale 1 = real time).
 * Used by `--time-scale N` so a person can watch a deployment take minutes instead of half an hour.
 */
export class ScaledClock implements Clock {
  private readonly realStartMs = Date.now();
  private readonly simStartMs: number;

  constructor(
    readonly scale: number,
    start: Date = new Date(),
  ) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`time scale must be a positive number, got ${scale}`);
    this.simStartMs = start.getTime();
  }

  now(): Date {
    return new Date(this.simStartMs + (Date.now() - this.realStartMs) * this.scale);
  }

  /** Real milliseconds until the simulated time `at`. */
  realDelayUntil(at: Date): number {
    return Math.max(0, (at.getTime() - this.now().getTime()) / this.scale);
  }
}
