/**
 * Entity paths as the SDK uses them in link addresses and CBS audiences:
 *   `<queue>` and `<topic>` (send), `<queue>` and `<topic>/Subscriptions/<sub>` (receive),
 *   `<entity>/$DeadLetterQueue`, `<entity>/$management`, and `$cbs`.
 * Service Bus entity names are case-insensitive, and so is the `Subscriptions` segment.
 */
import { CBS_ADDRESS, DEAD_LETTER_SUFFIX, MANAGEMENT_SUFFIX } from "./constants";

export interface ParsedPath {
  /** Queue or topic name as written. */
  entity: string;
  subscription?: string;
  deadLetter: boolean;
  management: boolean;
}

export function isCbsAddress(address: string | undefined): boolean {
  return address === CBS_ADDRESS;
}

/** Parses a link address or a CBS audience (`sb://host:port/<path>`). Undefined when it is no entity path. */
export function parseEntityPath(addressOrAudience: string | undefined): ParsedPath | undefined {
  if (!addressOrAudience) return undefined;
  let path = addressOrAudience;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    try {
      path = decodeURIComponent(new URL(path).pathname);
    } catch {
      return undefined;
    }
  }
  const segments = path.split("/").filter((s) => s.length > 0);
  let management = false;
  let deadLetter = false;
  if (segments.length > 0 && segments[segments.length - 1]!.toLowerCase() === MANAGEMENT_SUFFIX.toLowerCase()) {
    management = true;
    segments.pop();
  }
  if (segments.length > 0 && segments[segments.length - 1]!.toLowerCase() === DEAD_LETTER_SUFFIX.toLowerCase()) {
    deadLetter = true;
    segments.pop();
  }
  if (segments.length === 1) return { entity: segments[0]!, deadLetter, management };
  if (segments.length === 3 && segments[1]!.toLowerCase() === "subscriptions") {
    return { entity: segments[0]!, subscription: segments[2]!, deadLetter, management };
  }
  return undefined;
}

export function subscriptionPath(topic: string, subscription: string): string {
  return `${topic}/Subscriptions/${subscription}`;
}

export function deadLetterPath(path: string): string {
  return `${path}/${DEAD_LETTER_SUFFIX}`;
}
