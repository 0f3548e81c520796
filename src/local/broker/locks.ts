/**
 * Peek-locks of one entity. A lock belongs to one delivery of one message: settling with the token (or
 * the rhea delivery) of an earlier, expired delivery fails with "lock lost" even when the same message
 * is locked again by a redelivery, as in Service Bus.
 */
import type { Delivery } from "rhea";
import { type LockToken, newLockToken } from "./lockToken";
import type { StoredMessage } from "./messageCodec";

export interface Lock {
  readonly token: LockToken;
  readonly message: StoredMessage;
  lockedUntil: number;
  /** The transfer that carried it; absent for locks taken by receive-by-sequence-number (deferred messages). */
  delivery?: Delivery;
  timer?: NodeJS.Timeout;
}

export class LockTable {
  private readonly byKey = new Map<string, Lock>();
  private readonly byDelivery = new WeakMap<Delivery, Lock>();
  private readonly lockedMessages = new WeakSet<StoredMessage>();

  constructor(
    private readonly lockDurationMs: number,
    private readonly onExpired: (lock: Lock) => void,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  take(message: StoredMessage, now = Date.now()): Lock {
    const lock: Lock = { token: newLockToken(), message, lockedUntil: now + this.lockDurationMs };
    this.byKey.set(lock.token.key, lock);
    this.lockedMessages.add(message);
    this.arm(lock, now);
    return lock;
  }

  bindDelivery(lock: Lock, delivery: Delivery): void {
    lock.delivery = delivery;
    this.byDelivery.set(delivery, lock);
  }

  /** The live lock for a token key; an expired lock found before its timer fired is expired now. */
  get(key: string, now = Date.now()): Lock | undefined {
    const lock = this.byKey.get(key);
    if (lock && lock.lockedUntil <= now) {
      this.expire(lock);
      return undefined;
    }
    return lock;
  }

  /** The live lock a delivery carried, or undefined when it expired, was settled, or never was a lock. */
  forDelivery(delivery: Delivery, now = Date.now()): Lock | undefined {
    const lock = this.byDelivery.get(delivery);
    if (!lock || this.byKey.get(lock.token.key) !== lock) return undefined;
    return this.get(lock.token.key, now);
  }

  /** The lock a delivery carried, live or not (to name the message in a lock-lost trace). */
  anyForDelivery(delivery: Delivery): Lock | undefined {
    return this.byDelivery.get(delivery);
  }

  isLocked(message: StoredMessage): boolean {
    return this.lockedMessages.has(message);
  }

  /** Renew-lock: Service Bus extends the lock by the entity's LockDuration from now. */
  renew(lock: Lock, now = Date.now()): number {
    lock.lockedUntil = now + this.lockDurationMs;
    this.arm(lock, now);
    return lock.lockedUntil;
  }

  /** Ends a lock because its message was settled. */
  release(lock: Lock): void {
    if (lock.timer) clearTimeout(lock.timer);
    lock.timer = undefined;
    this.byKey.delete(lock.token.key);
    this.lockedMessages.delete(lock.message);
  }

  clear(): void {
    for (const lock of this.byKey.values()) if (lock.timer) clearTimeout(lock.timer);
    this.byKey.clear();
  }

  private arm(lock: Lock, now: number): void {
    if (lock.timer) clearTimeout(lock.timer);
    lock.timer = setTimeout(() => this.expire(lock), Math.max(0, lock.lockedUntil - now));
    // Lock timers never keep a process alive on their own: the listening socket does while the broker runs.
    lock.timer.unref();
  }

  private expire(lock: Lock): void {
    if (this.byKey.get(lock.token.key) !== lock) return;
    this.release(lock);
    this.onExpired(lock);
  }
}
