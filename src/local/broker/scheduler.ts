/**
 * Scheduled messages of a queue or topic (schedule-message, or a send with
 * `scheduledEnqueueTimeUtc`). Service Bus gives a scheduled message its sequence number when it is
 * scheduled, so cancel-scheduled-message can name it, and enqueues it at the scheduled time.
 */
import type { StoredMessage } from "./messageCodec";

interface Entry {
  message: StoredMessage;
  timer: NodeJS.Timeout;
}

export class Scheduler {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly enqueue: (message: StoredMessage) => void) {}

  schedule(message: StoredMessage, at: number, now = Date.now()): void {
    message.state = "scheduled";
    const timer = setTimeout(() => {
      this.entries.delete(message.sequenceNumber);
      this.enqueue(message);
    }, Math.max(0, at - now));
    timer.unref();
    this.entries.set(message.sequenceNumber, { message, timer });
  }

  /** cancel-scheduled-message. Unknown numbers are ignored: a cancel that races the enqueue is not an error here. */
  cancel(sequenceNumber: number): StoredMessage | undefined {
    const e = this.entries.get(sequenceNumber);
    if (!e) return undefined;
    clearTimeout(e.timer);
    this.entries.delete(sequenceNumber);
    return e.message;
  }

  get size(): number {
    return this.entries.size;
  }

  messages(): StoredMessage[] {
    return [...this.entries.values()].map((e) => e.message);
  }

  clear(): void {
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
  }
}
