// Generated from wit/v0.1.0 by `scripts/gen-bindings` (ao-gen-bindings). DO NOT EDIT.
// The `ao:plugin@0.1.0` contract as componentize-qjs presents it to JavaScript.

// ---- interface log

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";
/**
 * Host services a plugin imports. Each capability is its own interface, so a
 * component's imports show exactly which services it can use.
 * Structured logging into ao's log, tagged with the plugin's name.
 */
export interface LogImports {
  log(level: LogLevel, message: string): void;
}

// ---- interface config

/**
 * The plugin's own settings, from its section of `agent-orchestrator.yaml`.
 */
export interface ConfigImports {
  /**
   * The whole settings object as JSON (`{}` when there is none).
   */
  getAll(): string;
  /**
   * One top-level setting as JSON, if present.
   */
  get(key: string): string | null | undefined;
}

// ---- interface tracker-types

export type IssueState = "open" | "in-progress" | "closed" | "cancelled";
export interface Issue {
  id: string;
  title: string;
  description: string;
  url: string;
  state: IssueState;
  labels: Array<string>;
  assignee?: string | null;
  /**
   * Tracker-specific priority, lower is more urgent, when there is one.
   */
  priority?: number | null;
  /**
   * A branch name the tracker suggests for this issue.
   */
  branchName?: string | null;
}
export interface IssueFilter {
  /**
   * `none` lists issues in any state.
   */
  state?: IssueState | null;
  labels: Array<string>;
  assignee?: string | null;
  limit?: number | null;
}
export interface IssueUpdate {
  state?: IssueState | null;
  addLabels: Array<string>;
  removeLabels: Array<string>;
  assignee?: string | null;
  comment?: string | null;
}
export interface NewIssue {
  title: string;
  description: string;
  labels: Array<string>;
  assignee?: string | null;
  priority?: number | null;
}

// ---- interface types

/**
 * Milliseconds since the Unix epoch (UTC).
 */
export type TimestampMs = number;
export interface RateLimit {
  /**
   * When known, how long to wait before the next attempt.
   */
  retryAfterMs?: number | null;
  message: string;
}
/**
 * How a plugin call failed, in a form the host can act on.
 */
export type PluginError =
  | { tag: "auth"; val: string }
  | { tag: "not-found"; val: string }
  | { tag: "rate-limited"; val: RateLimit }
  | { tag: "transient"; val: string }
  | { tag: "invalid-input"; val: string }
  | { tag: "denied"; val: string }
  | { tag: "unsupported"; val: string }
  | { tag: "other"; val: string }
  ;
/**
 * What a plugin asks the host for. The host grants the intersection of
 * this with what the user granted in `agent-orchestrator.yaml`.
 */
export interface Capabilities {
  /**
   * Hosts the plugin may reach over HTTP: `api.github.com`,
   * `*.slack.com`, `127.0.0.1:8080`, or `*` for "any host the user grants".
   */
  httpHosts: Array<string>;
  /**
   * Names of secrets (e.g. `GITHUB_TOKEN`) it may use.
   */
  secrets: Array<string>;
  /**
   * Programs it may run through `ao:plugin/process` (bare names, looked up on PATH).
   */
  programs: Array<string>;
  /**
   * Directories it may read, as absolute paths or `~/...`.
   */
  readDirs: Array<string>;
  /**
   * Whether it wants a private key-value store.
   */
  kv: boolean;
}
/**
 * The roles a component can play; one component may play several.
 */
export type Role = "tracker" | "scm" | "notifier" | "agent";
/**
 * Static facts about a plugin, read by the host before anything else.
 */
export interface Manifest {
  /**
   * Unique name, `[a-z0-9-]+`; used in config (`plugin: NAME`).
   */
  name: string;
  /**
   * The plugin's own semver version.
   */
  version: string;
  description: string;
  /**
   * Roles this component implements; must match its exports.
   */
  roles: Array<Role>;
  capabilities: Capabilities;
}
/**
 * The project a call is about.
 */
export interface Project {
  id: string;
  /**
   * `owner/name` (or `group/sub/name` on GitLab) when known.
   */
  repo?: string | null;
  /**
   * Local path of the main checkout (information only: plugins have no
   * file system unless a directory is granted).
   */
  path: string;
  defaultBranch: string;
}

// ---- interface agent-types

/**
 * How the first prompt reaches the agent.
 */
