/**
 * Versioned SQLite schemas for Durable Objects. A deployed object keeps its storage across every
 * upgrade, so tables are never created ad hoc: each schema is an ordered list of migrations, and a
 * row in `schema_versions` says how far this object's storage has come. `migrate` runs in the
 * object's constructor, before any request: it applies what is missing, each migration in one
 * transaction with its version bump, and costs two statements when nothing is.
 */
import { log } from "../../shared/log";

/** One step of a schema, applied once per object, in order. */
export interface Migration {
  /** The version this step brings the schema to: 1, 2, 3... with no gaps. */
  version: number;
  /** What it changes, for the log. */
  description: string;
  /** Synchronous SQL only, so the step and its version bump commit together. */
  up(sql: SqlStorage): void;
}

/** The tables one part of an object owns, under a name of its own (an object may hold several). */
export interface Schema {
  name: string;
  migrations: readonly Migration[];
}

/**
 * Brings `schema` up to its newest version in `storage` and returns that version. Storage from
 * before versioning (tables but no version row) starts at 0; that is why the first migration of
 * each schema is written with `IF NOT EXISTS`.
 */
export function migrate(storage: DurableObjectStorage, schema: Schema): number {
  return migrateAll(storage, [schema])[0]!;
}

/**
 * `migrate` for each of an object's schemas, in order, reading every schema's version with one
 * query: an object runs this on every start, so with nothing to do it costs two statements, not two per schema.
 */
export function migrateAll(storage: DurableObjectStorage, schemas: readonly Schema[]): number[] {
  for (const schema of schemas) checkOrder(schema);
  storage.sql.exec("CREATE TABLE IF NOT EXISTS schema_versions (schema TEXT PRIMARY KEY, version INTEGER NOT NULL)");
  const stored = new Map(
    storage.sql
      .exec<{ schema: string; version: number }>("SELECT schema, version FROM schema_versions")
      .toArray()
      .map((r) => [r.schema, r.version]),
  );
  return schemas.map((schema) => apply(storage, schema, stored.get(schema.name) ?? 0));
}

/** Applies the migrations after `current`, each in one transaction with its version bump. */
function apply(storage: DurableObjectStorage, schema: Schema, current: number): number {
  const newest = schema.migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    // Newer code ran here and was rolled back. Refusing would take the chat down; running on is
    // what the previous release did, and its tables are still there.
    log.error("schema.newer_than_code", { schema: schema.name, storedVersion: current, knownVersion: newest, action: "running on" });
    return current;
  }
  for (const migration of schema.migrations) {
    if (migration.version <= current) continue;
    storage.transactionSync(() => {
      migration.up(storage.sql);
      storage.sql.exec(
        "INSERT INTO schema_versions (schema, version) VALUES (?, ?) ON CONFLICT (schema) DO UPDATE SET version = excluded.version",
        schema.name,
        migration.version,
      );
    });
  }
  return Math.max(current, newest);
}

/** The version `schema` is at in this storage (0: never migrated). */
export function schemaVersion(sql: SqlStorage, schema: string): number {
  return sql.exec<{ version: number }>("SELECT version FROM schema_versions WHERE schema = ?", schema).toArray()[0]?.version ?? 0;
}

function checkOrder(schema: Schema): void {
  schema.migrations.forEach((migration, i) => {
    if (migration.version !== i + 1)
      throw new Error(`schema ${schema.name}: migration ${i + 1} is numbered ${migration.version}; versions run 1, 2, 3... in order`);
  });
}
