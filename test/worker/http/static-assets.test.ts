/**
 * Paths no route claims: the static pages through the ASSETS binding (the Worker runs first), and a
 * JSON error for everything else, whatever the method.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("static pages behind the Worker", () => {
  it("serves the web chat at / with the pages' security headers", async () => {
    const res = await SELF.fetch("https://evie.test/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("<html");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("answers HEAD on a page without a body", async () => {
    const res = await SELF.fetch("https://evie.test/dashboard", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("refuses a POST with a body to a page with a JSON 405 naming the allowed methods", async () => {
    // A small body: the large-body case (and what it did to the next request) is test/e2e/static-pages.test.ts.
    const res = await SELF.fetch("https://evie.test/", { method: "POST", body: "x".repeat(100) });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(await res.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it.each(["GET", "POST", "DELETE"])("answers %s on a path that is neither a route nor a page with a JSON 404", async (method) => {
    const res = await SELF.fetch("https://evie.test/no/such/page", { method, body: method === "GET" ? undefined : "{}" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: `no route for ${method} /no/such/page` } });
  });
});
