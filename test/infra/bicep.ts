import { createRequire } from "node:module";
import { join } from "node:path";
import { Language, Parser, type Node } from "web-tree-sitter";
import { repoRoot } from "../support/samples";

/**
 * A Bicep check that needs no Bicep CLI (it is a .NET tool; this machine has none): the tree-sitter
 * Bicep grammar (npm tree-sitter-bicep, whose tarball ships tree-sitter-bicep.wasm) run by
 * web-tree-sitter, so nothing is built or downloaded at install.
 *
 * It finds what `bicep build` would refuse first: syntax errors (ERROR and MISSING nodes) and names
 * that resolve to nothing (a misspelled parameter, variable, resource, function or loop variable).
 * It does not type-check, and it knows the language as far as the grammar does (tree-sitter-bicep
 * 1.1.0): no `extension` statements, no spread (`...obj`), no typed variables (`var x string = ...`),
 * no `resourceInput<>`/`resourceOutput<>` types; such a file fails with syntax errors here.
 */

/** Functions of Bicep's `sys` and `az` namespaces (Azure/bicep src/Bicep.Core/Semantics/Namespaces/SystemNamespaceType.cs, AzNamespaceType.cs). */
export const BUILTIN_FUNCTIONS: ReadonlySet<string> = new Set([
  // sys
  "any", "array", "base64", "base64ToJson", "base64ToString", "bool", "buildUri", "cidrHost", "cidrSubnet", "concat", "contains",
  "dataUri", "dataUriToString", "dateTimeAdd", "dateTimeFromEpoch", "dateTimeToEpoch", "distinct", "empty", "endsWith",
  "externalInput", "fail", "filter", "first", "flatten", "format", "groupBy", "guid", "indexOf", "int", "intersection", "items",
  "join", "json", "last", "lastIndexOf", "length", "like", "loadDirectoryFileInfo", "loadFileAsBase64", "loadJsonContent",
  "loadTextContent", "loadYamlContent", "map", "mapValues", "max", "min", "nameof", "newGuid", "objectKeys", "padLeft",
  "parseCidr", "parseUri", "range", "readCliArg", "readEnvVar", "readEnvironmentVariable", "reduce", "replace", "shallowMerge",
  "skip", "sort", "split", "startsWith", "string", "substring", "take", "toLower", "toObject", "toUpper", "trim", "union",
  "uniqueString", "uri", "uriComponent", "uriComponentToString", "utcNow",
  // az
  "deployer", "deployment", "environment", "extensionResourceId", "managementGroup", "managementGroupResourceId", "pickZones",
  "providers", "reference", "resourceGroup", "resourceId", "roleDefinitions", "subscription", "subscriptionResourceId",
  "tenant", "tenantResourceId", "toLogicalZone", "toLogicalZones", "toPhysicalZone", "toPhysicalZones",
]);

/** az's list* functions (listKeys, listSecrets, listAccountSas, ...): a wildcard in Bicep. */
const LIST_FUNCTION = /^list[A-Z]\w*$/;

/** Decorators (same sources; `@sys.description(...)` reaches the same ones through the namespace). */
export const BUILTIN_DECORATORS: ReadonlySet<string> = new Set([
  "allowed", "batchSize", "description", "discriminator", "export", "maxLength", "maxValue", "metadata", "minLength",
  "minValue", "nullIfNotFound", "onlyIfNotExists", "patch", "retryOn", "sealed", "secure", "validate", "waitUntil",
]);

/** Namespaces a member access may start with (`az.resourceGroup()`, `sys.concat()`). */
export const NAMESPACES: ReadonlySet<string> = new Set(["az", "sys"]);

/** Type names the language defines besides the primitive types the grammar knows. */
const BUILTIN_TYPES: ReadonlySet<string> = new Set(["resourceInput", "resourceOutput"]);

export interface BicepProblem {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

export const formatProblem = (p: BicepProblem) => `${p.line}:${p.column} ${p.message}`;

let parserPromise: Promise<Parser> | undefined;

/** The grammar's wasm, from the tree-sitter-bicep package. */
export function bicepWasmPath(): string {
  return createRequire(join(repoRoot, "package.json")).resolve("tree-sitter-bicep/tree-sitter-bicep.wasm");
}

/** One parser for the process (loading the runtime and the grammar takes a few tens of milliseconds). */
export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(bicepWasmPath()));
    return parser;
  })();
  return parserPromise;
}

const at = (node: Node, message: string): BicepProblem => ({ line: node.startPosition.row + 1, column: node.startPosition.column + 1, message });
const excerpt = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);

