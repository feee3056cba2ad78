// ao dashboard. Plain DOM, no framework, no build step.
// Every piece of text from sessions, issues, agents and reviews goes in with
// textContent (through h()); this file never assigns innerHTML.
"use strict";

const ZONE_LABELS = {
  respond: "Respond",
  review: "Review",
  merge: "Merge",
  pending: "Pending",
  working: "Working",
  done: "Done",
};
const ZONE_HINTS = {
  respond: "the agent needs input, is stuck or errored",
  review: "CI failed, changes requested or conflicts",
  merge: "approved and green",
  pending: "waiting on CI or reviewers",
  working: "agents at work",
  done: "ended in the last day",
};
const AGENTS = ["claude-code", "codex", "aider", "opencode", "cursor", "custom"];

let board = null;
const drafts = new Map(); // session id -> quick reply text being typed
let view = null; // the current page: {name, id?, cleanup?, onBoard?}

// ---- helpers ---------------------------------------------------------------

/// Element with attributes; children are nodes or strings (as text).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "className") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

/// Only http(s) links from data become hrefs.
function safeUrl(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function age(ms) {
  if (!ms) return "";
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h";
  return Math.floor(s / 86400) + "d";
}

function when(ms) {
  return ms ? new Date(ms).toLocaleString() : "";
}

async function api(method, path, body) {
  const opts = { method, headers: { "X-AO-CSRF": "1" }, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { error: text }; }
  if (!res.ok) throw new Error((data && data.error) || res.status + " " + res.statusText);
  return data;
}

/// A status line that shows an action's outcome.
function outcome() {
  const el = h("div", { className: "outcome", role: "status", "aria-live": "polite" });
  el.show = (ok, text) => {
    el.className = "outcome " + (ok ? "ok" : "err");
    el.textContent = text;
  };
  return el;
}

async function act(out, button, method, path, body, done) {
  if (button) button.disabled = true;
  out.show(true, "working…");
  try {
    const r = await api(method, path, body);
    out.show(true, (r && (r.output || r.notes)) || "done");
    if (done) done(r);
  } catch (e) {
    out.show(false, e.message);
  } finally {
    if (button) button.disabled = false;
  }
}

/// A button that asks to be pressed twice before a destructive action.
function confirmButton(label, confirmLabel, onConfirm, attrs) {
  let armed = null;
  const b = h("button", Object.assign({ type: "button", className: "danger" }, attrs || {}), label);
  b.addEventListener("click", () => {
    if (armed) {
      clearTimeout(armed);
      armed = null;
      b.textContent = label;
      onConfirm(b);
    } else {
      b.textContent = confirmLabel;
      armed = setTimeout(() => { armed = null; b.textContent = label; }, 5000);
    }
  });
  return b;
}

function badge(kind, text) {
  return text ? h("span", { className: "badge " + kind + "-" + String(text).replace(/[^a-z_]/gi, "") }, text) : null;
}

function sessions() {
  return (board && board.sessions) || [];
}

function projectFilter() {
  return localStorage.getItem("ao.project") || "";
}

// ---- live board stream -----------------------------------------------------

function connect() {
  const conn = document.getElementById("conn");
  const es = new EventSource("/api/board/stream");
  es.addEventListener("open", () => { conn.textContent = "live"; conn.className = "conn live"; });
  es.addEventListener("error", () => { conn.textContent = "reconnecting…"; conn.className = "conn down"; });
  es.addEventListener("board", (e) => {
    board = JSON.parse(e.data);
    document.title = (board.attention > 0 ? "(" + board.attention + ") " : "") + "ao";
    if (view && view.onBoard) view.onBoard();
  });
}

// ---- pages -----------------------------------------------------------------

function route() {
  if (view && view.cleanup) view.cleanup();
  const hash = location.hash || "#/";
  const main = document.getElementById("main");
  main.replaceChildren();
  let m;
  if ((m = hash.match(/^#\/s\/([A-Za-z0-9_.-]+)$/))) view = sessionPage(main, m[1]);
  else if (hash === "#/prs") view = prPage(main);
  else if (hash === "#/spawn") view = spawnPage(main);
  else view = boardPage(main);
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.dataset.nav === view.name);
  }
  if (view.onBoard && board) view.onBoard();
}

/// Re-renders `container` with `build()`, keeping the focused input, its
/// caret and scroll position (updates arrive while people type).
function rerender(container, build) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  const caret = key && active.selectionStart !== undefined ? [active.selectionStart, active.selectionEnd] : null;
  container.replaceChildren(build());
  if (key) {
    const again = container.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (again) {
      again.focus();
      if (caret) try { again.setSelectionRange(caret[0], caret[1]); } catch (_) { /* not a text field */ }
    }
  }
}

function boardPage(main) {
  const body = h("div", { id: "board" });
  main.append(body);
  const ticker = setInterval(() => {
    for (const el of document.querySelectorAll("[data-age]")) el.textContent = age(+el.dataset.age);
  }, 10000);
  return {
    name: "board",
    cleanup: () => clearInterval(ticker),
    onBoard: () => rerender(body, renderBoard),
  };
}

function renderBoard() {
  const filter = projectFilter();
  const list = sessions().filter((s) => !filter || s.projectId === filter);
  const projects = (board && board.projects) || [];
  const select = h("select", {
    id: "project-filter", "aria-label": "project",
    onchange: (e) => { localStorage.setItem("ao.project", e.target.value); view.onBoard(); },
  }, h("option", { value: "" }, "all projects"), projects.map((p) => h("option", { value: p.id, selected: p.id === filter }, p.name || p.id)));
  const need = list.filter((s) => ["respond", "review", "merge"].includes(s.zone)).length;
  const frag = h("div", {},
    h("div", { className: "toolbar" }, select,
      h("span", { className: "need", id: "need-count" }, need + (need === 1 ? " session needs you" : " sessions need you")),
      board && board.queued ? h("span", { className: "muted" }, board.queued + " queued") : null));
  const zones = (board && board.zones) || Object.keys(ZONE_LABELS);
  for (const z of zones) {
    const inZone = list.filter((s) => s.zone === z);
    if (!inZone.length && (z === "done" || z === "pending")) continue;
    frag.append(h("section", { className: "zone", dataset: { zone: z } },
      h("h2", {}, ZONE_LABELS[z] || z, " ", h("span", { className: "count" }, String(inZone.length)),
        h("span", { className: "hint" }, ZONE_HINTS[z] || "")),
      inZone.length
        ? h("div", { className: "cards" }, inZone.map(card))
        : h("p", { className: "empty" }, "nothing here")));
  }
  if (!list.length) frag.append(h("p", { className: "empty" }, "No sessions yet. ", h("a", { href: "#/spawn" }, "Spawn one"), " or run ao spawn."));
  return frag;
}

function card(s) {
  const pr = s.prNumber
    ? h("span", { className: "pr" },
      safeUrl(s.prUrl) ? h("a", { href: safeUrl(s.prUrl), target: "_blank", rel: "noopener" }, "PR #" + s.prNumber) : "PR #" + s.prNumber,
      " ", badge("ci", s.ci), " ", badge("review", s.review))
    : null;
  const issue = s.issueId
    ? (safeUrl(s.issueUrl) ? h("a", { href: safeUrl(s.issueUrl), target: "_blank", rel: "noopener", className: "issue" }, "#" + s.issueId) : h("span", { className: "issue" }, "#" + s.issueId))
    : null;
  const diff = s.additions !== undefined ? h("span", { className: "diff" }, h("span", { className: "add" }, "+" + s.additions), " ", h("span", { className: "del" }, "-" + (s.deletions || 0))) : null;
  const out = outcome();
  const reply = s.zone === "done" ? null : h("form", {
    className: "reply",
    onsubmit: (e) => {
      e.preventDefault();
      const input = e.target.querySelector("input");
      const message = input.value;
      act(out, e.target.querySelector("button"), "POST", "/api/sessions/" + encodeURIComponent(s.id) + "/send", { message }, () => {
        drafts.delete(s.id);
        input.value = "";
      });
    },
  },
  h("input", {
    type: "text", placeholder: "reply to " + s.id, "aria-label": "reply to " + s.id,
    value: drafts.get(s.id) || "", dataset: { key: "reply:" + s.id },
    oninput: (e) => drafts.set(s.id, e.target.value),
  }),
  h("button", { type: "submit" }, "Send"));
  return h("article", { className: "card zone-" + s.zone, dataset: { session: s.id, zone: s.zone } },
    h("div", { className: "card-head" },
      h("a", { className: "title", href: "#/s/" + encodeURIComponent(s.id) }, s.title || s.id),
      h("span", { className: "age", title: when(s.createdAt), dataset: { age: s.createdAt } }, age(s.createdAt))),
    h("div", { className: "meta" },
      badge("status", s.status), " ",
      h("span", { className: "activity act-" + (s.activity || "none") }, s.activity || "—"), " ",
      h("span", { className: "sid" }, s.id)),
    s.branch ? h("div", { className: "branch" }, s.branch) : null,
    s.summary && !s.summaryIsFallback ? h("div", { className: "summary", title: "the agent's own summary" }, s.summary) : null,
    s.costUsd != null ? h("div", { className: "cost muted", title: tokens(s) }, "$" + s.costUsd.toFixed(2)) : null,
    h("div", { className: "links" }, issue, " ", pr, " ", diff),
    reply, out);
}

/// "12,345 in / 678 out tokens", for a cost's tooltip.
function tokens(s) {
  const n = (x) => (x || 0).toLocaleString("en");
  return n(s.inputTokens) + " in / " + n(s.outputTokens) + " out tokens";
}

function sessionPage(main, id) {
  const info = h("div", { id: "session-info" }, h("p", { className: "muted" }, "loading…"));
  const term = h("div", { id: "terminal", className: "terminal" });
  const termBar = h("div", { className: "term-bar" }, h("h3", {}, "Terminal"), h("span", { id: "term-state", className: "muted" }, ""));
  main.append(info, h("section", { className: "term-section" }, termBar, term));
  const out = outcome();
  let last = "";
  let detail = null;
  let fetching = false;
  const refresh = async () => {
    if (fetching) return;
    fetching = true;
    try {
      detail = await api("GET", "/api/sessions/" + encodeURIComponent(id));
      rerender(info, () => renderSession(detail, out));
      document.title = (board && board.attention > 0 ? "(" + board.attention + ") " : "") + id + " · ao";
    } catch (e) {
      info.replaceChildren(h("p", { className: "outcome err" }, e.message));
    } finally {
      fetching = false;
    }
  };
  refresh();
  const terminal = openTerminal(term, id, document.getElementById("term-state") || termBar.lastChild);
  return {
    name: "session",
    cleanup: () => terminal.close(),
    onBoard: () => {
      const s = sessions().find((x) => x.id === id);
      const sig = s ? [s.status, s.activity, s.updatedAt, s.ci, s.review, s.prNumber].join("|") : "gone";
      if (sig !== last) {
        last = sig;
        refresh();
      }
    },
  };
}

function renderSession(d, out) {
  const s = d.session;
  const enc = encodeURIComponent(s.id);
  const path = (a) => "/api/sessions/" + enc + "/" + a;
  const field = (label, value) => value ? h("div", { className: "field" }, h("dt", {}, label), h("dd", {}, value)) : null;
  const message = h("textarea", { rows: 2, placeholder: "message to the agent", "aria-label": "message", dataset: { key: "message" } });
  const ended = ["merged", "killed", "done", "terminated", "cleanup"].includes(s.status);
  const actions = h("div", { className: "actions" },
    h("form", {
      className: "send",
      onsubmit: (e) => {
        e.preventDefault();
        act(out, e.target.querySelector("button"), "POST", path("send"), { message: message.value }, () => { message.value = ""; });
      },
    }, message, h("button", { type: "submit", id: "send-button" }, "Send")),
    h("div", { className: "buttons" },
      s.ci === "failing" ? h("button", { type: "button", id: "fix-ci", onclick: (e) => act(out, e.target, "POST", path("fix-ci")) }, "Ask agent to fix CI") : null,
      // An ended session starts again only when asked to (`--reopen`).
      ended || s.status === "errored"
        ? h("button", { type: "button", id: "restore", onclick: (e) => act(out, e.target, "POST", path("reopen")) }, "Reopen")
        : h("button", { type: "button", id: "restore", onclick: (e) => act(out, e.target, "POST", path("restore")) }, "Restore"),
      ended ? null : confirmButton("Kill", "Really kill?", (b) => act(out, b, "POST", path("kill")), { id: "kill" })),
    out);
  let prCard = null;
  if (d.pr) {
    const p = d.pr;
    prCard = h("section", { className: "panel pr-card" },
      h("h3", {}, safeUrl(p.url) ? h("a", { href: safeUrl(p.url), target: "_blank", rel: "noopener" }, "PR #" + p.number) : "PR #" + p.number,
        " ", badge("state", p.state), " ", badge("ci", p.ci), " ", badge("review", p.review)),
      h("ul", { className: "checks" }, (p.checks || []).map((c) =>
        h("li", {}, badge("check", c.status), " ", c.name, " ",
          c.url && (c.url.startsWith("/api/") || safeUrl(c.url)) ? h("a", { href: c.url, target: "_blank", rel: "noopener" }, "log") : null))),
      p.conflicts ? h("p", { className: "warn" }, "The branch conflicts with the default branch.") : null,
      (p.reviews || []).length ? h("div", { className: "reviews" }, h("h4", {}, "Reviews"),
        p.reviews.map((r) => h("div", { className: "review" }, badge("verdict", r.verdict), " ", h("b", {}, r.author), " ",
          h("span", { className: "muted" }, when(r.at)), r.body ? h("p", {}, r.body) : null))) : null,
      h("div", { className: "buttons" },
        h("button", {
          type: "button", id: "merge", disabled: !p.mergeable,
          title: p.mergeable ? "merge into the default branch" : "not mergeable yet (needs approval and green CI)",
          onclick: (e) => act(out, e.target, "POST", path("merge")),
        }, "Merge")));
  }
  const history = h("section", { className: "panel history" }, h("h3", {}, "History"),
    h("ol", {}, (d.events || []).slice().reverse().map((e) => h("li", {},
      h("span", { className: "muted" }, when(e.at)), " ", h("b", {}, e.kind), " ",
      e.fromStatus || e.toStatus ? (e.fromStatus || "·") + " → " + (e.toStatus || "·") : "",
      e.reason ? h("span", { className: "reason" }, " — " + e.reason) : null))));
  return h("div", { className: "session" },
    h("p", { className: "crumbs" }, h("a", { href: "#/" }, "Board"), " / ", s.id),
    h("h1", { id: "session-title" }, s.title || s.id),
    h("div", { className: "status-line" }, badge("status", s.status), " ",
      h("span", { className: "activity act-" + (s.activity || "none") }, (s.activity || "—") + (s.activitySource ? " (" + s.activitySource + ")" : "")),
      s.zone ? h("span", { className: "zone-tag zone-" + s.zone }, ZONE_LABELS[s.zone] || s.zone) : null),
    s.reason ? h("p", { className: "reason", id: "session-reason" }, s.reason) : null,
    h("dl", { className: "fields" },
      field("Project", s.projectId),
      field("Branch", s.branch),
      field("Worktree", s.workspacePath ? h("code", {}, s.workspacePath) : null),
      field("Issue", s.issueId ? (safeUrl(s.issueUrl) ? h("a", { href: safeUrl(s.issueUrl), target: "_blank", rel: "noopener" }, "#" + s.issueId) : "#" + s.issueId) : null),
      field("Agent", s.agent),
      field("Summary", s.summary ? s.summary + (s.summaryIsFallback ? " (the task; the agent has not summarised yet)" : "") : null),
      field("Cost", s.costUsd != null ? "$" + s.costUsd.toFixed(2) + " (" + tokens(s) + ", estimated)" : null),
      field("Runtime", s.runtime),
      field("Started", when(s.createdAt))),
    actions, prCard, history);
}

/// The live terminal: xterm.js over the session's WebSocket.
function openTerminal(el, id, state) {
  if (!window.Terminal) {
    el.textContent = "xterm.js did not load";
    return { close() {} };
  }
  const term = new window.Terminal({
    fontSize: 13, scrollback: 5000, cursorBlink: true,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    theme: { background: "#111318", foreground: "#e6e6e6" },
  });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(el);
  try { fit.fit(); } catch (_) { /* not laid out yet */ }
  let ws = null;
  let closed = false;
  let retry = null;
  const send = (m) => { if (ws && ws.readyState === 1) ws.send(JSON.stringify(m)); };
  const open = () => {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/api/sessions/" + encodeURIComponent(id) + "/terminal?cols=" + term.cols + "&rows=" + term.rows);
    ws.binaryType = "arraybuffer";
    state.textContent = "connecting…";
    ws.onopen = () => { state.textContent = "live"; el.dataset.state = "live"; };
    ws.onmessage = (e) => term.write(new Uint8Array(e.data));
    ws.onclose = () => {
      el.dataset.state = "closed";
      if (closed) return;
      const s = sessions().find((x) => x.id === id);
      if (s && s.zone === "done") {
        // An ended session has no terminal to come back to.
        state.textContent = "the session has ended";
        return;
      }
      state.textContent = "disconnected; retrying…";
      retry = setTimeout(open, 2000);
    };
  };
  term.onData((d) => send({ t: "i", d }));
  term.onResize(({ cols, rows }) => send({ t: "r", c: cols, r: rows }));
  const ro = new ResizeObserver(() => { try { fit.fit(); } catch (_) { /* hidden */ } });
  ro.observe(el);
  open();
  window.aoTerminal = term; // for tests and the console
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      ro.disconnect();
      if (ws) ws.close();
      term.dispose();
    },
  };
}

