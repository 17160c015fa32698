/**
 * The few globals both runtimes have, typed here: src/shared compiles with neither the Workers
 * types nor Node's, so `console`, `crypto` and `TextEncoder` are not declared for it. Node 20 and
 * workerd both provide them on globalThis.
 */

interface HostGlobals {
  console: Record<"log" | "warn" | "error", (line: string) => void>;
  crypto: { subtle: { digest(algorithm: "SHA-256", data: Uint8Array): Promise<ArrayBuffer> } };
  TextEncoder: new () => { encode(text: string): Uint8Array };
}

const host = globalThis as unknown as HostGlobals;

/** The console both runtimes capture (workerd's logs, Node's stdout and stderr). */
export const hostConsole = host.console;

/** SHA-256 of `text` (UTF-8), with Web Crypto. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await host.crypto.subtle.digest("SHA-256", new host.TextEncoder().encode(text)));
}
