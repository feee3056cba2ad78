// ao's bridge inside OpenCode (a plugin named in OPENCODE_CONFIG_CONTENT): it
// appends what ao needs to know about this session — its id, busy/idle,
// permission questions, title and cost — to a JSON-lines file in the
// workspace, which ao's opencode plugin reads as the session's transcript.
// OpenCode 1.18 keeps its own sessions in SQLite, out of the plugin's reach.
import { appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const file =
  process.env.AO_OPENCODE_EVENTS ||
  join(dirname(fileURLToPath(import.meta.url)), "events.jsonl");
// Sub-agent sessions (the task tool) are not the session ao watches.
const children = new Set();

function record(fields) {
  try {
    appendFileSync(file, JSON.stringify({ at: Date.now(), ...fields }) + "\n");
  } catch {
    // ao falls back to reading the screen.
  }
}

export const AoBridge = async () => ({
  event: async ({ event }) => {
    const p = event.properties || {};
    const info = p.info || {};
    const sessionID = p.sessionID || info.sessionID;
    if (!sessionID) return;
    if (event.type.startsWith("session.") && info.parentID) children.add(sessionID);
    if (children.has(sessionID)) return;
    switch (event.type) {
      case "session.created":
      case "session.updated":
        record({ type: "session", sessionID, title: info.title, cost: info.cost, tokens: info.tokens });
        break;
      case "session.status":
        record({ type: "status", sessionID, status: p.status && p.status.type });
        break;
      case "session.idle":
        record({ type: "idle", sessionID });
        break;
      case "permission.asked":
        record({ type: "permission", sessionID, permission: p.permission, patterns: p.patterns });
        break;
      case "permission.replied":
        record({ type: "replied", sessionID, reply: p.reply });
        break;
    }
  },
});
