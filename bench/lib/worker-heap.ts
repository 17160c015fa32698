/**
 * The Worker's JavaScript heap under `wrangler dev`, read over wrangler's inspector proxy (Chrome
 * DevTools protocol) after a forced garbage collection. workerd's resident memory mixes the JS heap
 * with SQLite page caches and the runtime's own buffers; this separates the heap, where a leak of
 * ours would show.
 */
import { writeFileSync } from "node:fs";
import WebSocket from "ws";

export interface HeapUsage {
  usedBytes: number;
  totalBytes: number;
}

/**
 * Takes a heap snapshot of the Worker's isolate (V8 collects garbage fully first; workerd does not
 * answer `HeapProfiler.collectGarbage`), writes it to `snapshotPath` if given (open it in Chrome
 * DevTools' Memory tab to compare two), then reads the heap usage.
 */
export async function workerHeapAfterGc(inspectorPort: number, snapshotPath?: string): Promise<HeapUsage> {
  const socket = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  const snapshot: string[] = [];
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; method?: string; params?: { chunk?: string } };
    if (message.method === "HeapProfiler.addHeapSnapshotChunk") snapshot.push(message.params?.chunk ?? "");
    // The proxy echoes a command it forwards as a message with its id and method: only a result answers.
    else if (message.id !== undefined && "result" in message) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer from the inspector in 30 s`)), 30_000);
      pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("HeapProfiler.enable");
    // workerd streams the snapshot's chunks but sends no result for it; commands are handled in
    // order, so the next command's answer marks the snapshot's end.
    socket.send(JSON.stringify({ id: nextId++, method: "HeapProfiler.takeHeapSnapshot", params: { reportProgress: false } }));
    const usage = (await call("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
    if (snapshotPath) writeFileSync(snapshotPath, snapshot.join(""));
    return { usedBytes: usage.usedSize, totalBytes: usage.totalSize };
  } finally {
    socket.close();
  }
}