/** ERROR and MISSING nodes: where the grammar could not read the file. */
export function syntaxProblems(root: Node): BicepProblem[] {
  const problems: BicepProblem[] = [];
  const visit = (node: Node) => {
    if (node.isMissing) problems.push(at(node, `syntax error: missing ${node.type === "identifier" ? "identifier" : `'${node.type}'`}`));
    else if (node.isError) problems.push(at(node, `syntax error: cannot parse ${excerpt(node.text)}`));
    if (node.hasError) for (const child of node.children) visit(child);
  };
  visit(root);
  return problems;
}

/** Declarations whose name is their first identifier child (or their `name` field). */
const NAMED_DECLARATIONS = new Set([
  "parameter_declaration", "variable_declaration", "resource_declaration", "module_declaration", "output_declaration",
  "type_declaration", "metadata_declaration", "test_block", "assert_statement", "user_defined_function",
]);

/**
 * Declarations an expression may refer to. Outputs, metadata, tests and asserts are not among them:
 * Bicep refuses a reference to an output ("outputs cannot be referenced"), so `output name ...` must
 * not make a use of an undeclared `name` look resolved.
 */
const REFERENCEABLE_DECLARATIONS = new Set(["parameter_declaration", "variable_declaration", "resource_declaration", "module_declaration", "type_declaration", "user_defined_function"]);

const declaredName = (node: Node): Node | undefined => node.childForFieldName("name") ?? node.namedChildren.find((c) => c.type === "identifier");

/** The names a file declares that expressions may use: top level, nested resources and imported symbols included. */
function fileSymbols(root: Node): Set<string> {
  const names = new Set<string>();
  const visit = (node: Node) => {
    if (REFERENCEABLE_DECLARATIONS.has(node.type)) {
      const name = declaredName(node);
      if (name) names.add(name.text);
    } else if (node.type === "import_functionality") {
      // import { a, b as c } from '...'  /  import * as ns from '...': the local names are those not followed by `as`.
      const parts = node.children;
      parts.forEach((part, i) => {
        if (part.type === "identifier" && parts[i + 1]?.type !== "as") names.add(part.text);
      });
    } else if (node.type === "import_statement" || node.type === "import_with_statement") {
      const alias = node.children.findIndex((c) => c.type === "as");
      if (alias >= 0 && node.children[alias + 1]) names.add(node.children[alias + 1]!.text);
    }
    for (const child of node.namedChildren) visit(child);
  };
  visit(root);
  return names;
}

