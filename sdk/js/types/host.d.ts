// Generated from wit/v0.1.0 by `scripts/gen-bindings` (ao-gen-bindings). DO NOT EDIT.
// The host services, as the modules a component imports.

declare module "ao:plugin/log@0.1.0" {
  const log: import("./wit.js").LogImports;
  export default log;
}

declare module "ao:plugin/config@0.1.0" {
  const config: import("./wit.js").ConfigImports;
  export default config;
}

declare module "ao:plugin/secrets@0.1.0" {
  const secrets: import("./wit.js").SecretsImports;
  export default secrets;
}

declare module "ao:plugin/http@0.1.0" {
  const http: import("./wit.js").HttpImports;
  export default http;
}

declare module "ao:plugin/kv@0.1.0" {
  const kv: import("./wit.js").KvImports;
  export default kv;
}

declare module "ao:plugin/process@0.1.0" {
  const process: import("./wit.js").ProcessImports;
  export default process;
}

declare module "ao:plugin/clock@0.1.0" {
  const clock: import("./wit.js").ClockImports;
  export default clock;
}

