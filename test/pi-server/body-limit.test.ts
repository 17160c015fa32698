/**
 * Request bodies are cut off at their route's limit while they stream in, never read whole first: the
 * real backend process. A turn may carry attachments (PROTOCOL_MAX_TURN_BODY_BYTES), every other
 * route has PROTOCOL_MAX_BODY_BYTES.
 */
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_MAX_BODY_BYTES, PROTOCOL_MAX_TURN_BODY_BYTES } from "../../src/shared/protocol";
import {
  type BackendProcess,
  holdsListeningSocket,
  peakResidentBytes,
  resetPeakResident,
  residentBytes,
  startBackendProcess,
} from "../fixtures/backend-process";
import { openSocket, type RawResponse, readResponse, requestHead } from "../fixtures/raw-http";

const TOKEN = "body-limit-test-token-0123456789";
const MiB = 1024 * 1024;

let backend: BackendProcess;
beforeAll(async () => {
  backend = await startBackendProcess(TOKEN);
});
afterAll(async () => {
  await backend?.close();
});

const chunk = (data: Buffer | string) => {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]);
};

/**
 * POSTs a chunked turn (or, with `route` "steer", a steer) whose message is `totalBytes` of "x",
 * generated on the fly (one 64 KiB chunk written again and again), until it is all sent or the
 * server closes the connection; then waits for the answer.
 */
async function chunkedTurn(
  sessionId: string,
  totalBytes: number,
  route: "turns" | "steer" = "turns",
): Promise<{ response: RawResponse; sentBytes: number }> {
  const socket = await openSocket(backend.port);
  const received = readResponse(socket);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  let open = true;
  void closed.then(() => {
    open = false;
  });
  // Keep-alive, as the Worker's connections are: the server then reads on past the limit for a while
  // (discarding) before it gives up on the connection.
  const headers = {
    Authorization: `Bearer ${TOKEN}`,
    "Content-Type": "application/json",
    "Transfer-Encoding": "chunked",
    Connection: "keep-alive",
  };
  socket.write(requestHead("POST", `/v1/sessions/${sessionId}/${route}`, backend.port, headers));
  const opening = '{"turnId":"t1","message":"';
  socket.write(chunk(opening));
  const frame = chunk(Buffer.alloc(64 * 1024, "x"));
  let sentBytes = opening.length;
  while (open && sentBytes < totalBytes) {
    if (!socket.write(frame)) await Promise.race([once(socket, "drain").catch(() => {}), closed]);
    sentBytes += 64 * 1024;
  }
  if (open) socket.write(Buffer.concat([chunk('"}'), Buffer.from("0\r\n\r\n")]));
  const response = await received;
  socket.destroy();
  return { response, sentBytes };
}

describe("request bodies", () => {
  it("are read when chunked and under the limit", async () => {
    const { response } = await chunkedTurn("small:1", 64 * 1024);
    // The body was read whole and validated: a 64 KiB message is fine, the session may start a pi.
    expect(response.status).toBe(202);
  });

  it("answer 413 too_large just past the limit when chunked: the turn's limit on turns, 1 MiB elsewhere", async () => {
    for (const [route, limit] of [
      ["turns", PROTOCOL_MAX_TURN_BODY_BYTES],
      ["steer", PROTOCOL_MAX_BODY_BYTES],
    ] as const) {
      const { response } = await chunkedTurn("big:1", limit + 64 * 1024, route);
      expect(response.status, route).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: "too_large" } });
    }
  });

  // On a 1 MiB route; a turn may hold up to PROTOCOL_MAX_TURN_BODY_BYTES (27.7 MiB) before its 413, by design.
  it("cut off a 300 MB chunked POST with 413, while the backend's resident memory grows by less than 32 MiB", {
    timeout: 180_000,
  }, async () => {
    // Make sure the pid measured is the server itself (node --import tsx runs it in-process).
    expect(holdsListeningSocket(backend.pid, backend.port)).toBe(true);
    const baseline = residentBytes(backend.pid);
    const peakReset = resetPeakResident(backend.pid);
    let sampledPeak = baseline;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, residentBytes(backend.pid));
    }, 5);
    try {
      const { response, sentBytes } = await chunkedTurn("big:2", 300 * 1000 * 1000, "steer");
      sampledPeak = Math.max(sampledPeak, residentBytes(backend.pid));
      const peak = peakReset ? Math.max(sampledPeak, peakResidentBytes(backend.pid)) : sampledPeak;
      console.log(
        `[body-limit] sent ${(sentBytes / MiB).toFixed(0)} MiB before the server closed; resident ` +
          `${(baseline / MiB).toFixed(1)} MiB before, ${(peak / MiB).toFixed(1)} MiB at peak ` +
          `(${peakReset ? "VmHWM and samples" : "samples only"})`,
      );
      expect(response.status).toBe(413);
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: "too_large" } });
      expect(peak - baseline).toBeLessThan(32 * MiB);
    } finally {
      clearInterval(sampler);
    }
    const health = await fetch(`http://127.0.0.1:${backend.port}/healthz`);
    expect(health.status).toBe(200);
  });
});
