/**
 * Reads the command examples out of Markdown (test/docs/examples.test.ts): the lines of fenced `sh`
 * blocks, and inline code spans written as a whole command (`npx flowdeploy …`, `npm run …`,
 * optionally after `VAR=value`), with what the doc says about each (its comment, or for an inline
 * span the rest of the sentence).
 */

export interface DocExample {
  /** `README.md:54` (the line the command starts on). */
  where: string;
  /** The command as written: continuation lines joined, comment removed, one `&&` part. */
  text: string;
  /** The comment on its line and the comment lines right after it (fenced blocks). */
  comment: string;
  /** Inline spans: the rest of the sentence after the span. */
  prose: string;
  inline: boolean;
  /** Set on the form of a synopsis without its optional `[...]` parts. */
  derivedFrom?: string;
}

/** One shell command, as far as the examples need: `VAR=v cmd args`, `cat FILE | cmd`, `cmd < FILE`, `cmd &`, `x=$(cmd)`. */
export interface ShellCommand {
  env: Record<string, string>;
  argv: string[];
  stdinFile?: string;
  stdoutFile?: string;
  background: boolean;
  /** `x=$(cmd)`: the inner command (what the classification looks at). */
  substituted?: ShellCommand;
  /** Anything this reading does not understand (another pipe, `||`, `;`): never run. */
  unsupported?: string;
}

const FENCE = /^(\s*)```\s*([\w-]*)\s*$/;
const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console"]);
/** An inline span that is a whole command: optional `VAR=value` prefixes, then npx flowdeploy or npm run with an argument. */
const INLINE_COMMAND = /^(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|\S+)\s+)*(?:npx flowdeploy|npm run)\s+\S/;

export function extractExamples(file: string, markdown: string): DocExample[] {
  const lines = markdown.split("\n");
  const examples: DocExample[] = [];
  const prose: Array<{ line: number; text: string }> = [];
  let fence: { lang: string; indent: number } | undefined;
  let block: Array<{ line: number; text: string }> = [];
  lines.forEach((text, index) => {
    const match = FENCE.exec(text);
    if (match && !fence) {
      fence = { lang: match[2] ?? "", indent: match[1]!.length };
      block = [];
      return;
    }
    if (match && fence) {
      if (SHELL_LANGUAGES.has(fence.lang)) examples.push(...shellBlockExamples(file, block));
      fence = undefined;
      return;
    }
    if (fence) block.push({ line: index + 1, text });
    else prose.push({ line: index + 1, text });
  });
  examples.push(...inlineExamples(file, prose));
  return examples;
}

/** Logical lines of a fenced block: `\`, `&&` or `|` at the end, or a next line starting with `[` (a wrapped synopsis), continue a line. */
function shellBlockExamples(file: string, block: Array<{ line: number; text: string }>): DocExample[] {
  const logical: Array<{ line: number; text: string; comments: string[] }> = [];
  let current: { line: number; text: string; comments: string[] } | undefined;
  let continues = false;
  for (const { line, text } of block) {
    const trimmed = text.trim();
    if (trimmed === "") {
      current = undefined;
      continues = false;
      continue;
    }
    if (current && (continues || trimmed.startsWith("["))) {
      current.text = `${current.text.replace(/\\$/, "").trimEnd()} ${trimmed}`;
    } else if (trimmed.startsWith("#")) {
      // A comment line says something about the command above it.
      current?.comments.push(trimmed.replace(/^#\s*/, ""));
      continue;
    } else {
      current = { line, text: trimmed, comments: [] };
      logical.push(current);
    }
    const { code } = splitComment(current.text);
    continues = /(\\|&&|\|)\s*$/.test(code);
  }
  const examples: DocExample[] = [];
  for (const l of logical) {
    const { code, comment } = splitComment(l.text);
    const parts = splitTopLevel(code, "&&");
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      examples.push({
        where: `${file}:${l.line}`,
        text: normalizeSpace(part),
        comment: last ? [comment, ...l.comments].filter(Boolean).join(" | ") : "",
        prose: "",
        inline: false,
      });
    });
  }
  return examples;
}

function inlineExamples(file: string, prose: Array<{ line: number; text: string }>): DocExample[] {
  const examples: DocExample[] = [];
  // Paragraphs: spans may wrap across lines.
  const paragraphs: Array<{ line: number; text: string }> = [];
  let current: { line: number; text: string } | undefined;
  for (const { line, text } of prose) {
    if (text.trim() === "") {
      current = undefined;
      continue;
    }
    if (current) current.text += `\n${text}`;
    else paragraphs.push((current = { line, text }));
  }
  for (const p of paragraphs) {
    for (const span of p.text.matchAll(/`([^`]+)`/g)) {
      const content = span[1]!.replace(/\\\|/g, "|").replace(/\s+/g, " ").trim();
      if (!INLINE_COMMAND.test(content)) continue;
      const before = p.text.slice(0, span.index);
      examples.push({
        where: `${file}:${p.line + (before.match(/\n/g)?.length ?? 0)}`,
        text: normalizeSpace(content),
        comment: "",
        prose: restOfSentence(p.text.slice(span.index + span[0].length)),
        inline: true,
      });
    }
  }
  return examples;
}

/** Up to the first `.` that ends a sentence, or the end of a table cell, outside code spans. */
function restOfSentence(text: string): string {
  let inCode = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "`") inCode = !inCode;
    else if (!inCode && (c === "|" || (c === "." && (i + 1 === text.length || /\s/.test(text[i + 1]!))))) return text.slice(0, i).replace(/\s+/g, " ").trim();
  }
  return text.replace(/\s+/g, " ").trim();
}

