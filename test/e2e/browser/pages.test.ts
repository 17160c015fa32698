/**
 * The web chat and the dashboard in a real browser: Debian's Chromium driven by playwright-core,
 * headless, with a fresh profile, against the Worker under wrangler dev and the fake backend.
 * Screenshots go to test-output/ (docs/images/ holds the ones the README shows).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDGE_API_TOKEN, type EdgeStack, startEdgeStack } from "../../fixtures/edge-stack";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUT = resolve(import.meta.dirname, "../../../test-output");

let stack: EdgeStack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  mkdirSync(OUT, { recursive: true });
  stack = await startEdgeStack();
  // launch() gives every run a fresh temporary profile.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page with its own context (storage), the API token already entered through the dialog. */
async function openPage(path: string, viewport = { width: 1200, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme: "light" });
  const page = await context.newPage();
  page.on("pageerror", (err) => {
    throw err;
  });
  await page.goto(`${stack.url}${path}`);
  const dialog = page.locator("#token-dialog");
  await dialog.locator("input").fill(EDGE_API_TOKEN);
  await dialog.locator("button[type=submit]").click();
  await expect.poll(() => dialog.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
  return page;
}

const agentMessage = (page: Page) => page.locator(".msg.agent").last();

describe("web chat", () => {
  it("streams a reply into the page over SSE, with its tool line and Markdown", async () => {
    const chat = `web-${Date.now()}`;
    const reply = "Here is the listing:\n\n```sh\nls -la\n```\n\nAll **done**.";
    const parts = [reply.slice(0, 20), reply.slice(20, 40), reply.slice(40)];
    await stack.script(`http:${chat}`, {
      tools: [{ tool: "bash", args: { command: "ls -la" } }],
      deltas: parts,
      deltaDelayMs: 30,
      hold: true,
    });
    const page = await openPage(`/?chat=${chat}`);
    await page.locator("#prompt").fill("list the files");
    await page.keyboard.press("Enter");
    // The whole reply is in the page while the turn is still held open: it came as deltas, not as the final record.
    await expect.poll(() => agentMessage(page).locator(".bubble").textContent(), { timeout: 15_000 }).toContain("All done.");
    expect(await agentMessage(page).getAttribute("data-state")).toBe("running");
    expect(await page.locator("#stop").isVisible()).toBe(true);
    expect(await agentMessage(page).locator(".tool").textContent()).toContain("bash");
    expect(await agentMessage(page).locator("pre code").textContent()).toBe("ls -la");
    expect(await stack.release(`http:${chat}`)).toBe(true);
    await expect.poll(() => agentMessage(page).getAttribute("data-state")).toBe("done");
    expect(await agentMessage(page).locator(".bubble strong").textContent()).toBe("done");
    await page.screenshot({ path: join(OUT, "chat.png") });
    await page.setViewportSize({ width: 390, height: 780 });
    await page.screenshot({ path: join(OUT, "chat-phone.png") });
    await page.context().close();
  });

  it("stops a held turn with the Stop button", async () => {
    const chat = `stop-${Date.now()}`;
    await stack.script(`http:${chat}`, { deltas: ["thinking about it"], hold: true });
    const page = await openPage(`/?chat=${chat}`);
    await page.locator("#prompt").fill("take your time");
    await page.locator("#send").click();
    await expect.poll(() => agentMessage(page).locator(".bubble").textContent(), { timeout: 15_000 }).toContain("thinking about it");
    await page.locator("#stop").click();
    await expect.poll(() => agentMessage(page).getAttribute("data-state"), { timeout: 10_000 }).toBe("failed");
    expect(await agentMessage(page).locator(".error-text").textContent()).toBe("Stopped.");
    expect(await page.locator("#stop").isVisible()).toBe(false);
    const aborts = stack.backend.log.filter((e) => e.sessionId === `http:${chat}` && e.kind === "abort");
    expect(aborts).toHaveLength(1);
    await page.context().close();
  });
});

describe("dashboard", () => {
  it("shows a chat busy while its turn is held open, then idle", async () => {
    const chat = `dash-${Date.now()}`;
    await stack.script(`http:${chat}`, { deltas: ["working"], hold: true });
    const idleChat = `dash-idle-${Date.now()}`;
    await (await stack.api(`/api/chats/${idleChat}/messages`, { json: { text: "hello" } })).body?.cancel();
    await (await stack.api(`/api/chats/${chat}/messages`, { json: { text: "long job" } })).body?.cancel();
    const page = await openPage("/dashboard");
    const row = page.locator(`tr[data-chat="http:${chat}"]`);
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 15_000 }).toBe("busy");
    expect(await row.textContent()).toContain("live");
    await expect.poll(() => page.locator(`tr[data-chat="http:${idleChat}"]`).getAttribute("data-state"), { timeout: 15_000 }).toBe("idle");
    await page.screenshot({ path: join(OUT, "dashboard.png") });
    expect(await stack.release(`http:${chat}`)).toBe(true);
    await expect.poll(() => row.getAttribute("data-state"), { timeout: 15_000 }).toBe("idle");
    expect(await page.locator("#total-busy").textContent()).toBe("0");
    await page.setViewportSize({ width: 390, height: 780 });
    await page.screenshot({ path: join(OUT, "dashboard-phone.png") });
    await page.context().close();
  });

  it("serves the API reference from /openapi.json", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${stack.url}/docs`);
    // public/_headers: the pages run only the site's own scripts.
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await expect.poll(() => page.locator("details.op").count(), { timeout: 10_000 }).toBeGreaterThan(10);
    expect(await page.locator(".path", { hasText: "/v1/chat/completions" }).count()).toBe(1);
    await page.screenshot({ path: join(OUT, "docs.png"), fullPage: false });
    await context.close();
  });
});
