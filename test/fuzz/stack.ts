/**
 * What the bad-input suite attacks: the real Worker under `wrangler dev` (with the fake backend,
 * fake Telegram and fake Slack behind it) and the real pi server process (real pi, fake LLM), plus
 * the audits run afterwards: turns started without auth and uncaught exceptions.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BackendProcess, startBackendProcess } from "../fixtures/backend-process";
import { FAKE_BACKEND_TOKEN, FakeBackend } from "../fixtures/fake-backend";
import { FakeSlack } from "../fixtures/fake-slack";
import { FAKE_TELEGRAM_TOKEN, FakeTelegram } from "../fixtures/fake-telegram";
import { logLines } from "../fixtures/log-lines";
import { startWranglerDev, type WranglerDev } from "../fixtures/wrangler-dev";
import { UNAUTHORIZED_MARKER } from "./requests";
import {
  backendTarget,
  FUZZ_ALLOWED_USERS,
  UNAUTHORIZED_SLACK_CHANNEL,
  UNAUTHORIZED_TELEGRAM_CHAT,
  type WorkerSecrets,
  workerTarget,
} from "./targets";

export const FUZZ_SECRETS: WorkerSecrets = {
  apiToken: "fuzz-api-token-0123456789",
  telegramSecret: "fuzz-telegram-secret_0123",
  slackSigningSecret: "fuzz-slack-signing-secret-0123",
};
const BACKEND_TOKEN = "fuzz-backend-token-0123456789";

/** Audits after a run: both must be zero. */
export interface FuzzAudit {
  turnsWithoutAuth: number;
  uncaughtExceptions: number;
}

/** The Worker and its fakes. */
export interface WorkerStack {
  dev: WranglerDev;
  port: number;
  target: ReturnType<typeof workerTarget>;
  audit(): FuzzAudit;
  close(): Promise<void>;
}

/** The pi server process. */
export interface BackendStack {
  backend: BackendProcess;
  target: ReturnType<typeof backendTarget>;
  audit(): Promise<FuzzAudit>;
  close(): Promise<void>;
}

const UNAUTHORIZED_SESSION = new RegExp(
  `${UNAUTHORIZED_MARKER}|${String(UNAUTHORIZED_TELEGRAM_CHAT).slice(0, 4)}\\d{5}|${UNAUTHORIZED_SLACK_CHANNEL}`,
  "i",
);

/** workerd's dev server failing to parse a target that is not a path (`*`, absolute form): before the Worker runs (see targets.ts). */
const RUNTIME_URL_REFUSAL = /kj\/compat\/url\.c\+\+.*invalid URL; url = (?!\/)/;

/** Worker log output that means an exception escaped a handler or an object. */
const UNCAUGHT = /uncaught|unhandled ?rejection|request\.unhandled|exception thrown/i;

export async function startWorkerStack(): Promise<WorkerStack> {
  const backend = new FakeBackend();
  const telegram = new FakeTelegram();
  const slack = new FakeSlack();
  const [backendPort, telegramPort, slackPort] = await Promise.all([backend.start(), telegram.start(), slack.start()]);
  // On tmpfs when there is one: every new chat is a SQLite file, and fsyncs on a shared disk made
  // the Worker run ten times slower (as bench:core notes).
  const persistTo = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "evie-fuzz-state-"));
  const dev = await startWranglerDev({
    persistTo,
    vars: {
      PI_BACKEND_URL: `http://127.0.0.1:${backendPort}`,
      PI_BACKEND_TOKEN: FAKE_BACKEND_TOKEN,
      API_TOKEN: FUZZ_SECRETS.apiToken,
      TELEGRAM_BOT_TOKEN: FAKE_TELEGRAM_TOKEN,
      TELEGRAM_WEBHOOK_SECRET: FUZZ_SECRETS.telegramSecret,
      TELEGRAM_API_BASE: `http://127.0.0.1:${telegramPort}`,
      SLACK_SIGNING_SECRET: FUZZ_SECRETS.slackSigningSecret,
      SLACK_BOT_TOKEN: "xoxb-fuzz-fake-slack-token",
      SLACK_API_BASE: `http://127.0.0.1:${slackPort}/api`,
      ALLOWED_USERS: FUZZ_ALLOWED_USERS,
    },
  });
  return {
    dev,
    port: Number(new URL(dev.url).port),
    target: workerTarget(FUZZ_SECRETS),
    audit: () => ({
      turnsWithoutAuth: backend.log.filter((e) => (e.kind === "submit" || e.kind === "spawn") && UNAUTHORIZED_SESSION.test(e.sessionId))
        .length,
      uncaughtExceptions: dev
        .output()
        .split("\n")
        .filter((line) => UNCAUGHT.test(line) && !RUNTIME_URL_REFUSAL.test(line)).length,
    }),
    async close() {
      await dev.stop();
      await Promise.all([backend.stop(), telegram.stop(), slack.stop()]);
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

export async function startBackendStack(): Promise<BackendStack> {
  const backend = await startBackendProcess(BACKEND_TOKEN);
  const url = `http://127.0.0.1:${backend.port}`;
  return {
    backend,
    target: backendTarget(BACKEND_TOKEN),
    async audit() {
      const listed = (await (await fetch(`${url}/v1/sessions`, { headers: { authorization: `Bearer ${BACKEND_TOKEN}` } })).json()) as {
        sessions: { sessionId: string }[];
      };
      let logged: string[] = [];
      try {
        logged = readdirSync(join(backend.dir, "data", "turns"));
      } catch {
        // no turn ran at all
      }
      const alive = (() => {
        try {
          process.kill(backend.pid, 0);
          return true;
        } catch {
          return false;
        }
      })();
      return {
        turnsWithoutAuth:
          listed.sessions.filter((s) => UNAUTHORIZED_SESSION.test(s.sessionId)).length +
          logged.filter((dir) => UNAUTHORIZED_SESSION.test(dir)).length +
          backend.llm.requests.filter((r) => JSON.stringify(r.messages).includes(UNAUTHORIZED_MARKER)).length,
        uncaughtExceptions:
          (alive ? 0 : 1) +
          logLines(backend.output.stdout + backend.output.stderr).filter((l) => l.event === "request.unhandled").length +
          backend.output.stderr.split("\n").filter((line) => /uncaught|unhandled/i.test(line)).length,
      };
    },
    close: () => backend.close(),
  };
}
