import { BROWSER_API } from "./browser/api";
import { BROWSER_BACKLOG_VIEW } from "./browser/backlogView";
import { BROWSER_DEPLOYMENT_VIEW } from "./browser/deploymentView";
import { BROWSER_DOM } from "./browser/dom";
import { BROWSER_LIST_VIEW } from "./browser/listView";
import { BROWSER_ROUTER } from "./browser/router";
import { BROWSER_TIMELINE } from "./browser/timeline";

/**
 * The status page's one script: the browser modules under ./browser/ joined inside one function
 * scope, in strict mode. Plain JavaScript as the browser runs it — no framework, no bundler, no build
 * step; each module is a string so that it ships inside the compiled app (the package carries only
 * the .js files the entry points import: scripts/package.ts).
 */
export const BROWSER_PARTS = [BROWSER_API, BROWSER_DOM, BROWSER_TIMELINE, BROWSER_LIST_VIEW, BROWSER_BACKLOG_VIEW, BROWSER_DEPLOYMENT_VIEW, BROWSER_ROUTER] as const;

export const STATUS_PAGE_SCRIPT = `(function () {\n"use strict";\n${BROWSER_PARTS.join("\n")}\nstart();\n})();\n`;