function prPage(main) {
  const body = h("div", { id: "prs" });
  main.append(h("h1", {}, "Pull requests"), body);
  return {
    name: "prs",
    onBoard: () => rerender(body, () => {
      const list = sessions().filter((s) => s.prNumber);
      if (!list.length) return h("p", { className: "empty" }, "No pull requests yet.");
      const out = outcome();
      return h("div", {}, out, h("table", { className: "prs" },
        h("thead", {}, h("tr", {}, ["Project", "PR", "Title", "CI", "Review", "Status", ""].map((t) => h("th", {}, t)))),
        h("tbody", {}, list.map((s) => h("tr", { className: "zone-" + s.zone, dataset: { session: s.id } },
          h("td", {}, s.projectId),
          h("td", {}, safeUrl(s.prUrl) ? h("a", { href: safeUrl(s.prUrl), target: "_blank", rel: "noopener" }, "#" + s.prNumber) : "#" + s.prNumber),
          h("td", {}, h("a", { href: "#/s/" + encodeURIComponent(s.id) }, s.title || s.id)),
          h("td", {}, badge("ci", s.ci)),
          h("td", {}, badge("review", s.review)),
          h("td", {}, badge("status", s.status)),
          h("td", {}, s.zone === "merge" ? h("button", { type: "button", onclick: (e) => act(out, e.target, "POST", "/api/sessions/" + encodeURIComponent(s.id) + "/merge") }, "Merge") : null))))));
    }),
  };
}

