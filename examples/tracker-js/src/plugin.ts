// The example tracker in TypeScript: issues from a small JSON REST service
// (see host/ao-conformance/src/fake_issues.rs for the API). The same plugin
// is written in Rust (examples/tracker-rust) and Go (examples/tracker-go);
// all three pass `ao plugin test` with the same results.
import * as ao from "ao-plugin-sdk";
import type { Issue, IssueFilter, IssueState, IssueUpdate, NewIssue, Project } from "ao-plugin-sdk";

interface ApiIssue {
  id: string;
  title: string;
  body?: string;
  state: string;
  labels?: string[];
  assignee?: string | null;
  priority?: number | null;
}

const API_STATE: Record<IssueState, string> = {
  open: "open",
  "in-progress": "in_progress",
  closed: "closed",
  cancelled: "cancelled",
};

function base(): string {
  const url = ao.config.require("url") as string;
  return url.replace(/\/+$/, "");
}

// issue-url cannot fail: an empty base when the setting is missing.
function urlOf(id: string): string {
  let b = "";
  try {
    b = base();
  } catch {
    b = "";
  }
  return `${b}/issues/${id}`;
}

const branch = (id: string) => `feat/issue-${id}`;

function toIssue(i: ApiIssue): Issue {
  const state: IssueState =
    i.state === "in_progress" ? "in-progress" : i.state === "closed" ? "closed" : i.state === "cancelled" ? "cancelled" : "open";
  return {
    id: i.id,
    title: i.title,
    description: i.body ?? "",
    url: urlOf(i.id),
    state,
    labels: i.labels ?? [],
    assignee: i.assignee ?? undefined,
    priority: i.priority ?? undefined,
    branchName: branch(i.id),
  };
}

function send(url: string, init: ao.FetchInit = {}): ao.Response {
  return ao.fetch(url, { ...init, bearerSecret: "ISSUES_TOKEN" }).errorForStatus();
}

export const plugin = ao.plugin({
  name: "tracker-js",
  version: "0.1.0",
  description: "Issues from a JSON issue service (the example tracker, in TypeScript)",
  roles: ["tracker"],
  capabilities: { httpHosts: ["*"], secrets: ["ISSUES_TOKEN"] },
});

export const tracker = ao.tracker({
  getIssue(_project: Project, id: string): Issue {
    return toIssue(send(`${base()}/issues/${encodeURIComponent(id)}`).json());
  },
  issueUrl: (_project: Project, id: string) => urlOf(id),
  branchName: (_project: Project, id: string) => branch(id),
  generatePrompt(project: Project, id: string): string {
    const issue = this.getIssue(project, id);
    let prompt = `Issue #${issue.id}: ${issue.title}\n${issue.url}`;
    if (issue.description) prompt += `\n\n${issue.description}`;
    if (issue.labels.length) prompt += `\n\nLabels: ${issue.labels.join(", ")}`;
    return prompt;
  },
  listIssues(_project: Project, filter: IssueFilter): Issue[] {
    const q: string[] = [];
    if (filter.state) q.push(`state=${API_STATE[filter.state]}`);
    if (filter.labels.length) q.push(`labels=${encodeURIComponent(filter.labels.join(","))}`);
    if (filter.assignee != null) q.push(`assignee=${encodeURIComponent(filter.assignee)}`);
    if (filter.limit != null) q.push(`limit=${filter.limit}`);
    const list: ApiIssue[] = send(`${base()}/issues?${q.join("&")}`).json();
    return list.map(toIssue);
  },
  createIssue(_project: Project, issue: NewIssue): Issue {
    const created: ApiIssue = send(`${base()}/issues`, {
      method: "POST",
      json: { title: issue.title, body: issue.description, labels: issue.labels, assignee: issue.assignee ?? null, priority: issue.priority ?? null },
    }).json();
    return toIssue(created);
  },
  updateIssue(_project: Project, id: string, update: IssueUpdate): void {
    const url = `${base()}/issues/${encodeURIComponent(id)}`;
    const patch: Record<string, unknown> = { addLabels: update.addLabels, removeLabels: update.removeLabels };
    if (update.state) patch.state = API_STATE[update.state];
    if (update.assignee != null) patch.assignee = update.assignee;
    send(url, { method: "PATCH", json: patch });
    if (update.comment != null) send(`${url}/comments`, { method: "POST", json: { body: update.comment } });
  },
  issueLabel(_project: Project, url: string): string | undefined {
    let prefix: string;
    try {
      prefix = `${base()}/issues/`;
    } catch {
      return undefined;
    }
    if (!url.startsWith(prefix)) return undefined;
    const id = url.slice(prefix.length);
    return id && !id.includes("/") ? `#${id}` : undefined;
  },
});
