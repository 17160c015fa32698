import type { Registry } from "./registry";

/** The one Registry instance. */
export function registryStub(env: { REGISTRY: DurableObjectNamespace<Registry> }) {
  return env.REGISTRY.getByName("registry");
}
