/**
 * The Worker's JavaScript heap under `wrangler dev`, read over the fixture's DevTools client after a
 * full garbage collection. workerd's resident memory mixes the JS heap with SQLite page caches and
 * the runtime's own buffers; this separates the heap, where a leak of ours would show.
 */
import { writeFileSync } from "node:fs";
import type { InspectorClient } from "../../test/fixtures/inspector-client";

export interface HeapUsage {
  usedBytes: number;
  totalBytes: number;
}

/**
 * Takes a heap snapshot of the Worker's isolate (V8 collects garbage fully first; workerd does not
 * answer `HeapProfiler.collectGarbage`), writes it to `snapshotPath` if given (Chrome DevTools'
 * Memory tab compares two), then reads the heap usage.
 */
export async function workerHeapAfterGc(inspector: InspectorClient, snapshotPath?: string): Promise<HeapUsage> {
  const chunks: string[] = [];
  const stop = inspector.on("HeapProfiler.addHeapSnapshotChunk", (params) => chunks.push((params as { chunk: string }).chunk));
  try {
    await inspector.call("HeapProfiler.enable");
    // workerd streams the snapshot but sends no result for it; commands are handled in order, so
    // the next command's answer marks its end.
    inspector.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const usage = (await inspector.call("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
    if (snapshotPath) writeFileSync(snapshotPath, chunks.join(""));
    return { usedBytes: usage.usedSize, totalBytes: usage.totalSize };
  } finally {
    stop();
  }
}
