import { createHash } from "node:crypto";
import type { Node } from "web-tree-sitter";
import {
  declaration,
  entries,
  loopVariables,
  modules,
  paramDefault,
  parts,
  property,
  resources,
  stringPieces,
  valueOf,
  where,
  type BicepFile,
  type ModuleDecl,
  type ResourceDecl,
} from "./templateFacts";

/**
 * A small evaluator for the Bicep the templates use, so a test can see the values a deployment would
 * produce (the app settings, the queue name a module ends up with) from sample parameters, without the
 * Bicep CLI. Module outputs are followed into the module with the caller's arguments; what only Azure
 * knows at deployment time (an identity's client id, a namespace's endpoint) comes from `runtime`
 * (sample values of the right shape). Resource ids are built the ARM way from the scope, type and name.
 *
 * It knows the functions and operators the templates use; anything else throws an EvalError naming
 * the file, line and expression, so a template that outgrows it fails loudly rather than being
 * evaluated wrongly. Sample hashes stand in for uniqueString() and guid() (same shape, not the same
 * value as ARM's).
 */

export class EvalError extends Error {
  override readonly name = "EvalError";
}

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value } | Ref;

export class ResourceRef {
  constructor(
    readonly decl: ResourceDecl,
    readonly inst: Instance,
  ) {}
}
export class ModuleRef {
  constructor(
    readonly decl: ModuleDecl,
    readonly inst: () => Instance,
  ) {}
}
class OutputsRef {
  constructor(readonly inst: Instance) {}
}
/** subscription(), resourceGroup(...), tenant(): a deployment scope. */
export class ScopeRef {
  constructor(
    readonly kind: "subscription" | "resourceGroup" | "tenant",
    readonly ctx: DeployContext,
  ) {}
}
class Lambda {
  constructor(
    readonly params: string[],
    readonly body: Node,
    readonly inst: Instance,
    readonly scope: Scope,
    /** Accessors the grammar hung on the lambda that belong to its body (see `step`). */
    readonly steps: readonly Node[] = [],
  ) {}
}
type Ref = ResourceRef | ModuleRef | OutputsRef | ScopeRef | Lambda;

type Scope = ReadonlyMap<string, Value>;
const NO_SCOPE: Scope = new Map();

export interface DeployContext {
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string | undefined;
  location: string;
}

/** What Azure assigns at deployment time: the `properties` (and the like) of a resource, by type and name. */
export type Runtime = (type: string, name: string, ctx: DeployContext) => { [key: string]: Value };

/** A sample hash of the inputs: hex, deterministic. */
export const sampleHash = (...inputs: unknown[]) => createHash("sha256").update(JSON.stringify(inputs)).digest("hex");

/** A GUID-shaped sample value derived from the inputs. */
export function sampleGuid(...inputs: unknown[]): string {
  const h = sampleHash(...inputs);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A uniqueString() stand-in: 13 characters of lower-case base32 (a-z, 2-7), the shape of ARM's. */
function uniqueString(...inputs: unknown[]): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const bytes = createHash("sha256").update(JSON.stringify(inputs)).digest();
  let out = "";
  for (let i = 0; i < 13; i++) out += alphabet[bytes[i]! % 32];
  return out;
}

/** The files of a deployment, and the runtime values Azure would fill in. */
export class Project {
  constructor(
    readonly files: ReadonlyMap<string, BicepFile>,
    readonly runtime: Runtime,
  ) {}

  file(path: string): BicepFile {
    const file = this.files.get(path);
    if (!file) throw new EvalError(`no template ${path}`);
    return file;
  }

  /** The root deployment (main.bicep) with parameter values (the rest take their defaults). */
  root(path: string, params: Record<string, Value>, ctx: DeployContext): Instance {
    return new Instance(this, this.file(path), new Map(Object.entries(params).map(([k, v]) => [k, () => v])), () => ctx, undefined);
  }
}

/** One deployment of a file: its parameter values, its scope, and memoised variables and outputs. */
export class Instance {
  private readonly vars = new Map<string, Value>();
  private readonly params = new Map<string, Value>();
  private ctxMemo: DeployContext | undefined;

