import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import type { Node, Tree } from "web-tree-sitter";
import { repoRoot } from "../support/samples";
import { bicepParser, syntaxProblems } from "./bicep";

/**
 * Facts read from the parse trees of infra/**\/*.bicep (tree-sitter, test/infra/bicep.ts): the
 * declarations of each file, object properties, string literals with their escapes decoded, the
 * static value of a name (a variable's literal, a loop variable's candidates). The checks in
 * templateChecks.ts are built on these, and take file contents rather than paths, so a test can hand
 * them a mutated copy of a file.
 */

/** Repository-relative path (forward slashes) → file text. */
export type Sources = Record<string, string>;

export interface BicepFile {
  /** Repository-relative, e.g. infra/app/storage.bicep. */
  path: string;
  source: string;
  root: Node;
}

/** Everything the offline checks read, as text. */
export interface InfraSources {
  /** infra/**\/*.bicep */
  bicep: Sources;
  /** infra/api-versions.json */
  apiVersions: string;
  /** infra/hooks/* */
  hooks: Sources;
  azureYaml: string;
  hostJson: string;
  pipelineDoc: string;
  deployDoc: string;
  /** scripts/package.ts (the default output folder azure.yaml must deploy). */
  packageScript: string;
  packageJson: string;
}

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");

function filesUnder(dir: string, keep: (name: string) => boolean): Sources {
  const out: Sources = {};
  const abs = join(repoRoot, dir);
  if (!existsSync(abs)) return out;
  for (const e of readdirSync(abs, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !keep(e.name)) continue;
    const rel = join(e.parentPath, e.name).slice(repoRoot.length + 1).split("\\").join("/");
    out[rel] = readFileSync(join(repoRoot, rel), "utf8");
  }
  return out;
}

/** The working tree's files. */
export function readInfraSources(): InfraSources {
  return {
    bicep: filesUnder("infra", (n) => n.endsWith(".bicep")),
    apiVersions: read("infra/api-versions.json"),
    hooks: filesUnder("infra/hooks", () => true),
    azureYaml: read("azure.yaml"),
    hostJson: read("host.json"),
    pipelineDoc: read("docs/pipeline.md"),
    deployDoc: read("docs/deploy.md"),
    packageScript: read("scripts/package.ts"),
    packageJson: read("package.json"),
  };
}

/** A copy of `sources` with one file's text replaced by `edit(text)`; fails when the edit changes nothing (a mutation that no longer applies). */
export function mutate(sources: InfraSources, path: string, edit: (text: string) => string): InfraSources {
  const original = sources.bicep[path];
  if (original === undefined) throw new Error(`no such template: ${path}`);
  const changed = edit(original);
  if (changed === original) throw new Error(`the mutation of ${path} changed nothing: update the test`);
  return { ...sources, bicep: { ...sources.bicep, [path]: changed } };
}

/** Replaces exactly one occurrence of `from` (fails loudly otherwise, so a mutation cannot silently miss). */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one ${JSON.stringify(from)}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

// ---- Parsing

const trees = new Map<string, Tree>();

/** Parses each file once per text (trees are kept for the process: a test run parses a few dozen small files). */
export async function parseBicepFiles(sources: Sources): Promise<Map<string, BicepFile>> {
  const parser = await bicepParser();
  const files = new Map<string, BicepFile>();
  for (const [path, source] of Object.entries(sources)) {
    let tree = trees.get(source);
    if (!tree) {
      const parsed = parser.parse(source);
      if (!parsed) throw new Error(`tree-sitter returned no tree for ${path}`);
      tree = parsed;
      trees.set(source, tree);
    }
    const problems = syntaxProblems(tree.rootNode);
    if (problems.length > 0) throw new Error(`${path}:${problems[0]!.line}:${problems[0]!.column} ${problems[0]!.message} (test/infra/bicepSyntax.test.ts reports every one)`);
    files.set(path, { path, source, root: tree.rootNode });
  }
  return files;
}

/** `path:line` of a node, for messages. */
export const where = (file: BicepFile, node: Node) => `${file.path}:${node.startPosition.row + 1}`;

