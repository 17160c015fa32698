import type { Env } from "../config/config";

/** The one Registry instance. */
export function registryStub(env: Env) {
  return env.REGISTRY.getByName("registry");
}
