/**
 * Lock tokens. Service Bus sends a peek-lock delivery with a 16-byte delivery tag that is a .NET GUID
 * in its in-memory layout; the SDK turns it into the token string by swapping the byte order of the
 * first three GUID fields (4 + 2 + 2 bytes, `reorderLockToken` in @azure/service-bus), and later sends
 * that string back as a plain AMQP uuid in `$management` requests (renew-lock, update-disposition).
 *
 * The broker therefore keys locks by the uuid bytes the SDK sends back (`LockToken.bytes`), and puts
 * the reordered bytes in the delivery tag.
 */
import { randomBytes } from "node:crypto";

export interface LockToken {
  /** The bytes `$management` requests carry (the token string as a uuid). */
  readonly bytes: Buffer;
  /** Map key: lowercase hex of `bytes`. */
  readonly key: string;
}

export function newLockToken(): LockToken {
  const bytes = randomBytes(16);
  return { bytes, key: bytes.toString("hex") };
}

/** .NET GUID byte order ↔ RFC 4122 order; the swap is its own inverse. */
export function swapGuidByteOrder(b: Buffer): Buffer {
  if (b.length !== 16) return Buffer.from(b);
  const out = Buffer.from(b);
  out[0] = b[3]!;
  out[1] = b[2]!;
  out[2] = b[1]!;
  out[3] = b[0]!;
  out[4] = b[5]!;
  out[5] = b[4]!;
  out[6] = b[7]!;
  out[7] = b[6]!;
  return out;
}

/** The delivery tag for a peek-lock delivery holding `token`. */
export function deliveryTagFor(token: LockToken): Buffer {
  return swapGuidByteOrder(token.bytes);
}

/** Key of a lock token as it arrives in a `$management` request (a uuid, i.e. a 16-byte Buffer). */
export function lockKeyFromRequest(value: unknown): string | undefined {
  if (Buffer.isBuffer(value)) return value.toString("hex");
  if (typeof value === "string") return value.replace(/-/g, "").toLowerCase();
  return undefined;
}
