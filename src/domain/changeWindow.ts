/** rollout.window: the days and UTC hours in which live traffic may move. */
export interface ChangeWindow {
  days: readonly Weekday[];
  /** "HH:MM", UTC. A window whose end is not after its start runs past midnight into the next day. */
  startUtc: string;
  endUtc: string;
}

export const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const DAY_MS = 86_400_000;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

/**
 * When the window next opens, or null when `now` is inside it. Days name the day a window opens on
 * (UTC); a window past midnight belongs to the day it opened.
 */
export function nextWindowOpening(now: Date, window: ChangeWindow): Date | null {
  const start = minutesOf(window.startUtc);
  let end = minutesOf(window.endUtc);
  if (end <= start) end += 24 * 60;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let next: number | null = null;
  // Yesterday's window may still be open (past midnight); a week ahead always holds an opening.
  for (let offset = -1; offset <= 7; offset++) {
    const day = today + offset * DAY_MS;
    if (!window.days.includes(WEEKDAYS[new Date(day).getUTCDay()]!)) continue;
    const opens = day + start * 60_000;
    const closes = day + end * 60_000;
    if (now.getTime() >= opens && now.getTime() < closes) return null;
    if (opens > now.getTime() && (next === null || opens < next)) next = opens;
  }
  return next === null ? null : new Date(next);
}