export type PromptDelivery = "inline" | "post-launch";
export type PermissionMode = "permissionless" | "default" | "auto-edit" | "suggest";
export interface LaunchConfig {
  sessionId: string;
  project: Project;
  workspacePath: string;
  issueId?: string | null;
  prompt?: string | null;
  permissions: PermissionMode;
  model?: string | null;
  systemPrompt?: string | null;
  /**
   * A file (written by the host) holding the system prompt.
   */
  systemPromptFile?: string | null;
  /**
   * The project's `agentConfig`, as JSON.
   */
  agentConfig: string;
}
/**
 * A program for the host to run in the session's runtime. The host
 * validates and runs it; plugins never spawn processes themselves.
 */
export interface CommandSpec {
  argv: Array<string>;
  env: Array<[string, string]>;
}
/**
 * A file the host writes into the workspace before launch (agent hooks
 * that report activity back to ao, settings, rules).
 */
export interface HookFile {
  /**
   * Relative to the workspace root; must not escape it.
   */
  path: string;
  content: string;
  executable: boolean;
}
export type Activity = "active" | "ready" | "idle" | "waiting-input" | "blocked" | "exited";
export interface ActivityReport {
  state: Activity;
  /**
   * When the agent entered this state, if the source says.
   */
  since?: TimestampMs | null;
  /**
   * A short why: the question asked, the error seen.
   */
  detail?: string | null;
}
/**
 * What the host knows about a running session.
 */
export interface SessionContext {
  sessionId: string;
  workspacePath: string;
  /**
   * The agent's own session id (for resume), once known.
   */
  agentSessionId?: string | null;
  startedAt: TimestampMs;
  /**
   * The user's home directory, to locate transcripts.
   */
  homeDir: string;
}
export interface Cost {
  inputTokens: number;
  outputTokens: number;
  estimatedCostUsd: number;
}
export interface SessionInfo {
  summary?: string | null;
  /**
   * The summary is a guess (e.g. the first prompt), not the agent's own.
   */
  summaryIsFallback: boolean;
  agentSessionId?: string | null;
  cost?: Cost | null;
}

// ---- interface agent

/**
 * Adapts one coding-agent CLI (Claude Code, Codex, Aider, Cursor, OpenCode).
 * The host does all process and file work; the plugin turns facts into
 * commands and text into states.
 */
export interface AgentExports {
  /**
   * The executable's name as seen in the process table (`claude`, `codex`).
   */
  processName(): string;
  promptDeliveryMode(): PromptDelivery;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  launchCommand(config: LaunchConfig): CommandSpec;
  /**
   * Extra environment for the agent process.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  environment(config: LaunchConfig): Array<[string, string]>;
  /**
   * Files to write into the workspace before launch.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  workspaceHooks(context: SessionContext): Array<HookFile>;
  /**
   * Classifies the visible terminal text; `none` when it cannot tell.
   */
  activityFromTerminal(text: string): ActivityReport | null | undefined;
  /**
   * Classifies one event posted by the agent's hooks (JSON).
   */
  activityFromHookEvent(context: SessionContext, event: string): ActivityReport | null | undefined;
  /**
   * Transcript files the host should tail for this session (absolute, or
   * `~/`-relative; a directory means its most recently modified file).
   * The host reads them and passes the tail below.
   */
  transcriptPaths(context: SessionContext): Array<string>;
  activityFromTranscript(context: SessionContext, tail: string): ActivityReport | null | undefined;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getSessionInfo(context: SessionContext, transcriptTail: string): SessionInfo | null | undefined;
  /**
   * How to resume this session after a crash; `none` to launch fresh.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  restoreCommand(context: SessionContext, config: LaunchConfig): CommandSpec | null | undefined;
}

// ---- interface secrets

/**
 * Secrets by name (environment of the ao process). Only granted names.
 * Prefer `http.secret-header`: then the secret never enters plugin memory.
 */
export interface SecretsImports {
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  get(name: string): string;
}

// ---- interface http

export type HttpMethod = "get" | "head" | "post" | "put" | "patch" | "delete";
/**
 * A header whose value the host fills from a granted secret:
 * `name: prefix + secret-value` (e.g. `Authorization: Bearer <token>`).
 */
export interface HttpSecretHeader {
  name: string;
  secret: string;
  prefix: string;
}
export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Array<[string, string]>;
  secretHeaders: Array<HttpSecretHeader>;
  body?: Uint8Array | null;
  /**
   * Per-request timeout; capped by the host's limit.
   */
  timeoutMs?: number | null;
}
export interface HttpResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}
/**
 * HTTP performed by the host. The host enforces allowed hosts, timeouts and
 * size limits, and fills secret headers itself.
 */
