/**
 * Where a chat's registry entry lives. The registry is split into REGISTRY_SHARDS objects; a chat
 * reports to shard `stableHash(chatKey) mod N` (src/shared/stable-hash.ts). Shard 0 keeps the name
 * of the old single registry (`registry`), shard i > 0 is `registry-<i>`, so a deployment with one
 * shard is unchanged and one growing from one shard keeps its rows in shard 0 until each chat
 * re-homes on its next report. Registry state is soft: a chat seen in two shards during a change
 * is shown once, newest version first (status-merge.ts).
 */
import { stableHash } from "../../shared/stable-hash";

/** The name of shard `index`. */
export function shardName(index: number): string {
  return index === 0 ? "registry" : `registry-${index}`;
}

/** The shard index a name stands for, or null for a name that is not a shard's. */
export function shardIndexOf(name: string | undefined): number | null {
  if (name === "registry") return 0;
  const m = name ? /^registry-([1-9]\d*)$/.exec(name) : null;
  return m ? Number(m[1]) : null;
}

/** The shard a chat belongs to among `count`. */
export function shardOf(chatKey: string, count: number): number {
  return stableHash(chatKey) % count;
}
