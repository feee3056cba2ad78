// ao-plugin-sdk for JavaScript: the same concepts and names as the Rust SDK
// (sdk/rust). A plugin module exports `plugin` and one object per role; the
// role helpers below fill in the defaults and map every thrown value onto the
// contract's `plugin-error` variant.
//
// The host services are the component's imports (`ao:plugin/<name>@0.1.0`);
// the build (bin/ao-plugin-js.mjs) keeps them external so that QuickJS
// resolves them to the host's functions.

import hostConfig from "ao:plugin/config@0.1.0";
import hostSecrets from "ao:plugin/secrets@0.1.0";
import hostHttp from "ao:plugin/http@0.1.0";
import hostLog from "ao:plugin/log@0.1.0";

/** The WIT version this SDK speaks. */
export const WIT_VERSION = "0.1.0";

// ---------------------------------------------------------------- errors

/** A `plugin-error` the host can act on; throw it from any role function. */
export class PluginError extends Error {
  constructor(tag, val) {
    super(typeof val === "string" ? `${tag}: ${val}` : `${tag}: ${val && val.message}`);
    this.tag = tag;
    this.val = val;
  }
  /** Credentials missing, wrong or lacking a scope. */
  static auth(message) { return new PluginError("auth", message); }
  /** The thing asked for does not exist. */
  static notFound(message) { return new PluginError("not-found", message); }
  /** The service is rate limiting; retry after `retryAfterMs` when known. */
  static rateLimited(retryAfterMs, message) {
    return new PluginError("rate-limited", { retryAfterMs: retryAfterMs ?? undefined, message });
  }
  /** A failure that may pass: timeout, 5xx, dropped connection. */
  static transient(message) { return new PluginError("transient", message); }
  /** The input or the plugin's settings are not acceptable. */
  static invalidInput(message) { return new PluginError("invalid-input", message); }
  /** The host refused a capability. */
  static denied(message) { return new PluginError("denied", message); }
  /** This plugin does not implement the call. */
  static unsupported(call) { return new PluginError("unsupported", `${call} is not implemented by this plugin`); }
  /** Anything else. */
  static other(message) { return new PluginError("other", message); }

  /** Any thrown value as a PluginError (host errors arrive as `{tag, val}`). */
  static from(e) {
    if (e instanceof PluginError) return e;
    const v = e && typeof e === "object" && "payload" in e ? e.payload : e;
    if (v && typeof v === "object" && typeof v.tag === "string") return new PluginError(v.tag, v.val);
    return PluginError.other(e instanceof Error ? e.message : String(e));
  }

  /** The plain `{tag, val}` value the component returns. */
  toWit() { return { tag: this.tag, val: this.val }; }
}

/** Calls `f`; anything it throws leaves as the contract's error variant. */
function guarded(f) {
  return function (...args) {
    try {
      return f.apply(this, args);
    } catch (e) {
      throw PluginError.from(e).toWit();
    }
  };
}

// ---------------------------------------------------------------- UTF-8
// QuickJS has no TextEncoder/TextDecoder.

