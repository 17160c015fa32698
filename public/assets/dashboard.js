// The dashboard: every session from GET /api/status, polled every 1.5 s; countdowns tick every second in between.
import { api, askToken, duration, ensureToken } from "./common.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 1500;
let latest = null;
let fetchedAt = 0;

function cell(label, content, className = "") {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (className) td.className = className;
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  return td;
}

function badge(text, kind) {
  const span = document.createElement("span");
  span.className = `badge ${kind}`;
  span.textContent = text;
  return span;
}

function evictionText(s, idleTimeoutSeconds, now) {
  if (s.backend !== "live") return "—";
  if (s.busy || s.queued > 0) return "after the queue";
  const left = Date.parse(s.lastActivity) + idleTimeoutSeconds * 1000 - now;
  return left <= 0 ? "any moment" : duration(left);
}

function reachability(s, status) {
  const backend = s.backendReachable !== undefined ? { reachable: s.backendReachable } : status.backend;
  if (!backend) return badge("unknown", "released");
  return backend.reachable ? badge("reachable", "idle") : badge("unreachable", "down");
}

function render() {
  if (!latest) return;
  const now = Date.now();
  const { sessions, idleTimeoutSeconds } = latest;
  $("total-chats").textContent = sessions.length;
  $("total-busy").textContent = sessions.filter((s) => s.busy).length;
  $("total-queued").textContent = sessions.reduce((n, s) => n + s.queued, 0);
  $("total-live").textContent = sessions.filter((s) => s.backend === "live").length;
  $("idle-timeout").textContent = `idle sessions are released after ${duration(idleTimeoutSeconds * 1000)}`;
  const age = now - fetchedAt;
  $("updated").textContent = age < 5000 ? "live" : `last update ${duration(age)} ago`;
  $("live-dot").classList.toggle("stale", age >= 5000);
  const rows = sessions.map((s) => {
    const tr = document.createElement("tr");
    tr.dataset.chat = s.chat;
    tr.dataset.state = s.busy ? "busy" : "idle";
    const chat = document.createElement("span");
    chat.className = "chat-key";
    chat.textContent = s.chat;
    tr.append(
      cell("Chat", chat),
      cell("State", s.busy ? badge("busy", "busy") : badge("idle", "idle")),
      cell("Queued", String(s.queued), "num"),
      cell("Last activity", `${duration(now - Date.parse(s.lastActivity))} ago`, "num"),
      cell("Evicted in", evictionText(s, idleTimeoutSeconds, now), "num"),
      cell("Backend session", badge(s.backend, s.backend)),
      cell("Backend", reachability(s, latest)),
    );
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell("", "No sessions yet. Send a message from the chat page and it shows up here.", "empty-row");
    td.colSpan = 7;
    tr.append(td);
    rows.push(tr);
  }
  $("rows").replaceChildren(...rows);
}

async function poll() {
  try {
    latest = await (await api("/api/status")).json();
    fetchedAt = Date.now();
  } catch (err) {
    if (err.status === 401) await askToken($("token-dialog"), { reason: "The saved token was refused." });
  }
  render();
  setTimeout(poll, POLL_MS);
}

$("settings").addEventListener("click", () => askToken($("token-dialog")));
await ensureToken($("token-dialog"));
setInterval(render, 1000);
poll();