export interface HttpImports {
  /**
   * Any HTTP status is a response, not an error; errors are for requests
   * that could not be made (denied host, timeout, too large, network).
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  fetch(request: HttpRequest): HttpResponse;
}

// ---- interface kv

/**
 * A private key-value store per plugin (ETag caches, cursors, fingerprints).
 */
export interface KvImports {
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  get(key: string): string | null | undefined;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  set(key: string, value: string): void;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  delete(key: string): void;
}

// ---- interface process

export interface ProcessCommand {
  /**
   * Bare program name, looked up on PATH; must be granted.
   */
  program: string;
  args: Array<string>;
  stdin?: string | null;
  timeoutMs?: number | null;
}
export interface ProcessOutput {
  /**
   * Exit code; -1 when killed by a signal.
   */
  status: number;
  stdout: string;
  stderr: string;
}
/**
 * Running a granted program (e.g. `notify-send`). No shell is involved.
 */
export interface ProcessImports {
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  run(command: ProcessCommand): ProcessOutput;
}

// ---- interface clock

/**
 * Time: the wall clock, and a sleep that ends no later than the call's deadline.
 */
export interface ClockImports {
  nowMs(): TimestampMs;
  sleepMs(ms: number): void;
}

// ---- interface notifier-types

export type Priority = "urgent" | "action" | "warning" | "info";
/**
 * Something that happened in ao that a person may need to know.
 */
export interface Event {
  id: string;
  /**
   * Dotted event type: `session.stuck`, `ci.failing`, `merge.ready`...
   */
  kind: string;
  priority: Priority;
  sessionId: string;
  projectId: string;
  timestamp: TimestampMs;
  /**
   * One human sentence.
   */
  message: string;
  prUrl?: string | null;
  /**
   * Link to the session in ao's dashboard, when it is reachable.
   */
  sessionUrl?: string | null;
  /**
   * Extra facts as a JSON object.
   */
  data: string;
}
/**
 * A button or link a person can use to act on an event.
 */
export interface Action {
  label: string;
  url?: string | null;
  /**
   * ao endpoint (path) that performs the action when called back.
   */
  callbackEndpoint?: string | null;
}
/**
 * Where a free-form message belongs.
 */
export interface MessageContext {
  sessionId?: string | null;
  projectId?: string | null;
  prUrl?: string | null;
  channel?: string | null;
}

// ---- interface notifier

/**
 * Delivers events to people (desktop, chat, webhooks).
 */
export interface NotifierExports {
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  notify(event: Event): void;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  notifyWithActions(event: Event, actions: Array<Action>): void;
  /**
   * Posts a free-form message; returns the message id when the service has one.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  post(message: string, context: MessageContext): string | null | undefined;
}

// ---- interface plugin

/**
 * Exported by every component: who it is and what it needs.
 */
export interface PluginExports {
  getManifest(): Manifest;
}

// ---- interface scm-types

export interface PrInfo {
  number: number;
  url: string;
  title: string;
  owner: string;
  repo: string;
  branch: string;
  baseBranch: string;
  isDraft: boolean;
}
export type PrState = "open" | "merged" | "closed";
export interface PrSummary {
  state: PrState;
  title: string;
  additions: number;
  deletions: number;
}
export type CheckStatus = "pending" | "running" | "passed" | "failed" | "skipped";
export interface CiCheck {
  name: string;
  status: CheckStatus;
  url?: string | null;
  conclusion?: string | null;
  startedAt?: TimestampMs | null;
  completedAt?: TimestampMs | null;
  /**
   * The end of a failed check's log (a few KiB at most), when the
   * provider gives it cheaply; ao quotes it to the agent.
   */
  logExcerpt?: string | null;
}
export type CiSummary = "pending" | "passing" | "failing" | "none";
export type ReviewState = "approved" | "changes-requested" | "commented" | "dismissed" | "pending";
export interface Review {
  author: string;
  state: ReviewState;
  body?: string | null;
  submittedAt?: TimestampMs | null;
}
export type ReviewDecision = "approved" | "changes-requested" | "pending" | "none";
/**
 * An unresolved review thread comment (resolved ones are not returned).
 */
export interface ReviewComment {
  id: string;
  threadId?: string | null;
  author: string;
  body: string;
  path?: string | null;
  line?: number | null;
  isResolved: boolean;
  createdAt?: TimestampMs | null;
  url: string;
  /**
   * Written by a bot (linters, AI reviewers, coverage tools).
   */
  isBot: boolean;
}
export interface Mergeability {
  mergeable: boolean;
  ciPassing: boolean;
  approved: boolean;
  noConflicts: boolean;
  /**
   * Why it cannot merge, in words a person understands.
   */
  blockers: Array<string>;
}
export type MergeMethod = "merge" | "squash" | "rebase";
/**
 * Everything the lifecycle loop needs about one PR, fetched in bulk.
 */
export interface PrEnrichment {
  number: number;
  state: PrState;
  title: string;
  additions: number;
  deletions: number;
  isDraft: boolean;
  ci: CiSummary;
  ciChecks: Array<CiCheck>;
  reviewDecision: ReviewDecision;
  mergeable: boolean;
  hasConflicts: boolean;
  isBehind: boolean;
  blockers: Array<string>;
  unresolvedComments: Array<ReviewComment>;
}
/**
 * An incoming webhook delivery, as received by ao's server.
 */
export interface WebhookRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}
export interface WebhookVerification {
  ok: boolean;
  reason?: string | null;
  deliveryId?: string | null;
  eventType?: string | null;
}
export type WebhookKind = "pull-request" | "ci" | "review" | "comment" | "push" | "unknown";
export interface WebhookEvent {
  kind: WebhookKind;
  action: string;
  prNumber?: number | null;
  branch?: string | null;
  sha?: string | null;
  repository?: string | null;
  /**
   * The provider's payload fields ao may need, as JSON.
   */
  data: string;
}

// ---- interface scm

/**
 * Pull requests, CI and reviews (GitHub, GitLab, local).
 */
export interface ScmExports {
  /**
   * The open PR whose head is `branch`, if any.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  detectPr(project: Project, branch: string): PrInfo | null | undefined;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getPrState(project: Project, pr: PrInfo): PrState;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getPrSummary(project: Project, pr: PrInfo): PrSummary;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getCiChecks(project: Project, pr: PrInfo): Array<CiCheck>;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getCiSummary(project: Project, pr: PrInfo): CiSummary;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getReviews(project: Project, pr: PrInfo): Array<Review>;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getReviewDecision(project: Project, pr: PrInfo): ReviewDecision;
  /**
   * Unresolved review threads and comments, each flagged human or bot.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getPendingComments(project: Project, pr: PrInfo): Array<ReviewComment>;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getMergeability(project: Project, pr: PrInfo): Mergeability;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  mergePr(project: Project, pr: PrInfo, method: MergeMethod): void;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  closePr(project: Project, pr: PrInfo): void;
  /**
   * Facts for many PRs in as few API calls as possible (one per cycle).
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  enrichPrs(project: Project, prs: Array<PrInfo>): Array<PrEnrichment>;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  verifyWebhook(project: Project, request: WebhookRequest): WebhookVerification;
  /**
   * `none` when the delivery is not about anything ao tracks.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  parseWebhook(project: Project, request: WebhookRequest): WebhookEvent | null | undefined;
}

// ---- interface tracker

/**
 * Where issues come from (GitHub, GitLab, Linear, local files).
 */
export interface TrackerExports {
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  getIssue(project: Project, id: string): Issue;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  listIssues(project: Project, filter: IssueFilter): Array<Issue>;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  createIssue(project: Project, issue: NewIssue): Issue;
  /**
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  updateIssue(project: Project, id: string, update: IssueUpdate): void;
  /**
   * True when the issue is closed or cancelled.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  isCompleted(project: Project, id: string): boolean;
  issueUrl(project: Project, id: string): string;
  /**
   * The short label for an issue URL (`#42`, `INT-100`), if it is one of ours.
   */
  issueLabel(project: Project, url: string): string | null | undefined;
  branchName(project: Project, id: string): string;
  /**
   * The task text handed to a coding agent for this issue.
   * Throws its WIT error (`{ tag, val }`, see `PluginError`).
   */
  generatePrompt(project: Project, id: string): string;
}

