// Unit tests of the JS SDK's own logic (UTF-8, HTTP error mapping, role
// defaults, thrown values → the contract's variant), run under Node with
// stand-ins for the host imports. The full path (QuickJS in a component in
// the real host) is covered by the conformance suite on examples/tracker-js.
//   node sdk/js/test/run.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import * as ao from "./bundle/index.js";
import { state } from "./bundle/host-stub.js";

test("utf8 round-trips text outside ASCII", () => {
  const text = "ünïcödé ✓ 𝄞";
  const bytes = ao.utf8.encode(text);
  assert.deepEqual([...ao.utf8.encode("é")], [0xc3, 0xa9]);
  assert.equal(bytes.length, 20);
  assert.equal(ao.utf8.decode(bytes), text);
});

test("fetch sends a JSON body, the bearer secret as a secret header, and maps statuses", () => {
  state.reply = { status: 200, headers: [["content-type", "application/json"]], body: ao.utf8.encode('{"ok":true}') };
  const r = ao.fetch("http://x/issues", { method: "POST", json: { a: "ü" }, bearerSecret: "TOKEN" });
  const sent = state.requests.at(-1);
  assert.equal(sent.method, "post");
  assert.deepEqual(sent.secretHeaders, [{ name: "Authorization", secret: "TOKEN", prefix: "Bearer " }]);
  assert.deepEqual(sent.headers, [["content-type", "application/json"]]);
  assert.equal(ao.utf8.decode(sent.body), '{"a":"ü"}');
  assert.deepEqual(r.errorForStatus().json(), { ok: true });

  const cases = [
    [401, [], "auth"], [403, [], "auth"], [403, [["x-ratelimit-remaining", "0"]], "rate-limited"],
    [404, [], "not-found"], [410, [], "not-found"], [429, [["Retry-After", "7"]], "rate-limited"],
    [503, [], "transient"], [422, [], "invalid-input"],
  ];
  for (const [status, headers, tag] of cases) {
    state.reply = { status, headers, body: new Uint8Array() };
    assert.throws(() => ao.fetch("http://x").errorForStatus(), (e) => e.tag === tag, `${status} → ${tag}`);
  }
  state.reply = { status: 429, headers: [["retry-after", "7"]], body: new Uint8Array() };
  assert.throws(() => ao.fetch("http://x").errorForStatus(), (e) => e.val.retryAfterMs === 7000);
});

test("a host error thrown by fetch becomes the same variant", () => {
  state.reply = () => { throw { tag: "denied", val: "host x is not granted" }; };
  assert.throws(() => ao.fetch("http://x"), (e) => e instanceof ao.PluginError && e.tag === "denied");
});

test("config.require names the missing setting", () => {
  state.settings = { url: "http://x" };
  assert.equal(ao.config.require("url"), "http://x");
  assert.throws(() => ao.config.require("token"), (e) => e.tag === "invalid-input" && e.val.includes("`token`"));
});

test("role helpers check required functions and fill the defaults", () => {
  assert.throws(() => ao.tracker({ getIssue() {} }), /issueUrl/);
  const t = ao.tracker({
    getIssue: (_p, id) => ({ id, state: id === "1" ? "closed" : "open" }),
    issueUrl: () => "",
    branchName: () => "",
    generatePrompt: () => { throw new Error("boom"); },
  });
  assert.equal(t.isCompleted({}, "1"), true);
  assert.equal(t.isCompleted({}, "2"), false);
  assert.equal(t.issueLabel({}, "x"), undefined);
  // Thrown values leave as plain `{ tag, val }`: SDK errors keep their tag, others become `other`.
  assert.throws(() => t.listIssues({}, {}), (e) => e.tag === "unsupported" && !(e instanceof Error));
  assert.throws(() => t.generatePrompt({}, "1"), (e) => e.tag === "other" && e.val === "boom");
  const n = ao.notifier({ notify: () => { throw ao.PluginError.transient("later"); } });
  assert.throws(() => n.notifyWithActions({}, []), (e) => e.tag === "transient" && e.val === "later");
  assert.deepEqual(ao.plugin({ name: "x", version: "1", roles: ["notifier"] }).getManifest().capabilities,
    { httpHosts: [], secrets: [], programs: [], readDirs: [], kv: false });
});