/** Every node below `node` (itself included) for which `test` holds, in document order. */
export function descendants(node: Node, test: (n: Node) => boolean): Node[] {
  const found: Node[] = [];
  const visit = (n: Node) => {
    if (test(n)) found.push(n);
    for (const child of n.namedChildren) visit(child);
  };
  visit(node);
  return found;
}

const isTrivia = (n: Node) => n.type === "comment" || n.type === "diagnostic_comment" || n.type === "decorators";

/** The named children that are not comments or decorators. */
export const parts = (n: Node) => n.namedChildren.filter((c) => !isTrivia(c));

// ---- Strings

const ESCAPES: Record<string, string> = { "\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$" };

function unescape(seq: string): string {
  const known = ESCAPES[seq];
  if (known !== undefined) return known;
  const unicode = /^\\u\{([0-9a-fA-F]+)\}$/.exec(seq);
  if (unicode) return String.fromCodePoint(parseInt(unicode[1]!, 16));
  throw new Error(`unknown escape ${seq}`);
}

/** A string node's pieces: literal text (escapes decoded) and interpolated expressions. */
export function stringPieces(node: Node): (string | Node)[] {
  // A multi-line string: no escapes, no interpolation, the first line break dropped.
  if (node.text.startsWith("'''")) return [node.text.slice(3, -3).replace(/^\r?\n/, "")];
  const pieces: (string | Node)[] = [];
  for (const child of node.namedChildren) {
    if (child.type === "string_content") pieces.push(child.text);
    else if (child.type === "escape_sequence") pieces.push(unescape(child.text));
    else if (child.type === "interpolation") pieces.push(child.namedChildren[0]!);
  }
  return pieces;
}

/** A string literal's value, or undefined when it is not a string or interpolates. */
export function literalString(node: Node | undefined): string | undefined {
  if (!node || node.type !== "string") return undefined;
  const pieces = stringPieces(node);
  return pieces.every((p) => typeof p === "string") ? (pieces as string[]).join("") : undefined;
}

// ---- Objects

export interface Entry {
  /** The key (identifier or literal string); undefined for an interpolated key. */
  key: string | undefined;
  keyNode: Node;
  value: Node;
}

/** The properties of an object node, in order (nested resource declarations left out). */
export function entries(obj: Node): Entry[] {
  const out: Entry[] = [];
  for (const prop of obj.namedChildren) {
    if (prop.type !== "object_property") continue;
    const [keyNode, value] = parts(prop);
    if (!keyNode || !value || keyNode.type === "resource_declaration") continue;
    out.push({ key: keyNode.type === "identifier" ? keyNode.text : literalString(keyNode), keyNode, value });
  }
  return out;
}

/** The value of `obj.a.b.c` (ARM property names compare ignoring case, so `ignoreCase` does too). */
export function property(obj: Node | undefined, path: readonly string[], ignoreCase = false): Node | undefined {
  let node = obj;
  for (const key of path) {
    if (!node || node.type !== "object") return undefined;
    const same = (k: string | undefined) => k !== undefined && (ignoreCase ? k.toLowerCase() === key.toLowerCase() : k === key);
    node = entries(node).find((e) => same(e.key))?.value;
  }
  return node;
}

// ---- Declarations

export interface Declaration {
  kind: "param" | "var" | "resource" | "module" | "output" | "type" | "func";
  name: string;
  node: Node;
}

const DECLARATION_KINDS: Record<string, Declaration["kind"]> = {
  parameter_declaration: "param",
  variable_declaration: "var",
  resource_declaration: "resource",
  module_declaration: "module",
  output_declaration: "output",
  type_declaration: "type",
  user_defined_function: "func",
};

/** Top-level declarations of a file. */
export function declarations(file: BicepFile): Declaration[] {
  return file.root.namedChildren.flatMap((node) => {
    const kind = DECLARATION_KINDS[node.type];
    const name = node.namedChildren.find((c) => c.type === "identifier");
    return kind && name ? [{ kind, name: name.text, node }] : [];
  });
}

/** The declaration of `name` among `kinds` (an output may share its name with a parameter or variable, and expressions never see it). */
export function declaration(file: BicepFile, name: string, kinds: readonly Declaration["kind"][] = REFERENCEABLE): Declaration | undefined {
  return declarations(file).find((d) => d.name === name && kinds.includes(d.kind));
}

const REFERENCEABLE: readonly Declaration["kind"][] = ["param", "var", "resource", "module", "type", "func"];

