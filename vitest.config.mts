import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig, type TestProjectConfiguration } from "vitest/config";

/** Fault cases that run inside workerd against the fake servers (the others under test/faults run in node). */
const FAULT_TESTS_IN_WORKERD = [
  "test/faults/backend-down.test.ts",
  "test/faults/hung-calls.test.ts",
  "test/faults/stalled-stream.test.ts",
  "test/faults/backend-restart.test.ts",
];

/** A project running `include` inside workerd, with the test bindings (plus `overrides`) and the fake servers. */
function workersProject(name: string, include: string[], overrides: Record<string, string> = {}): TestProjectConfiguration {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            PI_BACKEND_URL: `http://127.0.0.1:${inject("fakeBackendPort")}`,
            PI_BACKEND_TOKEN: "test-backend-token",
            API_TOKEN: "test-api-token-for-workers",
            IDLE_TIMEOUT_SECONDS: "900",
            TURN_HANDOVER_SECONDS: "840",
            TELEGRAM_BOT_TOKEN: "123456789:TEST-fake-telegram-token",
            TELEGRAM_WEBHOOK_SECRET: "test-telegram-secret_1",
            TELEGRAM_API_BASE: `http://127.0.0.1:${inject("fakeTelegramPort")}`,
            SLACK_SIGNING_SECRET: "test-slack-signing-secret",
            SLACK_BOT_TOKEN: "xoxb-test-fake-slack-token",
            SLACK_API_BASE: `http://127.0.0.1:${inject("fakeSlackPort")}/api`,
            ALLOWED_USERS: "telegram:1001,telegram:1002,slack:U0ALLOWED1",
            ...overrides,
          },
        },
      })),
    ],
    test: {
      name,
      include,
      globalSetup: ["test/fixtures/global-setup.ts"],
      testTimeout: 30_000,
    },
  };
}

// Projects, all run by `npm test`:
// - workers: the Worker and its Durable Objects inside workerd, against local fake servers
//   (fake pi backend, fake Telegram/Slack APIs) started by globalSetup;
// - faults: the same, for the fault cases that need short timeouts (see FAULT_TESTS_IN_WORKERD);
// - node: the pi server with the real pi binary, the protocol contract suite (the pi server and the
//   fake backend), and end-to-end runs through wrangler dev.
export default defineConfig({
  test: {
    projects: [
      workersProject("workers", ["test/worker/**/*.test.ts"]),
      // The Worker under faults (issue 9): the same bindings with short call timeouts, stall limit and
      // retry backoff, so an outage, a hung call or a stalled stream plays out in seconds.
      workersProject("faults", FAULT_TESTS_IN_WORKERD, {
        PI_CALL_TIMEOUT_SECONDS: "1",
        STREAM_STALL_SECONDS: "1",
        BACKEND_RETRY_MIN_SECONDS: "0.2",
        BACKEND_RETRY_MAX_SECONDS: "1",
        BACKEND_OUTAGE_HOLD_SECONDS: "60",
      }),
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/pi-server/**/*.test.ts", "test/shared/**/*.test.ts", "test/e2e/**/*.test.ts", "test/faults/**/*.test.ts"],
          // The workerd fault cases run in the faults project above.
          exclude: FAULT_TESTS_IN_WORKERD,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
