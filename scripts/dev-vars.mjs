/** Reads and completes `.dev.vars` (wrangler dev's secrets file) for the local stack. */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";

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
 * and keeping every existing line, and that only its owner can read it (mode 0600). Returns the
 * variables, the names it added, and the mode it replaced (`"644"`), if it had to.
 */
export function ensureDevVars(path) {
  const existed = existsSync(path);
  const text = existed ? readFileSync(path, "utf8") : "";
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
  return { vars, added, replacedMode: existed ? makePrivate(path) : null };
}

/** Closes a file others can read or write to its owner; returns the old mode (octal) when it changed it. */
function makePrivate(path) {
  // Windows has no such permission bits (Node reports 0666 for every writable file).
  if (process.platform === "win32") return null;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  chmodSync(path, 0o600);
  return mode.toString(8);
}
