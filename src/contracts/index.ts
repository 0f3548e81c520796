export * from "./common";
export * from "./deployRequest";
export * from "./events";
export * from "./notification";
export * from "./issues";
export * from "./parse";
export * from "./jsonSchemas";
