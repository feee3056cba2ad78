// ao-plugin-sdk: the public API (hand-written); the contract's types are in
// ../types/wit.d.ts, generated from wit/ by scripts/gen-bindings.
/// <reference path="../types/host.d.ts" />
import type * as wit from "../types/wit.js";

export type * from "../types/wit.js";

/** The WIT version this SDK speaks. */
export const WIT_VERSION: string;

/** The contract's error variant as a throwable Error. */
export class PluginError extends Error {
  tag: wit.PluginError["tag"];
  val: unknown;
  constructor(tag: wit.PluginError["tag"], val?: unknown);
  static auth(message: string): PluginError;
  static notFound(message: string): PluginError;
  static rateLimited(retryAfterMs: number | undefined, message: string): PluginError;
  static transient(message: string): PluginError;
  static invalidInput(message: string): PluginError;
  static denied(message: string): PluginError;
  static unsupported(call: string): PluginError;
  static other(message: string): PluginError;
  /** Any thrown value (host errors arrive as `{ tag, val }`) as a PluginError. */
  static from(e: unknown): PluginError;
  toWit(): wit.PluginError;
}

export const utf8: {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array | number[]): string;
};

export const config: {
  /** All settings (the plugin's section of agent-orchestrator.yaml). */
  all<T = Record<string, unknown>>(): T;
  /** One setting, or `undefined`. */
  get<T = unknown>(key: string): T | undefined;
  /** One setting that must be present (else `invalid-input` naming it). */
  require<T = unknown>(key: string): T;
};

export const secrets: {
  /** The value of a granted secret. Prefer `secretHeaders` / `bearerSecret` in `fetch`. */
  get(name: string): string;
};

export const log: Record<"trace" | "debug" | "info" | "warn" | "error", (message: unknown) => void>;

export interface FetchInit {
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | Lowercase<"GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE">;
  headers?: Record<string, string>;
  /** A raw body (strings are sent as UTF-8). */
  body?: string | Uint8Array;
  /** A JSON body, with `content-type: application/json`. */
  json?: unknown;
  /** Headers the host fills from granted secrets. */
  secretHeaders?: wit.HttpSecretHeader[];
  /** `Authorization: Bearer <secret>`, filled by the host. */
  bearerSecret?: string;
  timeoutMs?: number;
}

export class Response {
  readonly status: number;
  readonly headers: Array<[string, string]>;
  readonly body: Uint8Array;
  readonly ok: boolean;
  header(name: string): string | undefined;
  text(): string;
  json<T = any>(): T;
  retryAfterMs(): number | undefined;
  /** Throws the matching PluginError for a status ≥ 400, as every ao SDK maps it. */
  errorForStatus(): Response;
}

/** HTTP through the host (allowed hosts, timeouts, secret headers). */
export function fetch(url: string, init?: FetchInit): Response;

export interface ManifestInit {
  name: string;
  version: string;
  description?: string;
  roles: wit.Role[];
  capabilities?: Partial<wit.Capabilities>;
}

export function plugin(manifest: ManifestInit): wit.PluginExports;

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

export function tracker<T extends Optional<wit.TrackerExports, "listIssues" | "createIssue" | "updateIssue" | "isCompleted" | "issueLabel">>(
  impl: T & ThisType<wit.TrackerExports>,
): wit.TrackerExports;
export function notifier<T extends Optional<wit.NotifierExports, "notifyWithActions" | "post">>(
  impl: T & ThisType<wit.NotifierExports>,
): wit.NotifierExports;
export function scm<T extends Optional<wit.ScmExports, "getPrSummary" | "getCiSummary" | "getReviewDecision" | "getMergeability" | "enrichPrs" | "verifyWebhook" | "parseWebhook">>(
  impl: T & ThisType<wit.ScmExports>,
): wit.ScmExports;
export function agent<T extends Optional<wit.AgentExports, "environment" | "workspaceHooks" | "activityFromHookEvent" | "transcriptPaths" | "activityFromTranscript" | "getSessionInfo" | "restoreCommand">>(
  impl: T & ThisType<wit.AgentExports>,
): wit.AgentExports;
export function summarizeChecks(checks: wit.CiCheck[]): wit.CiSummary;
