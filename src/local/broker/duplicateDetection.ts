/**
 * Duplicate detection as Service Bus does it on entities created with `requiresDuplicateDetection`:
 * a message whose `messageId` was accepted within the history window is accepted from the sender
 * (it sees success) and then dropped. The window runs on real time and restarts at each accepted
 * message, not at the dropped duplicates.
 */
import { DEFAULT_DUPLICATE_DETECTION_WINDOW_MS } from "./constants";

export class DuplicateDetector {
  /** messageId → time it was first accepted; Map keeps insertion (= time) order, so pruning reads the front. */
  private readonly seen = new Map<string, number>();

  constructor(
    readonly windowMs: number = DEFAULT_DUPLICATE_DETECTION_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `messageId` is a duplicate (drop it); otherwise records it and returns false. */
  isDuplicate(messageId: string): boolean {
    const t = this.now();
    this.prune(t);
    if (this.seen.has(messageId)) return true;
    this.seen.set(messageId, t);
    return false;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(t: number): void {
    for (const [id, at] of this.seen) {
      if (t - at < this.windowMs) break;
      this.seen.delete(id);
    }
  }
}