export const utf8 = {
  /** A string as UTF-8 bytes. */
  encode(text) {
    const out = [];
    for (const ch of text) {
      const c = ch.codePointAt(0);
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  },
  /** UTF-8 bytes as a string (invalid sequences become U+FFFD). */
  decode(bytes) {
    let s = "";
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      let c = 0xfffd, n = 1;
      if (b < 0x80) c = b;
      else if (b >= 0xc0 && b < 0xe0 && i + 1 < bytes.length) { c = ((b & 31) << 6) | (bytes[i + 1] & 63); n = 2; }
      else if (b >= 0xe0 && b < 0xf0 && i + 2 < bytes.length) { c = ((b & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63); n = 3; }
      else if (b >= 0xf0 && i + 3 < bytes.length) { c = ((b & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) | (bytes[i + 3] & 63); n = 4; }
      s += String.fromCodePoint(c);
      i += n;
    }
    return s;
  },
};

// ---------------------------------------------------------------- config, secrets, log

export const config = {
  /** All settings (the plugin's section of agent-orchestrator.yaml). */
  all() {
    try {
      return JSON.parse(hostConfig.getAll());
    } catch (e) {
      throw PluginError.invalidInput(`plugin settings: ${e.message}`);
    }
  },
  /** One setting, or `undefined`. */
  get(key) {
    const json = hostConfig.get(key);
    if (json === undefined || json === null) return undefined;
    try {
      return JSON.parse(json);
    } catch (e) {
      throw PluginError.invalidInput(`setting \`${key}\`: ${e.message}`);
    }
  },
  /** One setting that must be present. */
  require(key) {
    const v = config.get(key);
    if (v === undefined) {
      throw PluginError.invalidInput(
        `setting \`${key}\` is missing; add it to this plugin's section of agent-orchestrator.yaml`,
      );
    }
    return v;
  },
};

export const secrets = {
  /** The value of a granted secret. Prefer `secretHeaders` in `fetch`. */
  get(name) {
    try {
      return hostSecrets.get(name);
    } catch (e) {
      throw PluginError.from(e);
    }
  },
};

export const log = {
  trace: (m) => hostLog.log("trace", String(m)),
  debug: (m) => hostLog.log("debug", String(m)),
  info: (m) => hostLog.log("info", String(m)),
  warn: (m) => hostLog.log("warn", String(m)),
  error: (m) => hostLog.log("error", String(m)),
};

// ---------------------------------------------------------------- HTTP

/** A response from the host: any status is a response. */
export class Response {
  constructor(raw) {
    this.status = raw.status;
    this.headers = raw.headers;
    this.body = raw.body;
  }
  get ok() { return this.status < 400; }
  /** The first header with this name (case-insensitive). */
  header(name) {
    const n = name.toLowerCase();
    const h = this.headers.find(([k]) => k.toLowerCase() === n);
    return h ? h[1] : undefined;
  }
  text() { return utf8.decode(this.body); }
  json() {
    try {
      return JSON.parse(this.text());
    } catch (e) {
      throw PluginError.other(`response is not the JSON expected: ${e.message}`);
    }
  }
  /** `Retry-After` in milliseconds (delta-seconds form). */
  retryAfterMs() {
    const v = this.header("retry-after");
    const secs = v === undefined ? NaN : Number(v.trim());
    return Number.isFinite(secs) ? Math.max(0, Math.round(secs * 1000)) : undefined;
  }
  /**
   * Maps an error status onto the contract, as every SDK does:
   * 401 → auth, 403 → auth or rate-limited, 404/410 → not-found,
   * 429 → rate-limited, 5xx → transient, other 4xx → invalid-input.
   */
  errorForStatus() {
    const status = this.status;
    if (status < 400) return this;
    const message = `HTTP ${status}: ${this.text().slice(0, 300)}`;
    const rateLimited = status === 429 ||
      (status === 403 && (this.header("retry-after") !== undefined || this.header("x-ratelimit-remaining") === "0"));
    if (rateLimited) throw PluginError.rateLimited(this.retryAfterMs(), message);
    if (status === 401 || status === 403) throw PluginError.auth(message);
    if (status === 404 || status === 410) throw PluginError.notFound(message);
    if (status >= 500) throw PluginError.transient(message);
    throw PluginError.invalidInput(message);
  }
}

/**
 * A `fetch`-like call over the host's HTTP service. The host checks the host
 * against the grant, applies timeouts and limits, and fills `secretHeaders`
 * (`{ name, secret, prefix }`) so tokens never enter the plugin.
 *
 *   const issues = fetch(`${base}/issues`, { bearerSecret: "TOKEN" }).errorForStatus().json();
 */
export function fetch(url, init = {}) {
  const headers = Object.entries(init.headers ?? {}).map(([k, v]) => [k, String(v)]);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.some(([k]) => k.toLowerCase() === "content-type")) headers.push(["content-type", "application/json"]);
  }
  if (typeof body === "string") body = utf8.encode(body);
  const secretHeaders = [...(init.secretHeaders ?? [])];
  if (init.bearerSecret) secretHeaders.push({ name: "Authorization", secret: init.bearerSecret, prefix: "Bearer " });
  try {
    return new Response(hostHttp.fetch({
      method: (init.method ?? "GET").toLowerCase(),
      url,
      headers,
      secretHeaders,
      body: body ?? undefined,
      timeoutMs: init.timeoutMs ?? undefined,
    }));
  } catch (e) {
    throw PluginError.from(e);
  }
}

