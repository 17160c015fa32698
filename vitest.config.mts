import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Two projects, both run by `npm test`:
// - workers: the Worker and its Durable Objects inside workerd, against local fake servers
//   (fake pi backend, fake Telegram/Slack APIs) started by globalSetup;
// - node: the pi server with the real pi binary, the protocol contract suite (the pi server and the
//   fake backend), and end-to-end runs through wrangler dev.
export default defineConfig({
  test: {
    projects: [
      {
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
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/fixtures/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/pi-server/**/*.test.ts", "test/shared/**/*.test.ts", "test/e2e/**/*.test.ts", "test/faults/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