function spawnPage(main) {
  const out = outcome();
  const projects = h("select", { name: "project", id: "spawn-project" });
  const fill = () => {
    const list = (board && board.projects) || [];
    if (projects.options.length === list.length) return;
    projects.replaceChildren(...list.map((p) => h("option", { value: p.id }, (p.name || p.id) + " (" + p.agent + ")")));
  };
  const issue = h("input", { type: "text", name: "issue", id: "spawn-issue", placeholder: "42", autocomplete: "off" });
  const prompt = h("textarea", { name: "prompt", id: "spawn-prompt", rows: 4, placeholder: "or a task in words" });
  const agent = h("input", { type: "text", name: "agent", id: "spawn-agent", list: "agents", placeholder: "project default" });
  const form = h("form", {
    className: "panel spawn",
    onsubmit: (e) => {
      e.preventDefault();
      act(out, form.querySelector("button"), "POST", "/api/spawn",
        { project: projects.value, issue: issue.value, prompt: prompt.value, agent: agent.value },
        () => { issue.value = ""; prompt.value = ""; });
    },
  },
  h("label", {}, "Project", projects),
  h("label", {}, "Issue", issue),
  h("label", {}, "Prompt", prompt),
  h("label", {}, "Agent", agent, h("datalist", { id: "agents" }, AGENTS.map((a) => h("option", { value: a })))),
  h("button", { type: "submit" }, "Spawn"), out);
  main.append(h("h1", {}, "Spawn a session"), form);
  return { name: "spawn", onBoard: fill };
}

window.addEventListener("hashchange", route);
connect();
route();
