/**
 * A lean HTTP/1.1 client for timing the backend server from inside its own process: node:http
 * with a keep-alive agent. Node's `fetch` (undici) costs as much CPU per turn as the server's own
 * work (a CPU profile of bench:backend's stand-in turns: ~3 ms each), and in the same process that
 * cost lands inside the figure meant to be the server's.
 */
import { Agent, request } from "node:http";

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export interface LeanResponse {
  status: number;
  body: string;
}

/** One request; resolves with the whole body. */
export function leanRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<LeanResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Reads an NDJSON response until a line's `type` is `until`; resolves with performance.now() when that line arrived. */
export function leanStreamUntil(url: string, headers: Record<string, string>, until: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, agent }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`events: ${res.statusCode}`));
      let buffer = "";
      let arrivedAt: number | undefined;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (arrivedAt === undefined && line && (JSON.parse(line) as { type?: string }).type === until) arrivedAt = performance.now();
        }
      });
      res.on("end", () => (arrivedAt === undefined ? reject(new Error(`the stream ended without ${until}`)) : resolve(arrivedAt)));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
