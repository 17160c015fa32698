/** The webhooks cut a chunked body off at the limit while it streams, before verifying or storing anything. */
import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { unendingBody } from "../helpers";
import { TELEGRAM_SECRET } from "./helpers";

it.each([
  [
    "telegram",
    { "content-type": "application/json", "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
    '{"update_id":1,"message":{"text":"',
  ],
  [
    "slack",
    {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)),
      "x-slack-signature": `v0=${"0".repeat(64)}`,
    },
    '{"type":"event_callback","event":{"text":"',
  ],
  [
    "slack",
    {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)),
      "x-slack-signature": `v0=${"0".repeat(64)}`,
    },
    "text=",
  ],
])(
  "answers 413 to an endless chunked body on the %s webhook after reading little more than the limit",
  async (platform, headers, prefix) => {
    const body = unendingBody(prefix);
    const res = await SELF.fetch(`https://evie.test/webhooks/${platform}`, { method: "POST", headers, body: body.stream });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
    expect(body.pulled()).toBeGreaterThan(64 * 1024);
    expect(body.pulled()).toBeLessThan(1024 * 1024);
  },
);
