/** A pending durable timer, as the runtime arms it. */
export interface TimerEntry {
  at: number;
  instanceId: string;
  executionId: string;
  taskId: number;
  fireAt: string;
}

/**
 * Binary min-heap of timers by fire time (ties in insertion order). Cancelled or obsolete timers are
 * not removed eagerly: the runtime drops them when they reach the top (`isLive`), so cancelling is O(1)
 * and the earliest live timer is found in O(log n) amortized.
 */
export class TimerQueue {
  private readonly heap: Array<TimerEntry & { seq: number }> = [];
  private seq = 0;

  constructor(private readonly isLive: (t: TimerEntry) => boolean) {}

  get size(): number {
    return this.heap.length;
  }

  push(entry: TimerEntry): void {
    this.heap.push({ ...entry, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  /** The earliest live timer, without removing it. */
  peek(): TimerEntry | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0] as TimerEntry & { seq: number };
      if (this.isLive(top)) return top;
      this.pop();
    }
    return undefined;
  }

  /** Removes and returns the earliest live timer due at or before `nowMs`. */
  popDue(nowMs: number): TimerEntry | undefined {
    const top = this.peek();
    if (!top || top.at > nowMs) return undefined;
    this.pop();
    return top;
  }

  private pop(): void {
    const last = this.heap.pop();
    if (last && this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i] as TimerEntry & { seq: number };
    const b = this.heap[j] as TimerEntry & { seq: number };
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i] as TimerEntry & { seq: number };
    this.heap[i] = this.heap[j] as TimerEntry & { seq: number };
    this.heap[j] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (r < this.heap.length && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