  constructor(
    readonly project: Project,
    readonly file: BicepFile,
    private readonly args: ReadonlyMap<string, () => Value>,
    private readonly ctxOf: () => DeployContext,
    readonly caller: { inst: Instance; decl: ModuleDecl } | undefined,
  ) {}

  get ctx(): DeployContext {
    this.ctxMemo ??= this.ctxOf();
    return this.ctxMemo;
  }

  fail(node: Node, message: string): never {
    throw new EvalError(`${where(this.file, node)}: ${message} (in ${JSON.stringify(node.text.length > 100 ? `${node.text.slice(0, 97)}...` : node.text)})`);
  }

  param(name: string, at: Node): Value {
    if (this.params.has(name)) return this.params.get(name)!;
    const decl = declaration(this.file, name);
    if (decl?.kind !== "param") this.fail(at, `no parameter ${name}`);
    const arg = this.args.get(name);
    const fallback = paramDefault(decl.node);
    const value = arg ? arg() : fallback ? this.eval(fallback) : null;
    this.params.set(name, value);
    return value;
  }

  variable(name: string): Value {
    if (this.vars.has(name)) return this.vars.get(name)!;
    const decl = declaration(this.file, name);
    if (decl?.kind !== "var") throw new EvalError(`${this.file.path}: no variable ${name}`);
    const value = this.eval(valueOf(decl.node));
    this.vars.set(name, value);
    return value;
  }

  output(name: string): Value {
    const decl = declaration(this.file, name, ["output"]);
    if (decl?.kind !== "output") throw new EvalError(`${this.file.path}: no output ${name}`);
    return this.eval(valueOf(decl.node));
  }

  resource(symbol: string): ResourceDecl {
    const decl = resources(this.file).find((r) => r.symbol === symbol && !r.lexicalParent);
    if (!decl) throw new EvalError(`${this.file.path}: no resource ${symbol}`);
    return decl;
  }

  /** The instance(s) a module declaration deploys: one, none when its condition is false, one per element of its loop. */
  moduleInstances(decl: ModuleDecl): Instance[] {
    if (!decl.body) this.fail(decl.node, "a module body must be an object");
    const instance = (scope: Scope) => {
      const paramsNode = property(decl.body, ["params"]);
      const args = new Map<string, () => Value>();
      for (const e of paramsNode ? entries(paramsNode) : []) {
        if (e.key === undefined) this.fail(e.keyNode, "a module argument name must be literal");
        args.set(e.key, () => this.eval(e.value, scope));
      }
      const scopeNode = property(decl.body, ["scope"]);
      const ctxOf = (): DeployContext => (scopeNode ? this.scopeContext(this.eval(scopeNode, scope), scopeNode) : this.ctx);
      return new Instance(this.project, this.project.file(decl.target), args, ctxOf, { inst: this, decl });
    };
    const included = (scope: Scope) => !decl.condition || this.truthy(decl.condition, scope);
    if (!decl.loop) return included(NO_SCOPE) ? [instance(NO_SCOPE)] : [];
    return this.iterate(decl.loop, NO_SCOPE).filter(included).map(instance);
  }

  /** Each scope a for_statement binds (its item and index), in order. */
  private iterate(loop: Node, scope: Scope): Scope[] {
    const { item, index, iterable } = loopVariables(loop);
    const items = this.eval(iterable, scope);
    if (!Array.isArray(items)) this.fail(iterable, "a loop must run over an array");
    return items.map((value, i) => {
      const next = new Map(scope);
      if (item) next.set(item, value);
      if (index) next.set(index, i);
      return next;
    });
  }

  private truthy(node: Node, scope: Scope): boolean {
    const v = this.eval(node, scope);
    if (typeof v !== "boolean") this.fail(node, `expected a bool, got ${show(v)}`);
    return v;
  }

  private scopeContext(value: Value, at: Node): DeployContext {
    if (value instanceof ScopeRef) return value.ctx;
    if (value instanceof ResourceRef && value.decl.type === "Microsoft.Resources/resourceGroups") {
      return { ...value.inst.ctx, resourceGroup: this.resourceName(value), location: str(this.resourceProperty(value, "location", at), at, this) };
    }
    this.fail(at, "unsupported module scope");
  }

  resourceName(ref: ResourceRef): string {
    const nameNode = property(ref.decl.body, ["name"]);
    if (!nameNode || ref.decl.loop) ref.inst.fail(ref.decl.node, "a resource in a loop, or without a name, cannot be named here");
    return str(ref.inst.eval(nameNode), nameNode, ref.inst);
  }

