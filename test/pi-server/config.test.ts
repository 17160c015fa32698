/** The backend's configuration: the token's length, where the agent works, and the start script agreeing on it. */
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/pi-server/config";
import { ConfigError } from "../../src/shared/config-error";

const root = resolve(import.meta.dirname, "../..");
const TOKEN = "config-test-token-0123";

describe("loadConfig", () => {
  it("reads PI_HEARTBEAT_SECONDS (default 15) and refuses a bad one, naming it", () => {
    expect(loadConfig({ PI_BACKEND_TOKEN: TOKEN }).heartbeatSeconds).toBe(15);
    expect(loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_HEARTBEAT_SECONDS: "5" }).heartbeatSeconds).toBe(5);
    expect(() => loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_HEARTBEAT_SECONDS: "0" })).toThrow(
      /PI_HEARTBEAT_SECONDS must be an integer >= 1/,
    );
  });

  it("refuses a PI_BACKEND_TOKEN shorter than 16 characters, naming it, and takes one of 16", () => {
    const short = () => loadConfig({ PI_BACKEND_TOKEN: "fifteen-chars-x" });
    expect(short).toThrow(ConfigError);
    expect(short).toThrow(/PI_BACKEND_TOKEN must be at least 16 characters, got 15/);
    expect(loadConfig({ PI_BACKEND_TOKEN: "sixteen-chars-xx" }).token).toBe("sixteen-chars-xx");
  });

  it("puts the agent in PI_DATA_DIR/workspace by default, never the directory it was started in", () => {
    const config = loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_DATA_DIR: "/srv/evie" }, "/home/me/evie-edge");
    expect(config.piCwd).toBe("/srv/evie/workspace");
    expect(config.workspace).toBe("shared");
    expect(loadConfig({ PI_BACKEND_TOKEN: TOKEN }, "/home/me/evie-edge").piCwd).toBe("/home/me/evie-edge/.data/backend/workspace");
  });

  it("takes an explicit PI_CWD, relative to where it runs", () => {
    expect(loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_CWD: "../project" }, "/home/me/evie-edge").piCwd).toBe("/home/me/project");
  });

  it("knows PI_WORKSPACE=shared and per-chat, and names PI_WORKSPACE when the value is unknown", () => {
    expect(loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_WORKSPACE: "shared" }).workspace).toBe("shared");
    expect(loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_WORKSPACE: "per-chat" }).workspace).toBe("per-chat");
    expect(() => loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_WORKSPACE: "perchat" })).toThrow(
      /PI_WORKSPACE must be "shared" \(the default\) or "per-chat", got "perchat"/,
    );
  });

  it("refuses PI_CWD together with PI_WORKSPACE=per-chat instead of ignoring one", () => {
    expect(() => loadConfig({ PI_BACKEND_TOKEN: TOKEN, PI_WORKSPACE: "per-chat", PI_CWD: "/tmp" })).toThrow(
      /PI_CWD cannot be combined with PI_WORKSPACE=per-chat/,
    );
  });

  it("agrees with the directory `npm start` prints", async () => {
    const { agentWorkspace } = (await import(pathToFileURL(join(root, "scripts", "workspace.mjs")).href)) as {
      agentWorkspace(env: Record<string, string>, cwd: string): string;
    };
    const cwd = "/home/me/evie-edge";
    const envs: Record<string, string>[] = [
      {},
      { PI_DATA_DIR: "/srv/evie" },
      { PI_DATA_DIR: "data", PI_CWD: "work" },
      { PI_CWD: "/abs/project" },
    ];
    for (const env of envs) {
      expect(agentWorkspace(env, cwd)).toBe(loadConfig({ PI_BACKEND_TOKEN: TOKEN, ...env }, cwd).piCwd);
    }
    expect(agentWorkspace({ PI_WORKSPACE: "per-chat" }, cwd)).toBe(
      `${loadConfig({ PI_BACKEND_TOKEN: TOKEN }, cwd).dataDir}/workspaces/<chat>`,
    );
  });
});

describe("the backend process", () => {
  it("refuses to start with a short PI_BACKEND_TOKEN: a non-zero exit and a message naming it", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/pi-server/main.ts"], {
      cwd: root,
      env: { ...process.env, PI_BACKEND_TOKEN: "short-token", PORT: "0", PI_DATA_DIR: join(tmpdir(), "evie-config-never-made") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((done) => child.on("exit", (exitCode) => done(exitCode)));
    expect(code).not.toBe(0);
    expect(stderr).toContain("PI_BACKEND_TOKEN must be at least 16 characters, got 11");
    expect(stderr).not.toContain("short-token"); // the message names the variable, never its value
  });
});

describe("PI_SPARE_PROCESSES", () => {
  it("defaults to one spare pi, takes 0 to start pi per session, and refuses anything else", () => {
    const token = "sixteen-chars-xx";
    expect(loadConfig({ PI_BACKEND_TOKEN: token }).spareProcesses).toBe(1);
    expect(loadConfig({ PI_BACKEND_TOKEN: token, PI_SPARE_PROCESSES: "0" }).spareProcesses).toBe(0);
    expect(loadConfig({ PI_BACKEND_TOKEN: token, PI_SPARE_PROCESSES: "3" }).spareProcesses).toBe(3);
    expect(() => loadConfig({ PI_BACKEND_TOKEN: token, PI_SPARE_PROCESSES: "-1" })).toThrow(/PI_SPARE_PROCESSES/);
    expect(() => loadConfig({ PI_BACKEND_TOKEN: token, PI_SPARE_PROCESSES: "many" })).toThrow(/PI_SPARE_PROCESSES/);
  });
});
