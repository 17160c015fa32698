#!/usr/bin/env node
/**
 * Fails when a folder imports a folder that imports it back, directly or round a longer loop
 * (file-level cycles are dpdm's job: `npm run check:cycles`). Every relative import counts,
 * `import type` and `export ... from` included, since a type-only loop still ties two folders
 * together. `--graph` prints the folder graph. Plain Node ESM, with TypeScript's own scanner.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOTS = ["src", "test", "bench", "scripts"];
const SOURCE = /\.(ts|mts|mjs)$/;

/** Every source file under the roots, relative to the repository. */
function sourceFiles() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (SOURCE.test(name)) files.push(relative(root, path));
    }
  };
  for (const dir of ROOTS) if (existsSync(join(root, dir))) walk(join(root, dir));
  return files;
}

/** The repository file a relative specifier names, as the bundler resolution finds it. */
function resolveImport(from, specifier) {
  const base = resolve(root, dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.mts`, `${base}.mjs`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate);
  }
  return null;
}

/** folder → the folders its files import, each with one file-level example for the message. */
function folderGraph(files = sourceFiles()) {
  const graph = new Map();
  for (const file of files) {
    const from = dirname(file);
    if (!graph.has(from)) graph.set(from, new Map());
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = resolveImport(file, fileName);
      if (!target) throw new Error(`${file}: cannot resolve "${fileName}"`);
      const to = dirname(target);
      if (to !== from && !graph.get(from).has(to)) graph.get(from).set(to, `${file} → ${target}`);
    }
  }
  return graph;
}

/** Strongly connected components of more than one folder (Tarjan). */
function cycles(graph) {
  let index = 0;
  const indices = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (node) => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), indices.get(next)));
    }
    if (low.get(node) === indices.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

const graph = folderGraph();
if (process.argv.includes("--graph")) {
  for (const [from, targets] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    if (targets.size) console.log(`${from} → ${[...targets.keys()].sort().join(", ")}`);
  }
}
const found = cycles(graph);
if (found.length === 0) {
  console.log(`folder cycles: none among ${graph.size} folders`);
} else {
  console.error(`folder cycles: ${found.length}`);
  for (const component of found) {
    console.error(`  ${component.join(" ⇄ ")}`);
    for (const from of component) {
      for (const [to, example] of graph.get(from)) if (component.includes(to)) console.error(`    ${example}`);
    }
  }
  process.exit(1);
}
