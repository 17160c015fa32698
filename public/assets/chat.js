// The web chat: pick or create a chat, send, watch the reply stream in over SSE with its tool lines.
import { api, askToken, ensureToken, followEvents, markdown } from "./common.js";

const $ = (id) => document.getElementById(id);
const CHATS_KEY = "evie.chats";
const historyKey = (chat) => `evie.chat.${chat}`;

const state = { chat: null, history: [], following: new Map() };

const loadChats = () => JSON.parse(localStorage.getItem(CHATS_KEY) ?? "[]");
const saveChats = (chats) => localStorage.setItem(CHATS_KEY, JSON.stringify(chats));
const loadHistory = (chat) => JSON.parse(localStorage.getItem(historyKey(chat)) ?? "[]");
const saveHistory = () => localStorage.setItem(historyKey(state.chat), JSON.stringify(state.history));

function newChatId() {
  return `web-${crypto.randomUUID().slice(0, 8)}`;
}

function rememberChat(id) {
  const chats = loadChats();
  if (!chats.includes(id)) saveChats([id, ...chats]);
}

async function refreshPicker() {
  const chats = new Set(loadChats());
  try {
    const status = await (await api("/api/status")).json();
    for (const s of status.sessions) if (s.chat.startsWith("http:")) chats.add(s.chat.slice(5));
  } catch {
    // offline or no token yet: the chats this browser knows will do
  }
  if (state.chat) chats.add(state.chat);
  const picker = $("chat-picker");
  picker.replaceChildren(
    ...[...chats].map((id) => {
      const option = document.createElement("option");
      option.value = id;
      option.textContent = id;
      option.selected = id === state.chat;
      return option;
    }),
  );
}

function openChat(id) {
  for (const stop of state.following.values()) stop();
  state.following.clear();
  state.chat = id;
  rememberChat(id);
  localStorage.setItem("evie.current", id);
  state.history = loadHistory(id);
  history.replaceState(null, "", `/?chat=${encodeURIComponent(id)}`);
  for (const entry of state.history) if (entry.kind === "message" && !isFinished(entry)) follow(entry);
  render();
  refreshPicker();
}

const isFinished = (entry) => entry.state === "done" || entry.state === "failed";

function follow(entry) {
  const stop = followEvents(state.chat, entry.messageId, (event, data) => {
    if (event === "state") {
      entry.state = data.state;
      entry.position = data.position;
    } else if (event === "delta") {
      entry.reply = (entry.reply ?? "") + data.text;
      entry.state = "running";
    } else if (event === "tool") {
      entry.tools ??= [];
      if (data.phase === "start") entry.tools.push({ tool: data.tool, args: data.args, done: false });
      else {
        const open = entry.tools.findLast((t) => t.tool === data.tool && !t.done);
        if (open) Object.assign(open, { done: true, isError: data.isError });
      }
    } else if (event === "done") {
      entry.state = "done";
      entry.reply = data.reply;
    } else if (event === "failed") {
      entry.state = "failed";
      entry.error = data.error;
    }
    if (isFinished(entry)) state.following.delete(entry.messageId);
    saveHistory();
    scheduleRender();
  });
  state.following.set(entry.messageId, stop);
}

let pending = false;
function scheduleRender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    render();
  });
}

function toolLine(t) {
  const line = document.createElement("div");
  line.className = `tool ${t.done ? (t.isError ? "err" : "ok") : ""}`;
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.textContent = t.done ? (t.isError ? "✗" : "✓") : "⟳";
  const name = document.createElement("strong");
  name.textContent = t.tool;
  const args = document.createElement("span");
  args.className = "args";
  args.textContent = describeArgs(t.args);
  line.append(mark, name, args);
  return line;
}

function describeArgs(args) {
  if (!args || typeof args !== "object") return "";
  const first = args.command ?? args.path ?? args.file_path ?? args.pattern ?? args.url;
  return typeof first === "string" ? first : JSON.stringify(args);
}

