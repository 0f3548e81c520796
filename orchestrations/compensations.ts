import type * as df from "durable-functions";
import { runLog } from "./runLog";
import type { Step } from "./steps";

/** Why the run unwinds: a stage failed, or an operator cancelled. */
export type UnwindReason = "Failed" | "Cancelled";

/** Undoes one change a step made. It must not throw for an expected failure (it logs and returns). */
export type Undo = (reason: UnwindReason) => Step<void>;

/**
 * The saga's ledger. A step that changes something the run may have to take back registers how to
 * undo it ("delete the deployment I created", "restore the traffic split I changed"); when a later
 * step fails or the run is cancelled, `unwind` runs the undos newest first. Once the change is meant
 * to stay (the new deployment took all traffic) the run commits and the ledger empties.
 */
export class Compensations {
  private readonly entries: { name: string; undo: Undo; key?: string }[] = [];

  constructor(private readonly ctx: df.OrchestrationContext) {}

  register(name: string, undo: Undo): void {
    this.entries.push({ name, undo });
  }

  /**
   * Registers an undo unless one with the same key is pending: the oldest undo of a kind is the one
   * that restores the state before the run (a canary's steps all restore to the split before the first).
   */
  registerOnce(key: string, name: string, undo: Undo): void {
    if (this.entries.some((e) => e.key === key)) return;
    this.entries.push({ name, undo, key });
  }

  /** The run took back the change registered under `key` itself: nothing is left to undo for it. */
  settle(key: string): void {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /** The names still to undo, newest first (for logs and tests). */
  pending(): string[] {
    return this.entries.map((e) => e.name).reverse();
  }

  /** The changes made so far are meant to stay: nothing is undone after this. */
  commit(): void {
    this.entries.length = 0;
  }

  /** Runs every registered undo, newest first; one that throws does not stop the others. */
  *unwind(reason: UnwindReason): Step<void> {
    for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) {
      try {
        yield* entry.undo(reason);
      } catch (err) {
        runLog(this.ctx, "unwind", `undo "${entry.name}" failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
