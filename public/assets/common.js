// Shared by the web chat, the dashboard and the API reference: the token, authenticated calls, SSE over fetch, Markdown.
const TOKEN_KEY = "evie.token";

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) ?? "",
  set: (value) => localStorage.setItem(TOKEN_KEY, value.trim()),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the Worker's API with the bearer token; throws ApiError with the server's code and message. */
export async function api(path, { method = "GET", body, signal, headers = {} } = {}) {
  const init = { method, signal, headers: { authorization: `Bearer ${token.get()}`, ...headers } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    const error = await res.json().catch(() => ({}));
    throw new ApiError(res.status, error.error?.code ?? "http_error", error.error?.message ?? `HTTP ${res.status}`);
  }
  return res;
}

/**
 * Follows a message's live events (EventSource cannot send a bearer token, so this reads the
 * stream with fetch). Reconnects with Last-Event-ID when the stream drops before the end.
 * Returns a function that stops following.
 */
export function followEvents(chatId, messageId, onEvent) {
  const abort = new AbortController();
  let lastId;
  let finished = false;
  (async () => {
    for (let attempt = 0; !finished && !abort.signal.aborted; attempt++) {
      try {
        const headers = lastId ? { "last-event-id": lastId } : {};
        const res = await api(`/api/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(messageId)}/events`, {
          signal: abort.signal,
          headers,
        });
        for await (const event of readSse(res.body)) {
          if (event.id) lastId = event.id;
          attempt = 0;
          onEvent(event.event, JSON.parse(event.data));
          if (event.event === "done" || event.event === "failed") finished = true;
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        if (err instanceof ApiError && err.status < 500) {
          onEvent("failed", { error: `${err.code}: ${err.message}` });
          return;
        }
      }
      if (!finished) await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 5000)));
    }
  })();
  return () => abort.abort();
}

async function* readSse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: "message", data: "", id: undefined };
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        const v = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (field === "id") event.id = v;
        else if (field === "event") event.event = v;
        else if (field === "data") data.push(v);
      }
      if (data.length) {
        event.data = data.join("\n");
        yield event;
      }
    }
  }
}

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function inline(text) {
  const codes = [];
  let s = escapeHtml(text).replace(/`([^`\n]+)`/g, (_, code) => {
    codes.push(`<code>${code}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  s = s
    .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*([^*\n]+)\*(?!\w)/g, "$1<em>$2</em>")
    .replace(/(^|[^_\w])_([^_\n]+)_(?!\w)/g, "$1<em>$2</em>")
    .replace(/~~([^~\n]+)~~/g, "<del>$1</del>")
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>');
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => codes[Number(i)]);
}

/** Renders Markdown (fenced code, headings, lists, quotes, inline marks, links) to HTML; everything is escaped first. */
export function markdown(source) {
  const out = [];
  const lines = source.replace(/\r\n/g, "\n").split("\n");
  let paragraph = [];
  let list = null;
  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join("<br>")}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*```\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flushParagraph();
      flushList();
      const code = [];
      for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) code.push(lines[i]);
      const lang = fence[1] ? ` data-lang="${escapeHtml(fence[1])}"` : "";
      out.push(`<pre${lang}><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    const item = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      const level = Math.min(heading[1].length + 2, 6);
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
    } else if (item) {
      flushParagraph();
      const tag = /\d/.test(item[1]) ? "ol" : "ul";
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push(item[2]);
    } else if (/^>\s?/.test(line)) {
      flushParagraph();
      flushList();
      out.push(`<blockquote>${inline(line.replace(/^>\s?/, ""))}</blockquote>`);
    } else if (line.trim() === "") {
      flushParagraph();
      flushList();
    } else {
      flushList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  flushList();
  return out.join("");
}

/** "12 s", "4 min", "2 h 5 min". */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60 ? `${s % 60} s` : ""}`.trim();
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60 ? `${m % 60} min` : ""}`.trim();
}

/** Shows the token dialog; resolves once a token that the API accepts is saved. */
export function askToken(dialog, { reason } = {}) {
  const form = dialog.querySelector("form");
  const input = dialog.querySelector("input");
  const error = dialog.querySelector(".error");
  error.textContent = reason ?? "";
  input.value = token.get();
  dialog.showModal();
  return new Promise((resolve) => {
    form.onsubmit = async (e) => {
      e.preventDefault();
      token.set(input.value);
      try {
        await api("/api/status");
        dialog.close();
        resolve();
      } catch (err) {
        error.textContent = err.status === 401 ? "That token was refused. Use the API_TOKEN of this deployment." : err.message;
      }
    };
  });
}

/** Makes sure a working token is stored, asking for one if needed. */
export async function ensureToken(dialog) {
  if (!token.get()) return askToken(dialog);
  try {
    await api("/api/status");
  } catch (err) {
    if (err.status === 401) return askToken(dialog, { reason: "The saved token was refused." });
  }
}
