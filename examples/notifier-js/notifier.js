// An ao notifier plugin in JavaScript: POSTs each event as a small JSON
// message to the URL in its settings (`url`). Built into a WebAssembly
// component with componentize-qjs (QuickJS), loaded by the same host as the
// Rust plugins, through the same WIT contract (wit/v0.1.0).
//
//   notifiers:
//     js-hook:
//       plugin: notifier-js
//       url: https://hooks.example.com/ao
//   plugins:
//     notifier-js:
//       grant: { http: [hooks.example.com] }

import config from "ao:plugin/config@0.1.0";
import http from "ao:plugin/http@0.1.0";
import log from "ao:plugin/log@0.1.0";

// QuickJS has no TextEncoder: encode UTF-8 by hand.
function utf8(text) {
  const bytes = [];
  for (const ch of text) {
    let c = ch.codePointAt(0);
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(bytes);
}

function settings() {
  const all = JSON.parse(config.getAll());
  if (typeof all.url !== "string") {
    throw { tag: "invalid-input", val: "setting `url` is missing; add it to this notifier's section of agent-orchestrator.yaml" };
  }
  return all;
}

// Any HTTP status >= 400 becomes the contract's error variant.
function deliver(body) {
  const { url } = settings();
  const response = http.fetch({
    method: "post",
    url,
    headers: [["content-type", "application/json"], ["x-ao-plugin", "notifier-js"]],
    secretHeaders: [],
    body: utf8(JSON.stringify(body)),
    timeoutMs: null,
  });
  if (response.status >= 500) throw { tag: "transient", val: `HTTP ${response.status}` };
  if (response.status >= 400) throw { tag: "invalid-input", val: `HTTP ${response.status}` };
  log.log("debug", `delivered to ${url}: ${response.status}`);
}

export const plugin = {
  getManifest() {
    return {
      name: "notifier-js",
      version: "0.1.0",
      description: "Posts events as JSON (a notifier written in JavaScript)",
      roles: ["notifier"],
      capabilities: { httpHosts: ["*"], secrets: [], programs: [], readDirs: [], kv: false },
    };
  },
};

export const notifier = {
  notify(event) {
    deliver({ text: `[${event.priority}] ${event.kind}: ${event.message}`, session: event.sessionId, prUrl: event.prUrl });
  },
  notifyWithActions(event, actions) {
    deliver({ text: `[${event.priority}] ${event.kind}: ${event.message}`, session: event.sessionId, actions: actions.map((a) => a.label) });
  },
  post(message, context) {
    deliver({ text: message, session: context.sessionId });
    return null;
  },
};
