#!/usr/bin/env node
// ao-plugin-js build --world W [--entry src/plugin.ts] [-o NAME.wasm] [--opt-size]
//
// Bundles a JavaScript or TypeScript plugin into one ES module (esbuild; the
// host services `ao:plugin/*` stay imports) and makes it a WebAssembly
// component of the world with componentize-qjs (QuickJS, synchronous ABI).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const WORLDS = { tracker: "tracker-plugin", scm: "scm-plugin", notifier: "notifier-plugin", agent: "agent-plugin", "tracker-scm": "tracker-scm-plugin" };
const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`ao-plugin-js: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args[0] !== "build") fail("usage: ao-plugin-js build --world tracker|scm|notifier|agent|tracker-scm [--entry src/plugin.ts] [-o NAME.wasm] [--opt-size]");
let world, entry, out, optSize = false;
for (let i = 1; i < args.length; i++) {
  const a = args[i];
  if (a === "--world") world = args[++i];
  else if (a === "--entry") entry = args[++i];
  else if (a === "-o" || a === "--out") out = args[++i];
  else if (a === "--opt-size") optSize = true;
  else fail(`unknown argument ${a}`);
}
const witWorld = WORLDS[world] ?? (Object.values(WORLDS).includes(world) ? world : undefined);
if (!witWorld) fail(`--world must be one of ${Object.keys(WORLDS).join(", ")} (got ${world ?? "nothing"})`);
entry ??= ["src/plugin.ts", "src/plugin.js", "plugin.ts", "plugin.js"].find((p) => existsSync(p));
if (!entry || !existsSync(entry)) fail(`no entry file: pass --entry (looked for src/plugin.ts, src/plugin.js)`);
out ??= `${basename(process.cwd())}.wasm`;

const tmp = mkdtempSync(join(tmpdir(), "ao-plugin-js-"));
try {
  const bundle = join(tmp, "plugin.js");
  const esbuild = require("esbuild");
  esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2020",
    external: ["ao:plugin/*"],
    outfile: bundle,
    logLevel: "warning",
  });
  const qjs = join(dirname(require.resolve("componentize-qjs/package.json")), "bin", "componentize-qjs");
  const qjsArgs = [qjs, "--wit", join(sdkDir, "wit"), "-n", witWorld, "--js", bundle, "--sync", "-o", out];
  if (optSize) qjsArgs.push("--opt-size");
  execFileSync(process.execPath, qjsArgs, { stdio: "inherit" });
  console.error(`built ${out} (world ${witWorld})`);
} catch (e) {
  fail(e.message);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
