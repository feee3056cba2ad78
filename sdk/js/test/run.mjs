// Bundles the SDK with the host stand-ins (esbuild), then runs the tests with
// Node's test runner: `node sdk/js/test/run.mjs` (after `npm install` in sdk/js).
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const stub = join(here, "host-stub.mjs");


await build({
  entryPoints: { index: join(here, "..", "src", "index.js"), "host-stub": stub },
  bundle: true,
  format: "esm",
  platform: "node",
  outdir: join(here, "bundle"),
  splitting: true,
  logLevel: "warning",
  plugins: [{
    name: "host-stub",
    setup(b) {
      b.onResolve({ filter: /^ao:plugin\// }, (a) => ({ path: a.path, namespace: "host" }));
      b.onLoad({ filter: /.*/, namespace: "host" }, (a) => {
        const name = a.path.slice("ao:plugin/".length).split("@")[0];
        return { contents: `import { ${name} } from ${JSON.stringify(stub)}; export default ${name};`, resolveDir: here };
      });
    },
  }],
});
const r = spawnSync(process.execPath, ["--test", join(here, "sdk.test.mjs")], { stdio: "inherit" });
process.exit(r.status ?? 1);