// ---------------------------------------------------------------- roles

const CAPABILITY_DEFAULTS = { httpHosts: [], secrets: [], programs: [], readDirs: [], kv: false };

/** The `plugin` export: who the plugin is and what it needs. */
export function plugin(manifest) {
  const m = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description ?? "",
    roles: manifest.roles,
    capabilities: { ...CAPABILITY_DEFAULTS, ...(manifest.capabilities ?? {}) },
  };
  return { getManifest: () => m };
}

function role(impl, required, defaults, name) {
  for (const f of required) {
    if (typeof impl[f] !== "function") throw new Error(`${name}: the required function \`${f}\` is missing`);
  }
  const out = {};
  for (const [k, f] of Object.entries({ ...defaults, ...impl })) {
    out[k] = typeof f === "function" ? guarded(f.bind(impl)) : f;
  }
  return out;
}

const unsupported = (call) => () => { throw PluginError.unsupported(call); };

/** The `tracker` export. Required: getIssue, issueUrl, branchName, generatePrompt. */
export function tracker(impl) {
  return role(impl, ["getIssue", "issueUrl", "branchName", "generatePrompt"], {
    listIssues: unsupported("list-issues"),
    createIssue: unsupported("create-issue"),
    updateIssue: unsupported("update-issue"),
    isCompleted(project, id) {
      const s = this.getIssue(project, id).state;
      return s === "closed" || s === "cancelled";
    },
    issueLabel: () => undefined,
  }, "tracker");
}

/** The `notifier` export. Required: notify. */
export function notifier(impl) {
  return role(impl, ["notify"], {
    notifyWithActions(event) { return this.notify(event); },
    post: unsupported("post"),
  }, "notifier");
}

/** Summarises CI checks the way ao reads them. */
export function summarizeChecks(checks) {
  if (checks.length === 0) return "none";
  if (checks.some((c) => c.status === "failed")) return "failing";
  if (checks.some((c) => c.status === "pending" || c.status === "running")) return "pending";
  return "passing";
}

/** The `scm` export. Required: detectPr, getPrState, getCiChecks, getReviews, getPendingComments, mergePr, closePr. */
export function scm(impl) {
  return role(impl, ["detectPr", "getPrState", "getCiChecks", "getReviews", "getPendingComments", "mergePr", "closePr"], {
    getPrSummary(project, pr) { return { state: this.getPrState(project, pr), title: pr.title, additions: 0, deletions: 0 }; },
    getCiSummary(project, pr) { return summarizeChecks(this.getCiChecks(project, pr)); },
    getReviewDecision(project, pr) {
      const r = this.getReviews(project, pr);
      if (r.some((x) => x.state === "changes-requested")) return "changes-requested";
      if (r.some((x) => x.state === "approved")) return "approved";
      return r.length === 0 ? "none" : "pending";
    },
    getMergeability: unsupported("get-mergeability"),
    enrichPrs: unsupported("enrich-prs"),
    verifyWebhook: unsupported("verify-webhook"),
    parseWebhook: unsupported("parse-webhook"),
  }, "scm");
}

/** The `agent` export. Required: processName, promptDeliveryMode, launchCommand, activityFromTerminal. */
export function agent(impl) {
  return role(impl, ["processName", "promptDeliveryMode", "launchCommand", "activityFromTerminal"], {
    environment: () => [],
    workspaceHooks: () => [],
    activityFromHookEvent: () => undefined,
    transcriptPaths: () => [],
    activityFromTranscript: () => undefined,
    getSessionInfo: () => undefined,
    restoreCommand: () => undefined,
  }, "agent");
}