/** The decorators written above a top-level declaration (`@secure()` → "secure"). */
export function decoratorsOf(node: Node): { name: string; call: Node }[] {
  const prev = node.previousNamedSibling;
  if (!prev || prev.type !== "decorators") return [];
  return prev.namedChildren.flatMap((d) => {
    const call = d.namedChildren[0];
    const fn = call?.childForFieldName("function");
    const name = fn?.type === "member_expression" ? fn.childForFieldName("property")?.text : fn?.text;
    return call && name ? [{ name, call }] : [];
  });
}

/** A parameter's default value expression, if it has one. */
export function paramDefault(node: Node): Node | undefined {
  const [, , value] = parts(node);
  return value;
}

/** True when a parameter may be left out: it has a default or a nullable type. */
export function paramOptional(node: Node): boolean {
  const [, type] = parts(node);
  return paramDefault(node) !== undefined || type?.namedChildren[0]?.type === "nullable_type" || type?.type === "nullable_type";
}

/** A variable's or output's value expression (the last named child). */
export function valueOf(node: Node): Node {
  const ps = parts(node);
  return ps[ps.length - 1]!;
}

export interface Body {
  /** The object a resource or module declares. */
  body: Node | undefined;
  /** `[for ...]`: the for_statement. */
  loop: Node | undefined;
  /** `if (cond)`: the condition expression. */
  condition: Node | undefined;
}

/** Unwraps `= {…}`, `= if (c) {…}`, `= [for x in xs: {…}]` and `= [for x in xs: if (c) {…}]`. */
export function unwrapBody(value: Node | undefined): Body {
  let loop: Node | undefined;
  let node = value;
  if (node?.type === "for_statement") {
    loop = node;
    node = node.childForFieldName("body") ?? undefined;
  }
  let condition: Node | undefined;
  if (node?.type === "if_statement") {
    const [cond, obj] = parts(node);
    condition = cond?.type === "parenthesized_expression" ? parts(cond)[0] : cond;
    node = obj;
  }
  return { body: node?.type === "object" ? node : undefined, loop, condition };
}

export interface LoopVariables {
  item: string | undefined;
  index: string | undefined;
  iterable: Node;
}

/** The loop variables of `[for x in xs: …]` / `[for (x, i) in xs: …]` and the iterable. */
export function loopVariables(loop: Node): LoopVariables {
  const initializer = loop.childForFieldName("initializer");
  const header = loop.namedChildren.find((c) => c.type === "for_loop_parameters");
  const body = loop.childForFieldName("body");
  const iterable = loop.namedChildren.find((c) => c.id !== initializer?.id && c.id !== header?.id && c.id !== body?.id && !isTrivia(c));
  if (!iterable) throw new Error(`no iterable in ${loop.text}`);
  return {
    item: initializer?.text ?? header?.namedChildren.find((c) => c.type === "loop_variable")?.text,
    index: header?.namedChildren.find((c) => c.type === "loop_enumerator")?.text,
    iterable,
  };
}

export interface ResourceDecl {
  file: BicepFile;
  symbol: string;
  node: Node;
  /** Full type, e.g. Microsoft.Storage/storageAccounts/blobServices (a nested declaration's type is prefixed with its parent's). */
  type: string;
  /** The declared version, or the lexical parent's for a nested declaration without one. */
  apiVersion: string | undefined;
  typeNode: Node;
  existing: boolean;
  /** The declaration it is nested in (`resource a … { resource b 'child' … }`), not `parent:`. */
  lexicalParent: ResourceDecl | undefined;
  body: Node | undefined;
  loop: Node | undefined;
  condition: Node | undefined;
}

