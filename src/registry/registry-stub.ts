import type { Env } from "../env";

/** The one Registry instance. */
export function registryStub(env: Env) {
  return env.REGISTRY.getByName("registry");
}
