/** Runs fuzz cases against one server over raw HTTP and counts what came back. */

import { once } from "node:events";
import { connect } from "node:net";
import fc from "fast-check";
import { type RawResponse, readResponse, requestHead } from "../fixtures/raw-http";
import { type FuzzRequest, type FuzzTarget, requestArbitrary } from "./requests";

/** What one run saw. */
export interface FuzzCounts {
  target: string;
  cases: number;
  authorized: number;
  /** Responses by status class, e.g. {"2xx": 10, "4xx": 90}. */
  byClass: Record<string, number>;
  /** Responses with status >= 500 (must be 0), with a few examples. */
  serverErrors: number;
  examples: { request: FuzzRequest; status: number; body: string }[];
  /** Connections closed (or silent for 15 s) without an HTTP answer. */
  noAnswer: number;
  /**
   * Answers from the runtime's HTTP layer before any of our code ran (workerd answers an unknown
   * method with 501 "Unrecognized request method"), counted apart from `serverErrors`.
   */
  runtimeRefusals: number;
  ms: number;
}

export interface FuzzRunOptions {
  runs: number;
  /** Stop early (counting what ran) after this long. */
  timeLimitMs?: number;
  seed?: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
}

const BATCH = 200;
const CONCURRENCY = 8;

/** Sends `runs` generated requests to 127.0.0.1:`port`, one at a time. */
export async function runFuzz(port: number, target: FuzzTarget, options: FuzzRunOptions): Promise<FuzzCounts> {
  const counts: FuzzCounts = {
    target: target.name,
    cases: 0,
    authorized: 0,
    byClass: {},
    serverErrors: 0,
    examples: [],
    noAnswer: 0,
    runtimeRefusals: 0,
    ms: 0,
  };
  const started = performance.now();
  const check = async (request: FuzzRequest) => {
    counts.cases++;
    if (request.authorized) counts.authorized++;
    let status: number;
    let body = "";
    try {
      const res = await send(port, request);
      status = res.status;
      body = res.body;
    } catch {
      counts.noAnswer++;
      return;
    }
    const statusClass = `${Math.floor(status / 100)}xx`;
    counts.byClass[statusClass] = (counts.byClass[statusClass] ?? 0) + 1;
    if (target.isRuntimeRefusal?.(request, status, body)) counts.runtimeRefusals++;
    else if (status >= 500) {
      counts.serverErrors++;
      if (counts.examples.length < 5) counts.examples.push({ request: { ...request, body: request.body?.slice(0, 300) }, status, body });
    }
    // Counted, not asserted: the run reports every 5xx, not the first one shrunk.
  };
  // Cases are drawn from fast-check in seeded batches and sent CONCURRENCY at a time: one by one,
  // 10,000 cases through wrangler dev took a quarter of an hour on a shared two-core machine.
  const arbitrary = requestArbitrary(target);
  const seed = options.seed ?? Date.now();
  const deadline = started + (options.timeLimitMs ?? Number.POSITIVE_INFINITY);
  for (let batch = 0; counts.cases < options.runs && performance.now() < deadline; batch++) {
    const size = Math.min(BATCH, options.runs - counts.cases);
    const requests = fc.sample(arbitrary, { numRuns: size, seed: seed + batch });
    let next = 0;
    const worker = async () => {
      while (next < requests.length) await check(requests[next++]!);
    };
    await Promise.all(Array.from({ length: options.concurrency ?? CONCURRENCY }, worker));
  }
  counts.ms = Math.round(performance.now() - started);
  return counts;
}

/** One request on its own connection, read until its answer is complete. */
async function send(port: number, request: FuzzRequest): Promise<RawResponse> {
  const headers =
    request.body === undefined ? request.headers : { ...request.headers, "Content-Length": String(Buffer.byteLength(request.body)) };
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  try {
    const answer = readResponse(socket);
    socket.write(requestHead(request.method, request.target, port, headers) + (request.body ?? ""));
    return await answer;
  } finally {
    socket.destroy();
  }
}
