// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * Orchestrators must be deterministic: Durable Functions replays them from history, so every effect
 * (I/O, clock, randomness, environment) belongs in an activity. These rules make that a build error
 * rather than a code-review hope (the idea of Temporal's saga/.eslintrc.js).
 */
const orchestratorRestrictedImports = {
  patterns: [
    { group: ["@azure/*"], message: "Orchestrators never call Azure: start an activity instead." },
    { group: ["node:*"], message: "Orchestrators do no I/O: use an activity." },
    {
      regex: "^(fs|path|os|http|https|net|crypto|child_process|timers|util|stream|dns|tls|zlib|events|worker_threads|process)(/.*)?$",
      message: "Node built-ins are I/O or nondeterministic: use an activity.",
    },
    { group: ["axios", "undici", "node-fetch", "uuid"], message: "Orchestrators do no I/O or randomness." },
    { group: ["**/src/azure", "**/src/azure/**", "**/azure/*"], message: "SDK clients belong to activities." },
    { group: ["**/config", "**/config.*", "**/src/config*"], message: "Settings reach orchestrators through their input (environment is nondeterministic)." },
    { group: ["**/local/**", "**/src/local*"], message: "Production code never imports the local stand-ins." },
    {
      regex: "(^|/)activities/(?!catalog$)[^/]+$",
      message: "Orchestrators import only the activity catalog (names and I/O types), never activity implementations.",
    },
  ],
};

export default tseslint.config(
  // .azure-package/: the deployable folder `npm run package` (and so `azd package`, azure.yaml) builds.
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "bench/results/**", "schemas/**", ".azure-package/**", ".stryker-tmp/**", "reports/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "off",
    },
  },
  {
    // Tests mutate JSON fixtures freely to build bad inputs.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // CLI commands load the local stand-ins (simulator, broker, runner, Azure SDKs) only when they run,
    // so `flowdeploy validate` starts in a fraction of the time `flowdeploy local` needs; the Azure
    // Monitor distro is loaded only when the app has an Application Insights connection string.
    files: ["src/cli/commands/*.ts", "src/tracing/azureMonitor.ts"],
    rules: {
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
    },
  },
  {
    // Product code (what the Function App runs, and the client library) never reaches into the local
    // stand-ins: the simulator, broker and runner exist for tests and `flowdeploy local` only.
    files: ["src/activities/**/*.ts", "src/azure/**/*.ts", "src/client/**/*.ts", "src/contracts/**/*.ts", "src/domain/**/*.ts", "src/functions/**/*.ts", "src/intake/**/*.ts", "src/plan/**/*.ts", "src/tracing/**/*.ts", "src/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/local", "**/local/**"], message: "Product code never imports the local stand-ins (src/local)." }] }],
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", process: "readonly", module: "readonly", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["orchestrations/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", orchestratorRestrictedImports],
      "no-restricted-globals": [
        "error",
        { name: "process", message: "No environment in orchestrators: pass settings in the input." },
        { name: "setTimeout", message: "Use context.df.createTimer." },
        { name: "setInterval", message: "Use context.df.createTimer." },
        { name: "fetch", message: "No I/O in orchestrators: use an activity." },
        { name: "crypto", message: "Use context.df.newGuid for ids." },
        { name: "Buffer", message: "No I/O in orchestrators." },
        { name: "require", message: "Use static imports." },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Use context.df.currentUtcDateTime." },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Use context.df.currentUtcDateTime." },
        { selector: "CallExpression[callee.name='Date']", message: "Date() reads the clock: use context.df.currentUtcDateTime." },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: "Orchestrators are deterministic: no randomness." },
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: "No environment in orchestrators: pass settings in the input." },
        { selector: "MemberExpression[object.name='crypto'][property.name='randomUUID']", message: "Use context.df.newGuid." },
        { selector: "ImportExpression", message: "No dynamic imports in orchestrators." },
        { selector: "FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]", message: "Orchestrators are synchronous generators: no async functions." },
      ],
    },
  },
);
