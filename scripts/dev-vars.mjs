/** Reads and completes `.dev.vars` (wrangler dev's secrets file) for the local stack. */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Parses KEY=VALUE lines (quotes around the value are dropped). */
export function parseDevVars(text) {
  const vars = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

/**
 * Makes sure `path` holds an API_TOKEN and a PI_BACKEND_TOKEN, adding random ones where missing
 * and keeping every existing line. Returns the variables and the names it added.
 */
export function ensureDevVars(path) {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const vars = parseDevVars(text);
  const added = [];
  let extra = "";
  for (const name of ["API_TOKEN", "PI_BACKEND_TOKEN"]) {
    if (vars[name]) continue;
    vars[name] = randomBytes(24).toString("hex");
    extra += `${name}=${vars[name]}\n`;
    added.push(name);
  }
  if (added.length > 0) {
    const header = text ? "" : "# Local secrets for `npm start` / `wrangler dev` (git-ignored). Created by scripts/start.mjs.\n";
    const separator = text && !text.endsWith("\n") ? "\n" : "";
    writeFileSync(path, `${header}${text}${separator}${extra}`, { mode: 0o600 });
  }
  return { vars, added };
}