/** Identifiers that refer to nothing declared: a typo Bicep would report as "The name X does not exist in the current context". */
export function unresolvedNames(root: Node): BicepProblem[] {
  const declared = fileSymbols(root);
  const problems: BicepProblem[] = [];
  const inScope = (name: string, scopes: ReadonlyArray<ReadonlySet<string>>) => declared.has(name) || scopes.some((s) => s.has(name));

  const checkName = (node: Node, scopes: ReadonlyArray<ReadonlySet<string>>) => {
    const name = node.text;
    if (inScope(name, scopes)) return;
    if (NAMESPACES.has(name) && node.parent?.type === "member_expression") return;
    problems.push(at(node, `unknown name '${name}' (no parameter, variable, resource, module, function, type or loop variable of that name)`));
  };

  const checkFunction = (callee: Node, scopes: ReadonlyArray<ReadonlySet<string>>) => {
    const name = callee.text;
    if (BUILTIN_FUNCTIONS.has(name) || LIST_FUNCTION.test(name) || inScope(name, scopes)) return;
    problems.push(at(callee, `unknown function '${name}'`));
  };

  const checkType = (node: Node, scopes: ReadonlyArray<ReadonlySet<string>>) => {
    if (!BUILTIN_TYPES.has(node.text)) checkName(node, scopes);
  };

  const visitChildren = (node: Node, scopes: ReadonlyArray<ReadonlySet<string>>, skip?: Node) => {
    for (const child of node.namedChildren) if (!skip || child.id !== skip.id) visit(child, scopes);
  };

  const visitType = (node: Node, scopes: ReadonlyArray<ReadonlySet<string>>) => {
    if (node.type === "identifier") checkType(node, scopes);
    else if (node.type === "object") visit(node, scopes);
    else if (node.type === "member_expression") visit(node, scopes);
    else for (const child of node.namedChildren) visitType(child, scopes);
  };

  function visit(node: Node, scopes: ReadonlyArray<ReadonlySet<string>>): void {
    switch (node.type) {
      case "comment":
      case "diagnostic_comment":
      case "import_statement":
      case "import_with_statement":
      case "import_functionality":
      case "using_statement":
      case "target_scope_assignment":
      case "ERROR":
        return;
      case "identifier":
        checkName(node, scopes);
        return;
      case "type":
      case "nullable_type":
      case "array_type":
      case "union_type":
      case "parenthesized_type":
      case "negated_type":
        visitType(node, scopes);
        return;
      case "parameterized_type": {
        // sys.resource<'...'>: the identifier before the dot is a namespace.
        const ns = node.namedChildren.find((c) => c.type === "identifier");
        if (ns && !NAMESPACES.has(ns.text)) checkName(ns, scopes);
        return;
      }
      case "user_defined_function": {
        const params = new Set<string>();
        for (const child of node.namedChildren) {
          if (child.type !== "parameters") continue;
          for (const param of child.namedChildren) {
            const [name, type] = param.namedChildren;
            if (name) params.add(name.text);
            if (type) visitType(type, scopes);
          }
        }
        const body = node.namedChildren[node.namedChildren.length - 1];
        const returns = node.childForFieldName("returns");
        if (returns) visitType(returns, scopes);
        if (body && body.type !== "parameters" && body.id !== returns?.id) visit(body, [...scopes, params]);
        return;
      }
      case "lambda_expression": {
        const [params, body] = node.namedChildren;
        const names = new Set<string>();
        if (params?.type === "identifier") names.add(params.text);
        else for (const p of params?.namedChildren ?? []) if (p.type === "identifier") names.add(p.text);
        if (body) visit(body, [...scopes, names]);
        return;
      }
      case "for_statement": {
        // [for x in items: body], [for (x, i) in items: body], [for i in range(0, n): body]
        const names = new Set<string>();
        const header = node.namedChildren.find((c) => c.type === "for_loop_parameters");
        const initializer = node.childForFieldName("initializer");
        if (initializer) names.add(initializer.text);
        for (const p of header?.namedChildren ?? []) names.add(p.text);
        const loopBody = node.childForFieldName("body");
        for (const child of node.namedChildren) {
          if (child.id === header?.id || child.id === initializer?.id) continue;
          visit(child, child.id === loopBody?.id ? [...scopes, names] : scopes);
        }
        return;
      }
      case "decorator": {
        const call = node.namedChildren[0];
        const callee = call?.childForFieldName("function");
        if (callee?.type === "identifier") {
          if (!BUILTIN_DECORATORS.has(callee.text)) problems.push(at(callee, `unknown decorator '@${callee.text}'`));
        } else if (callee) {
          visit(callee, scopes);
        }
        const args = call?.childForFieldName("arguments");
        if (args) visit(args, scopes);
        return;
      }
      case "call_expression": {
        const callee = node.childForFieldName("function");
        if (callee?.type === "identifier") checkFunction(callee, scopes);
        else if (callee) visit(callee, scopes);
        visitChildren(node, scopes, callee ?? undefined);
        return;
      }
      case "member_expression": {
        // a.b: only `a` is a name; `b` is a property (property_identifier).
        const object = node.childForFieldName("object");
        if (object) visit(object, scopes);
        return;
      }
      case "resource_expression": {
        // parent::child: the child is a nested resource of parent.
        const object = node.childForFieldName("object");
        if (object) visit(object, scopes);
        return;
      }
      case "object_property": {
        // key: value (an identifier key is a property name, never a reference; a string key may interpolate); or a nested resource.
        const [first, ...rest] = node.namedChildren;
        if (first?.type === "resource_declaration" || first?.type === "string") visit(first, scopes);
        for (const value of rest) visit(value, scopes);
        return;
      }
      default:
        if (NAMED_DECLARATIONS.has(node.type)) {
          visitChildren(node, scopes, declaredName(node));
          return;
        }
        visitChildren(node, scopes);
    }
  }

  visit(root, []);
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** What is wrong with a Bicep source: its syntax errors, or, when it has none, the names that resolve to nothing. */
export async function checkBicep(source: string): Promise<BicepProblem[]> {
  const parser = await bicepParser();
  const tree = parser.parse(source);
  if (!tree) throw new Error("tree-sitter returned no tree");
  try {
    // Error recovery drops or splits declarations, so names are judged only in a file that parses.
    const syntax = syntaxProblems(tree.rootNode);
    return syntax.length > 0 ? syntax : unresolvedNames(tree.rootNode);
  } finally {
    tree.delete();
  }
}
