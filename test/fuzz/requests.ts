/**
 * fast-check arbitraries for bad input: requests aimed at a target's routes with random and
 * malformed methods, paths, ids, queries, headers and bodies, half of them carrying the target's
 * real credentials (so the fuzz reaches past the front door) and half carrying none or forged ones.
 */
import fc from "fast-check";

/** One request as sent byte for byte (see raw-http.ts). */
export interface FuzzRequest {
  method: string;
  target: string;
  headers: Record<string, string>;
  body?: string;
  /** Whether the request carries the target's real credentials. */
  authorized: boolean;
}

/** A route of the target: `template` has `{id}` placeholders. */
export interface RouteSpec {
  method: string;
  template: string;
  /** A well-formed body for this route (`unauthorized` picks the marked ids the audit looks for). */
  validBody?: (unauthorized: boolean) => fc.Arbitrary<unknown>;
  /** The ids authorized requests mostly use here (default: random valid ones). */
  authorizedIds?: string[];
}

/** What the fuzzer needs to know of a server. */
export interface FuzzTarget {
  name: string;
  routes: RouteSpec[];
  /** The real credentials for a request (a signature may cover the body). */
  authorize(method: string, target: string, body: string | undefined): Record<string, string>;
  /** Missing, wrong or malformed credentials. */
  forged: fc.Arbitrary<Record<string, string>>;
  /** Largest body worth sending (a little over the target's limit). */
  maxBodyBytes: number;
  /** True for an answer the runtime's HTTP layer gave before any of our code ran. */
  isRuntimeRefusal?(request: FuzzRequest, status: number, body: string): boolean;
}

/** Marks every id of an unauthorized request, so a turn it managed to start can be found afterwards. */
export const UNAUTHORIZED_MARKER = "noauth";

/** Header values: printable ASCII, no CR/LF (header injection is the HTTP parser's business, not ours). */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });

/** An id as a client might send it: valid, or broken in the ways ids break. */
export function idArbitrary(unauthorized: boolean, pool?: string[]): fc.Arbitrary<string> {
  const prefix = unauthorized ? `${UNAUTHORIZED_MARKER}-` : "fz-";
  const valid = pool && !unauthorized ? fc.constantFrom(...pool) : fc.stringMatching(/^[a-z0-9]{1,6}$/).map((s) => prefix + s);
  return fc.oneof(
    { weight: pool ? 24 : 6, arbitrary: valid },
    { weight: 1, arbitrary: fc.constantFrom("..", ".", "%2e%2e", "%2F", "a%00b", "%ff", "a b", "%E2%82%AC", "~", "telegram%3A1") },
    // With a pool (the pi server's sessions), a fuzzed id is always invalid: a valid new one would start a pi.
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => prefix + encodeURIComponent(s) + (pool ? "!" : "")) },
    { weight: 1, arbitrary: fc.integer({ min: 129, max: 400 }).map((n) => prefix + "x".repeat(n)) },
  );
}

const methods = fc.oneof(
  fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"),
  fc.constantFrom("TRACE", "PROPFIND", "MKCOL", "get", "Post"),
  fc.stringMatching(/^[A-Z]{1,12}$/),
);

const query = fc.oneof(
  { weight: 5, arbitrary: fc.constant("") },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.nat().map(String), fc.constantFrom("-1", "1e3", "abc", "", "99999999999999999999", "0x10"))
      .map((v) => `?after=${v}`),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z=&%0-9]{0,30}$/).map((q) => `?${q}`) },
  { weight: 1, arbitrary: fc.constantFrom("?state=bogus&limit=-1&cursor=%%%", "?limit=100000", "?cursor=..") },
);

function pathFor(route: RouteSpec, unauthorized: boolean): fc.Arbitrary<string> {
  const slots = route.template.split("{id}").length - 1;
  const ids = fc.array(idArbitrary(unauthorized, route.authorizedIds), { minLength: slots, maxLength: slots });
  const filled = ids.map((values) => {
    let i = 0;
    return route.template.replace(/\{id\}/g, () => values[i++]!);
  });
  return fc.oneof(
    { weight: 8, arbitrary: filled },
    { weight: 1, arbitrary: filled.map((p) => `${p}/`) },
    { weight: 1, arbitrary: filled.map((p) => p.replace("/", "//")) },
    { weight: 1, arbitrary: filled.map((p) => `${p}/extra/../segments`) },
  );
}

const randomPath = fc.oneof(
  fc.webPath().map((p) => (p.startsWith("/") ? p : `/${p}`)),
  fc.constantFrom("/", "*", "//", "/%", "/..", "/v1/sessions/%2e%2e/turns", "/api/%2e%2e/healthz", "http://evil.example/v1/sessions"),
);

function bodyFor(route: RouteSpec | undefined, unauthorized: boolean, maxBodyBytes: number): fc.Arbitrary<string | undefined> {
  const valid = route?.validBody?.(unauthorized).map((v) => JSON.stringify(v));
  const options: fc.WeightedArbitrary<string | undefined>[] = [
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "{", "null", "[]", '{"text":null}', '{"message":{}}', '{"__proto__":{"x":1}}', "\u0000\u0001"),
    },
    { weight: 1, arbitrary: fc.constantFrom(maxBodyBytes + 10, 70_000).map((n) => JSON.stringify({ text: "x".repeat(n), message: "y" })) },
  ];
  if (valid) {
    options.push({ weight: 6, arbitrary: valid });
    options.push({ weight: 2, arbitrary: fc.tuple(valid, fc.nat()).map(([v, cut]) => v.slice(0, cut % Math.max(1, v.length))) });
  }
  return fc.oneof(...options);
}

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | undefined>("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      "text/plain",
      "application/json; charset=utf-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "APPLICATION/JSON",
      "application/jsonx",
    ),
  },
  { weight: 1, arbitrary: headerValue },
);

const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z]{1,10}$/), headerValue, { maxKeys: 3 });

/** Requests for `target`: half authorized, half not; mostly at its routes, some anywhere. */
export function requestArbitrary(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  return fc.boolean().chain((authorized) => {
    const unauthorized = !authorized;
    const routed = fc.constantFrom(...target.routes).chain((route) =>
      fc.record({
        method: fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: methods }),
        path: pathFor(route, unauthorized),
        body: bodyFor(route, unauthorized, target.maxBodyBytes),
      }),
    );
    const anywhere = fc.record({ method: methods, path: randomPath, body: bodyFor(undefined, unauthorized, target.maxBodyBytes) });
    return fc
      .record({
        parts: fc.oneof({ weight: 5, arbitrary: routed }, { weight: 1, arbitrary: anywhere }),
        query,
        contentType,
        origin: fc.option(fc.constantFrom("https://page.example", "null"), { freq: 10 }),
        extra: extraHeaders,
        forged: target.forged,
      })
      .map(({ parts, query: q, contentType: type, origin, extra, forged }) => {
        const requestTarget = parts.path.includes("?") ? parts.path : parts.path + q;
        const headers: Record<string, string> = { ...extra };
        if (type !== undefined) headers["Content-Type"] = type;
        if (origin !== null) headers.Origin = origin;
        Object.assign(headers, authorized ? target.authorize(parts.method, requestTarget, parts.body) : forged);
        return { method: parts.method, target: requestTarget, headers, body: parts.body, authorized };
      });
  });
}
