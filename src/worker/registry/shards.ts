/** Stubs of the registry shards (placement rules in shard-map.ts). */
import { registryShards } from "../config/config";
import type { Env, Registries } from "../config/env";
import type { Registry } from "./registry";
import { shardName, shardOf } from "./shard-map";

type RegistryEnv = Env & Registries<Registry>;

/** The registry shard that owns `chatKey`'s entry and eviction alarm. */
export function registryFor(env: RegistryEnv, chatKey: string) {
  return env.REGISTRY.getByName(shardName(shardOf(chatKey, registryShards(env))));
}

/** Every shard, in index order. */
export function allRegistryShards(env: RegistryEnv) {
  return Array.from({ length: registryShards(env) }, (_, i) => env.REGISTRY.getByName(shardName(i)));
}
