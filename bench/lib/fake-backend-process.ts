/** The fake pi backend in a process of its own, so serving hundreds of streams does not delay the measuring process's clock. */
import { spawn } from "node:child_process";
import type { LogEntry, Script } from "../../test/fixtures/fake-backend";

export interface FakeBackendProcess {
  url: string;
  script(sessionId: string, script: Script): Promise<void>;
  release(sessionId: string): Promise<void>;
  log(sessionId?: string): Promise<LogEntry[]>;
  stop(): Promise<void>;
}

/** Starts it; `env` adds to its environment (e.g. FAKE_BACKEND_FAULTS for the soak). */
export async function startFakeBackendProcess(env: Record<string, string> = {}): Promise<FakeBackendProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/fake-backend-main.ts"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  process.once("exit", () => child.kill("SIGKILL"));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`fake backend exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const control = async (action: string, body: unknown) => {
    const res = await fetch(`${url}/_control/${action}`, { method: "POST", body: JSON.stringify(body) });
    await res.text();
  };
  return {
    url,
    script: (sessionId, script) => control("script", { sessionId, ...script }),
    release: (sessionId) => control("release", { sessionId }),
    log: async (sessionId) => {
      const query = sessionId ? `?sessionId=${encodeURIComponent(sessionId)}` : "";
      return ((await (await fetch(`${url}/_control/log${query}`)).json()) as { log: LogEntry[] }).log;
    },
    stop: async () => {
      child.kill("SIGTERM");
    },
  };
}
