/**
 * The available messages of an entity, lowest sequence number first. Service Bus hands out the oldest
 * available message, and an abandoned or lock-expired message goes back to its place, so a plain FIFO
 * is not enough; a binary heap keeps enqueue and take at O(log n) for any backlog.
 */
export class SequenceHeap<T extends { sequenceNumber: number }> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.sequenceNumber <= item.sequenceNumber) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = item;
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const child = r < a.length && a[r]!.sequenceNumber < a[l]!.sequenceNumber ? r : l;
      if (a[child]!.sequenceNumber >= last.sequenceNumber) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
