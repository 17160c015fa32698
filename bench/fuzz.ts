/**
 * npm run fuzz — the bad-input suite at full size: fast-check generated requests (random and
 * malformed methods, paths, ids, queries, headers, bodies; half with real credentials, half with
 * none or forged ones) against every route of the real Worker under `wrangler dev` and of the real
 * pi server process. Prints the counts; exits 1 unless responses >= 500, uncaught exceptions and
 * turns started without auth are all zero.
 *   FUZZ_RUNS (default 10000, per server), FUZZ_SECONDS (default 600, per server), FUZZ_SEED,
 *   FUZZ_TARGETS (default "worker,backend": which servers).
 */
import { type FuzzCounts, runFuzz } from "../test/fuzz/run";
import { type FuzzAudit, startBackendStack, startWorkerStack } from "../test/fuzz/stack";

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const timeLimitMs = Number(process.env.FUZZ_SECONDS ?? 600) * 1000;
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
console.log(`fuzz: ${runs} cases per server (at most ${timeLimitMs / 1000} s each), seed ${seed}`);

function report(counts: FuzzCounts, audit: FuzzAudit): boolean {
  const classes = Object.entries(counts.byClass)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  console.log(`${counts.target}: ${counts.cases} cases (${counts.authorized} with real credentials) in ${(counts.ms / 1000).toFixed(1)} s`);
  console.log(`  statuses: ${classes}; no answer: ${counts.noAnswer}`);
  console.log(`  unknown methods refused by the runtime before our code (workerd 501): ${counts.runtimeRefusals}`);
  console.log(`  responses >= 500: ${counts.serverErrors}`);
  console.log(`  uncaught exceptions: ${audit.uncaughtExceptions}`);
  console.log(`  turns started without auth: ${audit.turnsWithoutAuth}`);
  for (const example of counts.examples) console.log(`  5xx example: ${JSON.stringify(example)}`);
  return counts.serverErrors === 0 && audit.uncaughtExceptions === 0 && audit.turnsWithoutAuth === 0;
}

const targets = (process.env.FUZZ_TARGETS ?? "worker,backend").split(",");
let ok = true;
if (targets.includes("worker")) {
  const worker = await startWorkerStack();
  try {
    const counts = await runFuzz(worker.port, worker.target, { runs, timeLimitMs, seed });
    await new Promise((r) => setTimeout(r, 2000)); // let alarms run what was accepted, so a leaked turn shows
    ok = report(counts, worker.audit()) && ok;
  } finally {
    await worker.close();
  }
}
if (targets.includes("backend")) {
  const backend = await startBackendStack();
  try {
    const counts = await runFuzz(backend.backend.port, backend.target, { runs, timeLimitMs, seed });
    await new Promise((r) => setTimeout(r, 1000));
    ok = report(counts, await backend.audit()) && ok;
  } finally {
    await backend.close();
  }
}
console.log(ok ? "fuzz: all zeros held" : "fuzz: FAILED (see the counts above)");
process.exit(ok ? 0 : 1);
