/**
 * The service definitions in deploy/ agree with the server: they run the production build, stop it
 * with SIGTERM to the server alone, and wait longer than its shutdown grace before killing anything.
 * (No Docker engine or launchd here: the image is not built and the plist not loaded; systemd's own
 * verifier checks the unit where it is installed.)
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/pi-server/config";

const deploy = resolve(import.meta.dirname, "../../deploy");
const read = (file: string) => readFileSync(join(deploy, file), "utf8");
/** SHUTDOWN_GRACE_SECONDS's default, plus the 5 s pi gets to exit after its stdin closes. */
const STOP_SECONDS = loadConfig({ PI_BACKEND_TOKEN: "x".repeat(16) }).shutdownGraceSeconds + 5;

describe("systemd unit", () => {
  const unit = read("evie-pi-server.service");
  const setting = (name: string) => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, "gm"))].map((m) => m[1]!);

  it("runs the build as its own user, restarts on failure, and signals the server, not pi", () => {
    expect(setting("ExecStart")[0]).toMatch(/^\/\S+\/node \/\S+\/dist\/pi-server\.mjs$/);
    expect(setting("User")[0]).toBeTruthy();
    expect(setting("User")[0]).not.toBe("root");
    expect(setting("Restart")).toEqual(["on-failure"]);
    expect(setting("KillMode")).toEqual(["mixed"]);
    expect(Number(setting("TimeoutStopSec")[0])).toBeGreaterThan(STOP_SECONDS);
  });

  it("makes the system read-only except the data dir and the workspace", () => {
    expect(setting("ProtectSystem")).toEqual(["strict"]);
    const writable = setting("ReadWritePaths").flatMap((v) => v.split(/\s+/));
    const env = Object.fromEntries(setting("Environment").map((v) => v.split("=", 2) as [string, string]));
    for (const dir of [env.PI_DATA_DIR!, env.PI_CWD!, env.HOME!])
      expect(writable.some((w) => dir === w || dir.startsWith(`${w}/`))).toBe(true);
  });

  it.skipIf(!existsSync("/usr/bin/systemd-analyze"))("passes systemd-analyze verify", () => {
    execFileSync("systemd-analyze", ["verify", join(deploy, "evie-pi-server.service")], { stdio: "pipe" });
  });
});

it("launchd plist restarts on a failed exit and waits out the grace", () => {
  const plist = read("dev.evie-edge.pi-server.plist");
  expect(plist).toMatch(/<key>SuccessfulExit<\/key>\s*<false\/>/);
  expect(Number(/<key>ExitTimeOut<\/key>\s*<integer>(\d+)<\/integer>/.exec(plist)?.[1])).toBeGreaterThan(STOP_SECONDS);
  expect(plist).toContain("dist/pi-server.mjs");
});

it("Dockerfile runs the build without dev dependencies behind an init that forwards SIGTERM", () => {
  const dockerfile = read("Dockerfile");
  expect(dockerfile).toContain("npm ci --omit=dev");
  expect(dockerfile).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/);
  expect(dockerfile).toMatch(/CMD \["node", "dist\/pi-server\.mjs"\]/);
  expect(dockerfile).toMatch(/VOLUME \["\/data", "\/workspace"\]/);
});

it("compose waits out the grace before SIGKILL and keeps data and workspace in volumes", () => {
  const compose = read("compose.yaml");
  expect(Number(/stop_grace_period: (\d+)s/.exec(compose)?.[1])).toBeGreaterThan(STOP_SECONDS);
  expect(compose).toMatch(/- evie-data:\/data/);
  expect(compose).toMatch(/- \.\/workspace:\/workspace/);
  expect(compose).toMatch(/"127\.0\.0\.1:8788:8788"/);
});