  /** The declaration a resource's `parent:` names (or its lexical parent). */
  private parentOf(ref: ResourceRef): ResourceRef | undefined {
    if (ref.decl.lexicalParent) return new ResourceRef(ref.decl.lexicalParent, ref.inst);
    const parentNode = property(ref.decl.body, ["parent"]);
    if (!parentNode) return undefined;
    const parent = ref.inst.eval(parentNode);
    if (!(parent instanceof ResourceRef)) ref.inst.fail(parentNode, "parent must name a resource");
    return parent;
  }

  resourceId(ref: ResourceRef): string {
    const name = this.resourceName(ref);
    const parent = this.parentOf(ref);
    if (parent) return `${this.resourceId(parent)}/${ref.decl.type.split("/").pop()}/${name}`;
    const scopeNode = property(ref.decl.body, ["scope"]);
    const ctx = scopeNode && ref.decl.existing ? this.scopeContext(ref.inst.eval(scopeNode), scopeNode) : ref.inst.ctx;
    if (scopeNode && !ref.decl.existing) {
      const target = ref.inst.eval(scopeNode);
      const scopeId = target instanceof ResourceRef ? this.resourceId(target) : undefined;
      if (!scopeId) ref.inst.fail(scopeNode, "an extension resource's scope must be a resource");
      return `${scopeId}/providers/${ref.decl.type}/${name}`;
    }
    if (ref.decl.type === "Microsoft.Resources/resourceGroups") return `/subscriptions/${ctx.subscriptionId}/resourceGroups/${name}`;
    if (!ctx.resourceGroup) ref.inst.fail(ref.decl.node, "a resource deployed at subscription scope");
    return `/subscriptions/${ctx.subscriptionId}/resourceGroups/${ctx.resourceGroup}/providers/${ref.decl.type}/${name}`;
  }

  private resourceProperty(ref: ResourceRef, key: string, at: Node): Value {
    switch (key) {
      case "id":
        return this.resourceId(ref);
      case "name":
        return this.resourceName(ref);
      case "type":
        return ref.decl.type;
      case "apiVersion":
        return ref.decl.apiVersion ?? null;
      case "location": {
        const declared = property(ref.decl.body, ["location"]);
        if (declared && !ref.decl.existing) return ref.inst.eval(declared);
        break;
      }
    }
    const runtime = this.project.runtime(ref.decl.type, this.resourceName(ref), ref.inst.ctx);
    if (!(key in runtime)) this.fail(at, `no sample value for ${ref.decl.type} .${key} (add it to the test's runtime values)`);
    return runtime[key]!;
  }