/** Every resource declaration of a file, nested ones included. */
export function resources(file: BicepFile): ResourceDecl[] {
  const out: ResourceDecl[] = [];
  const visit = (node: Node, lexicalParent: ResourceDecl | undefined) => {
    const [name, typeNode, value] = parts(node);
    const typeText = literalString(typeNode);
    if (!name || !typeNode || typeText === undefined) throw new Error(`${where(file, node)}: a resource type must be a string literal`);
    const [ownType, ownVersion] = typeText.split("@") as [string, string | undefined];
    const decl: ResourceDecl = {
      file,
      symbol: name.text,
      node,
      type: lexicalParent ? `${lexicalParent.type}/${ownType}` : ownType,
      apiVersion: ownVersion ?? lexicalParent?.apiVersion,
      typeNode,
      existing: node.children.some((c) => c.type === "existing"),
      lexicalParent,
      ...unwrapBody(value),
    };
    out.push(decl);
    for (const prop of decl.body?.namedChildren ?? []) {
      const nested = prop.type === "object_property" ? prop.namedChildren[0] : undefined;
      if (nested?.type === "resource_declaration") visit(nested, decl);
    }
  };
  for (const node of file.root.namedChildren) if (node.type === "resource_declaration") visit(node, undefined);
  return out;
}

export interface ModuleDecl {
  file: BicepFile;
  symbol: string;
  node: Node;
  /** As written. */
  path: string;
  /** Repository-relative path of the module file. */
  target: string;
  body: Node | undefined;
  loop: Node | undefined;
  condition: Node | undefined;
}

export function modules(file: BicepFile): ModuleDecl[] {
  return file.root.namedChildren
    .filter((n) => n.type === "module_declaration")
    .map((node) => {
      const [name, pathNode, value] = parts(node);
      const path = literalString(pathNode);
      if (!name || path === undefined) throw new Error(`${where(file, node)}: a module path must be a string literal`);
      return { file, symbol: name.text, node, path, target: posix.join(posix.dirname(file.path), path), ...unwrapBody(value) };
    });
}

/** `import {a, b as c} from 'x.bicep'`: the path and the names taken from it (a, b); none for `import * as ns`. */
export function imports(file: BicepFile): { node: Node; path: string; target: string; names: string[] }[] {
  return file.root.namedChildren
    .filter((n) => n.type === "import_functionality")
    .flatMap((node) => {
      const path = literalString(node.namedChildren.find((c) => c.type === "string"));
      if (path === undefined) return [];
      const names = node.children.filter((c, i, all) => c.type === "identifier" && all[i - 1]?.type !== "as").map((c) => c.text);
      return [{ node, path, target: posix.join(posix.dirname(file.path), path), names }];
    });
}

// ---- Static values (no evaluation: literals through variables, and a loop variable's candidates)

export interface StaticString {
  value: string;
  /** The variable that holds the literal, when it came through one. */
  variable: string | undefined;
  node: Node;
}

/**
 * The string literals an expression can stand for, read without evaluating anything: a literal; a
 * variable holding one; a variable holding an array, a ternary of arrays, or a ternary of such; a loop
 * variable (`role` in `[for role in roles: …]`) stands for each element of its iterable. Undefined when
 * the expression is anything else (a parameter, a call).
 */
export function staticStrings(file: BicepFile, expr: Node): StaticString[] | undefined {
  const seen = new Set<number>();
  const go = (node: Node, variable: string | undefined): StaticString[] | undefined => {
    if (seen.has(node.id)) return undefined;
    seen.add(node.id);
    try {
      const literal = literalString(node);
      if (literal !== undefined) return [{ value: literal, variable, node }];
      if (node.type === "parenthesized_expression") return go(parts(node)[0]!, variable);
      if (node.type === "array") return all(parts(node).map((n) => go(n, undefined)));
      if (node.type === "ternary_expression") return all([go(node.childForFieldName("consequence")!, variable), go(node.childForFieldName("alternative")!, variable)]);
      if (node.type !== "identifier") return undefined;
      // A loop variable of an enclosing for_statement.
      for (let up = node.parent; up; up = up.parent) {
        if (up.type !== "for_statement") continue;
        const loop = loopVariables(up);
        if (loop.item === node.text) return go(loop.iterable, undefined);
      }
      const decl = declaration(file, node.text);
      if (decl?.kind !== "var") return undefined;
      return go(valueOf(decl.node), decl.name);
    } finally {
      seen.delete(node.id);
    }
  };
  const all = (lists: (StaticString[] | undefined)[]) => (lists.every((l) => l !== undefined) ? (lists as StaticString[][]).flat() : undefined);
  return go(expr, undefined);
}

/** Whitespace collapsed to single spaces, trimmed. */
export const normalizeSpace = (s: string) => s.replace(/\s+/g, " ").trim();

export const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
