// An example notifier in TypeScript with the ao JS SDK: POSTs each event as
// a small JSON message to the URL in its settings. Its twins:
// examples/notifier-rust and examples/notifier-go.
import * as ao from "ao-plugin-sdk";
import type { Action, Event, MessageContext } from "ao-plugin-sdk";

function deliver(body: unknown): void {
  const url = ao.config.require<string>("url");
  const response = ao
    .fetch(url, { method: "POST", json: body, headers: { "x-ao-plugin": "notifier-ts" } })
    .errorForStatus();
  ao.log.debug(`delivered to ${url}: ${response.status}`);
}

const text = (e: Event) => `[${e.priority}] ${e.kind}: ${e.message}`;

export const plugin = ao.plugin({
  name: "notifier-ts",
  version: "0.1.0",
  description: "Posts events as JSON (a notifier written in TypeScript)",
  roles: ["notifier"],
  capabilities: { httpHosts: ["*"] },
});

export const notifier = ao.notifier({
  notify(event: Event) {
    deliver({ text: text(event), session: event.sessionId, prUrl: event.prUrl });
  },
  notifyWithActions(event: Event, actions: Action[]) {
    deliver({ text: text(event), session: event.sessionId, actions: actions.map((a) => a.label) });
  },
  post(message: string, context: MessageContext) {
    deliver({ text: message, session: context.sessionId });
    return undefined;
  },
});
