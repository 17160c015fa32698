// A readable API reference, rendered from /openapi.json (the same document API tools and generated clients use).
import { markdown } from "./common.js";

const doc = await (await fetch("/openapi.json")).json();
document.getElementById("title").textContent = `${doc.info.title} API`;
document.getElementById("intro").innerHTML = markdown(
  `${doc.info.description}\n\nAuthentication: \`Authorization: Bearer <API_TOKEN>\` unless marked *no auth*. OpenAPI ${doc.openapi}.`,
);

const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const byTag = new Map((doc.tags ?? []).map((t) => [t.name, { ...t, ops: [] }]));
for (const [path, ops] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(ops)) {
    const tag = op.tags?.[0] ?? "other";
    if (!byTag.has(tag)) byTag.set(tag, { name: tag, ops: [] });
    byTag.get(tag).ops.push({ path, method, op });
  }
}

const container = document.getElementById("ops");
for (const tag of byTag.values()) {
  if (tag.ops.length === 0) continue;
  container.append(el("h2", "tag-title", tag.description ? `${tag.name} — ${tag.description}` : tag.name));
  for (const { path, method, op } of tag.ops) {
    const details = el("details", "op");
    const summary = el("summary");
    summary.append(el("span", `method ${method}`, method.toUpperCase()), el("span", "path", path), el("span", "meta", op.summary ?? ""));
    if (op.security && op.security.length === 0) summary.append(el("span", "status-pill", "no auth"));
    details.append(summary);
    const body = el("div", "body");
    if (op.description) body.append(Object.assign(el("div"), { innerHTML: markdown(op.description) }));
    if (op.parameters?.length) {
      body.append(el("h4", "", "Parameters"));
      for (const p of op.parameters) body.append(el("div", "resp", `${p.name} (${p.in}${p.required ? ", required" : ""})`));
    }
    const request = op.requestBody?.content?.["application/json"]?.schema;
    if (request) {
      body.append(el("h4", "", `Request body${op.requestBody.required ? "" : " (optional)"}`), el("pre", "", JSON.stringify(request, null, 2)));
    }
    body.append(el("h4", "", "Responses"));
    for (const [status, response] of Object.entries(op.responses)) {
      const row = el("div", "resp");
      row.append(el("span", `code-pill e${status[0]}`, status), el("span", "", response.description ?? ""));
      body.append(row);
    }
    details.append(body);
    container.append(details);
  }
}
