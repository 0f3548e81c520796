import type { ParityRules } from "../contracts/deployRequest";
import { canonicalJson } from "./canonicalJson";

/** Cases one checkParity activity scores (each on both deployments): a batch stays within seconds. */
export const PARITY_BATCH_SIZE = 10;
/** The longest excerpt of an answer a reason quotes: enough to see the difference, too short to carry a payload. */
const EXCERPT_CHARS = 40;

function excerpt(value: unknown): string {
  const text = value === undefined ? "(missing)" : JSON.stringify(value);
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function field(answer: unknown, name: string): unknown {
  return typeof answer === "object" && answer !== null && !Array.isArray(answer) ? (answer as Record<string, unknown>)[name] : undefined;
}

/** The words of a text, lower case (letters and digits of any script). */
function words(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** Jaccard similarity of two texts' word sets: |A ∩ B| / |A ∪ B|; two empty texts are identical (1). */
export function wordSimilarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 && y.size === 0) return 1;
  let shared = 0;
  for (const w of x) if (y.has(w)) shared++;
  return shared / (x.size + y.size - shared);
}

/**
 * Why the agent's answer (`candidate`) does not match the prompt flow's (`baseline`) under `rules`;
 * empty when it does. Each reason names the field and rule.
 */
export function parityReasons(baseline: unknown, candidate: unknown, rules: ParityRules): string[] {
  const reasons: string[] = [];
  for (const name of rules.requiredFields ?? []) {
    if (field(candidate, name) === undefined) reasons.push(`${name}: missing from the agent's answer`);
  }
  for (const name of rules.exactFields ?? []) {
    const b = field(baseline, name);
    const c = field(candidate, name);
    if (b === undefined && c === undefined) reasons.push(`${name}: missing from both answers`);
    // A value missing from one answer differs too: canonicalJson(undefined) is undefined, never a JSON text.
    else if (canonicalJson(b) !== canonicalJson(c)) reasons.push(`${name}: agent ${excerpt(c)}, prompt flow ${excerpt(b)}`);
  }
  if (rules.numericTolerance) {
    const { absolute } = rules.numericTolerance;
    for (const name of rules.numericTolerance.fields) {
      const b = field(baseline, name);
      const c = field(candidate, name);
      if (typeof b !== "number" || typeof c !== "number") reasons.push(`${name}: not a number in both answers (agent ${excerpt(c)}, prompt flow ${excerpt(b)})`);
      else if (Math.abs(b - c) > absolute) reasons.push(`${name}: agent ${c}, prompt flow ${b}, ${Number(Math.abs(b - c).toPrecision(6))} apart (tolerance ${absolute})`);
    }
  }
  if (rules.similarity) {
    const { threshold } = rules.similarity;
    for (const name of rules.similarity.fields) {
      const b = field(baseline, name);
      const c = field(candidate, name);
      if (typeof b !== "string" || typeof c !== "string") {
        reasons.push(`${name}: not text in both answers (agent ${excerpt(c)}, prompt flow ${excerpt(b)})`);
        continue;
      }
      const similarity = wordSimilarity(b, c);
      if (similarity < threshold) reasons.push(`${name}: word similarity ${similarity.toFixed(2)} below ${threshold} (agent ${excerpt(c)}, prompt flow ${excerpt(b)})`);
    }
  }
  return reasons;
}

/** The share of cases that passed, in percent with one decimal (100 for no cases: nothing disagreed). */
export function parityScore(passed: number, cases: number): number {
  return cases === 0 ? 100 : Math.round((passed / cases) * 1000) / 10;
}