  private member(object: Value, key: string, safe: boolean, at: Node): Value {
    if (object === null && safe) return null;
    if (object instanceof ResourceRef) return this.resourceProperty(object, key, at);
    if (object instanceof ModuleRef) {
      if (key === "outputs") return new OutputsRef(object.inst());
      this.fail(at, `module .${key} is not supported`);
    }
    if (object instanceof OutputsRef) return object.inst.output(key);
    if (object instanceof ScopeRef) {
      const c = object.ctx;
      const fields: Record<string, Value> =
        object.kind === "subscription"
          ? { id: `/subscriptions/${c.subscriptionId}`, subscriptionId: c.subscriptionId, tenantId: c.tenantId, displayName: "sample subscription" }
          : object.kind === "tenant"
            ? { tenantId: c.tenantId }
            : { id: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}`, name: c.resourceGroup ?? null, location: c.location };
      if (key in fields) return fields[key]!;
      this.fail(at, `no .${key} on ${object.kind}()`);
    }
    if (isObject(object)) {
      if (key in object) return object[key]!;
      if (safe) return null;
      this.fail(at, `no property ${key} in ${show(object)}`);
    }
    this.fail(at, `.${key} of ${show(object)}`);
  }

  /** The value of an expression. */
  eval(node: Node, scope: Scope = NO_SCOPE): Value {
    switch (node.type) {
      case "string":
        return stringPieces(node)
          .map((p) => (typeof p === "string" ? p : text(this.eval(p, scope), p, this)))
          .join("");
      case "number":
        return Number(node.text);
      case "boolean":
        return node.text === "true";
      case "null":
        return null;
      case "array":
        return parts(node).map((n) => this.eval(n, scope));
      case "object": {
        const out: { [key: string]: Value } = {};
        for (const e of entries(node)) out[e.key ?? text(this.eval(e.keyNode, scope), e.keyNode, this)] = this.eval(e.value, scope);
        return out;
      }
      case "parenthesized_expression":
        return this.eval(parts(node)[0]!, scope);
      case "nullable_type":
        // The grammar reads the non-null assertion `x!` in an expression as a nullable_type around x.
        return this.eval(parts(node)[0]!, scope);
      case "identifier":
        return this.lookup(node, scope);
      case "member_expression":
      case "subscript_expression": {
        // tree-sitter-bicep 1.1.0 reads `c ? a : b.x` as `(c ? a : b).x` and `t => t.id` as `(t => t).id`;
        // in Bicep the ternary and the lambda bind loosest, so such an accessor belongs to the
        // ternary's alternative, or to the lambda's body.
        const steps: Node[] = [];
        let base = node;
        while (base.type === "member_expression" || base.type === "subscript_expression") {
          steps.unshift(base);
          base = base.childForFieldName("object")!;
        }
        if (base.type === "lambda_expression") return this.lambda(base, scope, steps);
        if (base.type === "ternary_expression") {
          if (this.truthy(base.childForFieldName("condition")!, scope)) return this.eval(base.childForFieldName("consequence")!, scope);
          return steps.reduce((v, step) => this.step(v, step, scope), this.eval(base.childForFieldName("alternative")!, scope));
        }
        return steps.reduce((v, step) => this.step(v, step, scope), this.eval(base, scope));
      }
      case "call_expression":
        return this.call(node, scope);
      case "binary_expression":
        return this.binary(node, scope);
      case "unary_expression": {
        const op = node.children[0]!.type;
        const v = this.eval(node.childForFieldName("argument") ?? parts(node)[0]!, scope);
        if (op === "!" && typeof v === "boolean") return !v;
        if (op === "-" && typeof v === "number") return -v;
        return this.fail(node, `unary ${op} on ${show(v)}`);
      }
      case "ternary_expression":
        return this.truthy(node.childForFieldName("condition")!, scope) ? this.eval(node.childForFieldName("consequence")!, scope) : this.eval(node.childForFieldName("alternative")!, scope);
      case "for_statement": {
        const body = node.childForFieldName("body")!;
        return this.iterate(node, scope).flatMap((s) => {
          if (body.type !== "if_statement") return [this.eval(body, s)];
          const [cond, value] = parts(body);
          return this.truthy(cond!, s) ? [this.eval(value!, s)] : [];
        });
      }
      case "lambda_expression":
        return this.lambda(node, scope, []);
    }
    this.fail(node, `cannot evaluate a ${node.type}`);
  }

  private lambda(node: Node, scope: Scope, steps: Node[]): Lambda {
    const [params, body] = parts(node);
    const names = params!.type === "identifier" ? [params!.text] : parts(params!).map((p) => p.text);
    return new Lambda(names, body!, this, scope, steps);
  }

  /** One accessor (`.x`, `.?x`, `[i]`, `[?i]`) applied to a value. */
  step(object: Value, node: Node, scope: Scope): Value {
    if (node.type === "member_expression") return this.member(object, node.childForFieldName("property")!.text, node.children.some((c) => c.type === ".?"), node);
    const index = this.eval(node.childForFieldName("index")!, scope);
    const safe = node.children.some((c) => c.type === "?");
    if (Array.isArray(object) && typeof index === "number") {
      if (index < object.length) return object[index]!;
      if (safe) return null;
      this.fail(node, `index ${index} out of range`);
    }
    return this.member(object, text(index, node, this), safe, node);
  }

  private lookup(node: Node, scope: Scope): Value {
    const name = node.text;
    if (scope.has(name)) return scope.get(name)!;
    const decl = declaration(this.file, name);
    switch (decl?.kind) {
      case "param":
        return this.param(name, node);
      case "var":
        return this.variable(name);
      case "resource":
        return new ResourceRef(this.resource(name), this);
      case "module": {
        const mod = modules(this.file).find((m) => m.symbol === name)!;
        return new ModuleRef(mod, () => {
          const [only, ...more] = this.moduleInstances(mod);
          if (!only || more.length > 0) this.fail(node, `module ${name} deploys ${more.length + (only ? 1 : 0)} times here: its outputs are not one value`);
          return only;
        });
      }
    }
    this.fail(node, `unknown name ${name}`);
  }

  private binary(node: Node, scope: Scope): Value {
    const op = node.children[1]!.type;
    const left = () => this.eval(node.childForFieldName("left") ?? node.namedChildren[0]!, scope);
    const right = () => this.eval(node.childForFieldName("right") ?? node.namedChildren[1]!, scope);
    switch (op) {
      case "??": {
        const l = left();
        return l === null ? right() : l;
      }
      case "&&":
        return this.truthy(node.namedChildren[0]!, scope) && this.truthy(node.namedChildren[1]!, scope);
      case "||":
        return this.truthy(node.namedChildren[0]!, scope) || this.truthy(node.namedChildren[1]!, scope);
      case "==":
        return JSON.stringify(left()) === JSON.stringify(right());
      case "!=":
        return JSON.stringify(left()) !== JSON.stringify(right());
      case "=~":
        return text(left(), node, this).toLowerCase() === text(right(), node, this).toLowerCase();
      case "!~":
        return text(left(), node, this).toLowerCase() !== text(right(), node, this).toLowerCase();
    }
    const l = left();
    const r = right();
    if (typeof l !== "number" || typeof r !== "number") this.fail(node, `${op} needs numbers`);
    switch (op) {
      case "+":
        return l + r;
      case "-":
        return l - r;
      case "*":
        return l * r;
      case "/":
        return Math.trunc(l / r);
      case "%":
        return l % r;
      case "<":
        return l < r;
      case "<=":
        return l <= r;
      case ">":
        return l > r;
      case ">=":
        return l >= r;
    }
    this.fail(node, `operator ${op}`);
  }

  private apply(fn: Value, args: Value[], at: Node): Value {
    if (!(fn instanceof Lambda)) this.fail(at, "expected a lambda");
    const scope = new Map(fn.scope);
    fn.params.forEach((p, i) => scope.set(p, args[i] ?? null));
    return fn.steps.reduce((v, step) => fn.inst.step(v, step, scope), fn.inst.eval(fn.body, scope));
  }

  private call(node: Node, scope: Scope): Value {
    const callee = node.childForFieldName("function")!;
    let name = callee.text;
    if (callee.type === "member_expression") {
      const ns = callee.childForFieldName("object")!;
      if (ns.type !== "identifier" || (ns.text !== "az" && ns.text !== "sys")) this.fail(node, "a resource function (list*, getSecret) is not evaluated");
      name = callee.childForFieldName("property")!.text;
    }
    const argNodes = parts(node.childForFieldName("arguments")!);
    const args = () => argNodes.map((a) => this.eval(a, scope));
    const s = (v: Value) => text(v, node, this);
    const ctx = this.ctx;
    switch (name) {
      case "subscription":
        return new ScopeRef("subscription", argNodes.length ? { ...ctx, subscriptionId: s(args()[0]!) } : ctx);
      case "tenant":
        return new ScopeRef("tenant", ctx);
      case "resourceGroup": {
        const a = args();
        if (a.length === 0) return new ScopeRef("resourceGroup", ctx);
        const [sub, rg] = a.length === 1 ? [ctx.subscriptionId, a[0]!] : [a[0]!, a[1]!];
        return new ScopeRef("resourceGroup", { ...ctx, subscriptionId: s(sub), resourceGroup: s(rg) });
      }
      case "subscriptionResourceId": {
        // subscriptionResourceId([subscriptionId], resourceType, name...): a type has a slash, a subscription id none.
        const a = args().map(s);
        const [sub, rest] = a[0]!.includes("/") ? [ctx.subscriptionId, a] : [a[0]!, a.slice(1)];
        const [type, ...names] = rest;
        return `/subscriptions/${sub}/providers/${type}/${names.join("/")}`;
      }
      case "uniqueString":
        return uniqueString(...args());
      case "guid":
        return sampleGuid(...args());
      case "toLower":
        return s(args()[0]!).toLowerCase();
      case "toUpper":
        return s(args()[0]!).toUpperCase();
      case "trim":
        return s(args()[0]!).trim();
      case "string": {
        const v = args()[0]!;
        return typeof v === "string" ? v : JSON.stringify(plain(v, node, this));
      }
      case "json":
        return JSON.parse(s(args()[0]!)) as Value;
      case "int":
        return Number.parseInt(s(args()[0]!), 10);
      case "take":
      case "skip": {
        const [v, n] = args();
        if (typeof n !== "number" || (typeof v !== "string" && !Array.isArray(v))) this.fail(node, `${name} of ${show(v ?? null)}`);
        return name === "take" ? v.slice(0, n) : v.slice(n);
      }
      case "join": {
        const [arr, sep] = args();
        if (!Array.isArray(arr)) this.fail(node, "join of a non-array");
        return arr.map(s).join(s(sep!));
      }
      case "split": {
        const [v, sep] = args();
        return s(v!).split(s(sep!));
      }
      case "replace": {
        const [v, from, to] = args().map(s);
        return v!.split(from!).join(to!);
      }
      case "concat": {
        const a = args();
        return a.every(Array.isArray) ? (a as Value[][]).flat() : a.map(s).join("");
      }
      case "union": {
        const a = args();
        if (a.every(Array.isArray)) return [...new Set((a as Value[][]).flat().map((v) => JSON.stringify(plain(v, node, this))))].map((v) => JSON.parse(v) as Value);
        if (a.every(isObject)) return Object.assign({}, ...a) as Value;
        return this.fail(node, "union of mixed values");
      }
      case "empty": {
        const v = args()[0]!;
        return v === null || v === "" || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
      }
      case "length": {
        const v = args()[0]!;
        if (typeof v === "string" || Array.isArray(v)) return v.length;
        if (isObject(v)) return Object.keys(v).length;
        return this.fail(node, "length of a non-collection");
      }
      case "first":
      case "last": {
        const v = args()[0]!;
        if (typeof v !== "string" && !Array.isArray(v)) this.fail(node, `${name} of ${show(v)}`);
        return (name === "first" ? v[0] : v[v.length - 1]) ?? null;
      }
      case "contains": {
        const [c = null, x = null] = args();
        if (typeof c === "string") return c.includes(s(x));
        if (Array.isArray(c)) return c.some((v) => JSON.stringify(v) === JSON.stringify(x));
        if (isObject(c)) return s(x) in c;
        return this.fail(node, "contains on a non-collection");
      }
      case "startsWith":
      case "endsWith": {
        const [v, x] = args().map((a) => s(a).toLowerCase());
        return name === "startsWith" ? v!.startsWith(x!) : v!.endsWith(x!);
      }
      case "map":
      case "filter": {
        const [arr, fn] = args();
        if (!Array.isArray(arr)) this.fail(node, `${name} of a non-array`);
        if (name === "map") return arr.map((v, i) => this.apply(fn!, [v, i], node));
        return arr.filter((v, i) => this.apply(fn!, [v, i], node) === true);
      }
    }
    this.fail(node, `function ${name} is not known to the test evaluator`);
  }
}

const isObject = (v: Value): v is { [key: string]: Value } => typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function show(v: Value): string {
  if (v instanceof ResourceRef) return `resource ${v.decl.symbol}`;
  if (v instanceof ModuleRef) return `module ${v.decl.symbol}`;
  if (v instanceof OutputsRef || v instanceof ScopeRef || v instanceof Lambda) return v.constructor.name;
  return JSON.stringify(v);
}

/** A value that holds no references (objects, arrays and scalars only). */
export function plain(v: Value, at: Node, inst: Instance): Value {
  if (Array.isArray(v)) return v.map((x) => plain(x, at, inst));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x, at, inst)]));
  if (typeof v === "object" && v !== null) inst.fail(at, `${show(v)} is not a plain value`);
  return v;
}

/** A value interpolated into a string, as ARM does: strings as they are, numbers and bools as text. */
function text(v: Value, at: Node, inst: Instance): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  inst.fail(at, `expected a string, got ${show(v)}`);
}

function str(v: Value, at: Node, inst: Instance): string {
  if (typeof v !== "string") inst.fail(at, `expected a string, got ${show(v)}`);
  return v;
}