function normalizeSpace(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** Splits `cmd  # comment` at the first `#` that starts a word outside quotes. */
export function splitComment(line: string): { code: string; comment: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "\\") i++;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
  }
  return { code: line, comment: "" };
}

/** Splits at `separator` outside quotes and `$(...)`. */
function splitTopLevel(code: string, separator: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "$" && code[i + 1] === "(") depth++;
    else if (c === ")" && depth > 0) depth--;
    else if (depth === 0 && code.startsWith(separator, i)) {
      parts.push(code.slice(start, i));
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  parts.push(code.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

type Token = { word: string } | { op: string };

/** Shell words: single and double quotes, backslashes, `$(...)` kept whole; operators `|`, `<`, `>`, `&`, `;`, `||`. */
function lex(code: string): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === " " || c === "\t") {
      flush();
    } else if (c === "|" && code[i + 1] === "|") {
      flush();
      tokens.push({ op: "||" });
      i++;
    } else if ("|<>&;".includes(c)) {
      flush();
      tokens.push({ op: c });
    } else if (c === "'") {
      const end = code.indexOf("'", i + 1);
      word = (word ?? "") + code.slice(i + 1, end < 0 ? code.length : end);
      i = end < 0 ? code.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      for (; j < code.length && code[j] !== '"'; j++) {
        if (code[j] === "\\" && j + 1 < code.length) j++;
        text += code[j];
      }
      word = (word ?? "") + text;
      i = j;
    } else if (c === "$" && code[i + 1] === "(") {
      let depth = 0;
      let j = i;
      for (; j < code.length; j++) {
        if (code[j] === "(") depth++;
        if (code[j] === ")" && --depth === 0) break;
      }
      word = (word ?? "") + code.slice(i, j + 1);
      i = j;
    } else if (c === "\\") {
      word = (word ?? "") + (code[i + 1] ?? "");
      i++;
    } else {
      word = (word ?? "") + c;
    }
  }
  flush();
  return tokens;
}

export function parseCommand(text: string): ShellCommand {
  const tokens = lex(text);
  const command: ShellCommand = { env: {}, argv: [], background: false };
  let i = 0;
  // cat FILE | ...
  const [t0, t1, t2] = tokens;
  if (t0 && "word" in t0 && t0.word === "cat" && t1 && "word" in t1 && t2 && "op" in t2 && t2.op === "|") {
    command.stdinFile = t1.word;
    i = 3;
  }
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if ("op" in t) {
      const next = tokens[i + 1];
      if ((t.op === "<" || t.op === ">") && next && "word" in next) {
        if (t.op === "<") command.stdinFile = next.word;
        else command.stdoutFile = next.word;
        i++;
      } else if (t.op === "&" && i === tokens.length - 1) {
        command.background = true;
      } else {
        command.unsupported = `operator ${t.op}`;
      }
      continue;
    }
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(t.word);
    if (assignment && command.argv.length === 0) {
      const value = assignment[2]!;
      command.env[assignment[1]!] = value;
      const inner = /^\$\((.*)\)$/s.exec(value);
      if (inner) command.substituted = parseCommand(inner[1]!);
      continue;
    }
    command.argv.push(t.word);
  }
  return command;
}

/** One command of the README's `serve` walkthrough, and whether test/cli/serveWalkthrough.test.ts runs it. */
export interface WalkthroughStep {
  ex: DocExample;
  cmd: ShellCommand;
  /** Why the walkthrough test does not run it; undefined when it does. */
  notRun?: string;
}

/** Commands of the walkthrough that act on a deployment in a state the walkthrough's deployments are not in (they have finished). */
const WALKTHROUGH_NOT_RUN: Readonly<Record<string, string>> = {
  cancel: "cancels a running deployment; the walkthrough's have finished (test/cli/operate.test.ts cancels one against serve)",
  approve: "answers a deployment waiting at its approval stage; the walkthrough's have none (test/cli/operate.test.ts approves one against serve)",
};

/**
 * The README's `serve` walkthrough: the examples of the fenced shell block whose first command is
 * `npx flowdeploy serve`, in order (test/cli/serveWalkthrough.test.ts runs them against one `serve`;
 * test/docs/examples.test.ts leaves the ones it runs to it). Empty when there is no such block.
 */
export function serveWalkthrough(file: string, markdown: string): WalkthroughStep[] {
  const lines = markdown.split("\n");
  let range: { from: number; to: number } | undefined;
  let open: { line: number; lang: string } | undefined;
  for (let i = 0; i < lines.length && !range; i++) {
    const match = FENCE.exec(lines[i]!);
    if (!match) continue;
    if (!open) {
      open = { line: i + 1, lang: match[2] ?? "" };
      continue;
    }
    const first = lines.slice(open.line, i).find((l) => l.trim() !== "")?.trim() ?? "";
    if (SHELL_LANGUAGES.has(open.lang) && first.startsWith("npx flowdeploy serve ")) range = { from: open.line, to: i + 1 };
    open = undefined;
  }
  if (!range) return [];
  const { from, to } = range;
  return extractExamples(file, markdown)
    .filter((ex) => !ex.inline && ex.where.startsWith(`${file}:`) && Number(ex.where.slice(file.length + 1)) > from && Number(ex.where.slice(file.length + 1)) < to)
    .map((ex) => {
      const cmd = parseCommand(ex.text);
      const [npx, flowdeploy, command] = cmd.argv;
      const notRun = npx === "npx" && flowdeploy === "flowdeploy" ? WALKTHROUGH_NOT_RUN[command ?? ""] : undefined;
      return notRun ? { ex, cmd, notRun } : { ex, cmd };
    });
}
