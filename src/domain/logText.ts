/**
 * Escapes a value that came from a message before it goes into a log line: control characters
 * (CR/LF forge new lines; ESC starts ANSI sequences), C1 controls, Unicode line separators and
 * bidirectional overrides (which reorder what an operator reads) become `\uXXXX`; a backslash is
 * doubled so an escape cannot be faked. Long values are cut (docs/security.md, row L1).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const MAX_LOGGED_CHARS = 200;

export function logText(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  const cut = text.length > MAX_LOGGED_CHARS ? `${text.slice(0, MAX_LOGGED_CHARS)}…` : text;
  return cut.replace(UNSAFE, (c) => (c === "\\" ? "\\\\" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}