function render() {
  const log = $("log");
  const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  if (state.history.length === 0) {
    log.innerHTML = `<div class="empty"><div class="brand" style="justify-content:center"><span class="logo">e</span></div>
      <h2>What are we working on?</h2><p>Messages go to your pi agent in the chat <code></code>. Replies stream in as they are written.</p></div>`;
    log.querySelector("code").textContent = `http:${state.chat}`;
  } else {
    log.replaceChildren(...state.history.flatMap(renderEntry));
  }
  if (stick) log.scrollTop = log.scrollHeight;
  const running = state.history.some((e) => e.kind === "message" && (e.state === "running" || e.state === "queued"));
  $("stop").hidden = !running;
}

function renderEntry(entry) {
  if (entry.kind === "reset") {
    const divider = document.createElement("div");
    divider.className = "meta";
    divider.style.justifyContent = "center";
    divider.textContent = "— new conversation —";
    return [divider];
  }
  const user = document.createElement("div");
  user.className = "msg user";
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  bubble.textContent = entry.text;
  user.append(bubble);

  const agent = document.createElement("div");
  agent.className = "msg agent";
  agent.dataset.messageId = entry.messageId;
  agent.dataset.state = entry.state;
  if (entry.tools?.length) {
    const tools = document.createElement("div");
    tools.className = "tools";
    tools.append(...entry.tools.map(toolLine));
    agent.append(tools);
  }
  const reply = document.createElement("div");
  reply.className = "bubble";
  if (entry.reply) reply.innerHTML = markdown(entry.reply);
  else if (entry.state !== "failed") reply.innerHTML = '<span class="typing"><span></span><span></span><span></span></span>';
  if (entry.state === "failed") {
    const error = document.createElement("div");
    error.className = "error-text";
    error.textContent = entry.error?.startsWith("aborted") ? "Stopped." : entry.error;
    reply.append(error);
  }
  agent.append(reply);
  const meta = document.createElement("div");
  meta.className = "meta";
  const pill = document.createElement("span");
  pill.className = `status-pill ${entry.state}`;
  pill.textContent =
    entry.state === "queued" ? `queued · ${entry.position ?? "?"} ahead` : entry.state === "running" ? "writing…" : entry.state === "failed" ? "failed" : "";
  if (pill.textContent) meta.append(pill);
  if (meta.childElementCount) agent.append(meta);
  return [user, agent];
}

async function send(text) {
  const messageId = crypto.randomUUID();
  const entry = { kind: "message", messageId, text, state: "queued", reply: "" };
  state.history.push(entry);
  saveHistory();
  render();
  try {
    const record = await (await api(`/api/chats/${encodeURIComponent(state.chat)}/messages`, { method: "POST", body: { text, id: messageId } })).json();
    entry.state = record.state;
    entry.position = record.position;
    follow(entry);
  } catch (err) {
    entry.state = "failed";
    entry.error = `${err.code}: ${err.message}`;
    if (err.status === 401) askToken($("token-dialog"), { reason: "The token was refused." });
  }
  saveHistory();
  render();
}

function wire() {
  const prompt = $("prompt");
  const autosize = () => {
    prompt.style.height = "auto";
    prompt.style.height = `${Math.min(prompt.scrollHeight, 180)}px`;
  };
  prompt.addEventListener("input", autosize);
  prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = prompt.value.trim();
    if (!text) return;
    prompt.value = "";
    autosize();
    send(text);
  });
  $("stop").addEventListener("click", async () => {
    $("stop").disabled = true;
    try {
      await api(`/api/chats/${encodeURIComponent(state.chat)}/stop`, { method: "POST", body: {} });
    } finally {
      $("stop").disabled = false;
    }
  });
  $("reset").addEventListener("click", async () => {
    await api(`/api/chats/${encodeURIComponent(state.chat)}/reset`, { method: "POST", body: {} });
    state.history.push({ kind: "reset" });
    saveHistory();
    render();
  });
  $("new-chat").addEventListener("click", () => openChat(newChatId()));
  $("chat-picker").addEventListener("change", (e) => openChat(e.target.value));
  $("settings").addEventListener("click", () => askToken($("token-dialog")).then(refreshPicker));
}

wire();
await ensureToken($("token-dialog"));
const fromUrl = new URLSearchParams(location.search).get("chat");
openChat(fromUrl && /^[A-Za-z0-9_-]{1,64}$/.test(fromUrl) ? fromUrl : (localStorage.getItem("evie.current") ?? newChatId()));
