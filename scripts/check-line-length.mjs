// biome's formatter wraps code at 140 columns but leaves long strings and comments alone; this
// fails `npm run lint` on any line still over the limit, so the rule holds for everything.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const LIMIT = 140;
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "src", "test", "bench", "scripts"], {
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => /\.(ts|mts|mjs|js)$/.test(f));
let long = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  text.split("\n").forEach((line, i) => {
    if ([...line].length > LIMIT) {
      long++;
      console.error(`${file}:${i + 1}: ${[...line].length} characters (limit ${LIMIT})`);
    }
  });
}
if (long > 0) {
  console.error(`${long} line(s) over ${LIMIT} characters: wrap the string or comment`);
  process.exit(1);
}
