/** The migration runner, on a real Durable Object's SQLite storage. */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { chatSchema } from "../../../src/worker/chat/schema";
import { type Migration, migrate, type Schema, schemaVersion } from "../../../src/worker/storage/migrations";

/** Runs `body` against the storage of a ChatSession no other test uses. */
function withStorage<T>(body: (storage: DurableObjectStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(env.CHAT_SESSION.getByName(`http:migrations-${crypto.randomUUID()}`), (_instance, state) =>
    body(state.storage),
  );
}

function tables(storage: DurableObjectStorage): string[] {
  return storage.sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't_%' ORDER BY name")
    .toArray()
    .map((r) => r.name);
}

describe("migrate", () => {
  it("applies each migration once, in order, and records the version", async () => {
    const ran: number[] = [];
    const step = (version: number): Migration => ({
      version,
      description: `step ${version}`,
      up(sql) {
        ran.push(version);
        sql.exec(`CREATE TABLE t_${version} (x INTEGER)`);
      },
    });
    await withStorage((storage) => {
      expect(migrate(storage, { name: "test", migrations: [step(1), step(2)] })).toBe(2);
      expect(migrate(storage, { name: "test", migrations: [step(1), step(2)] })).toBe(2);
      expect(migrate(storage, { name: "test", migrations: [step(1), step(2), step(3)] })).toBe(3);
      expect(ran).toEqual([1, 2, 3]);
      expect(schemaVersion(storage.sql, "test")).toBe(3);
      expect(tables(storage)).toEqual(["t_1", "t_2", "t_3"]);
    });
  });

  it("keeps a schema's version apart from the object's other schemas", async () => {
    await withStorage((storage) => {
      expect(schemaVersion(storage.sql, "chat")).toBe(chatSchema.migrations.length);
      expect(schemaVersion(storage.sql, "platforms")).toBe(1);
      migrate(storage, {
        name: "test",
        migrations: [
          { version: 1, description: "nothing", up() {} },
          { version: 2, description: "more", up() {} },
        ],
      });
      expect(schemaVersion(storage.sql, "test")).toBe(2);
      expect(schemaVersion(storage.sql, "chat")).toBe(chatSchema.migrations.length);
    });
  });

  it("rolls a failing migration back whole, leaves the version before it, and tries it again next time", async () => {
    const good: Migration = { version: 1, description: "one", up: (sql) => void sql.exec("CREATE TABLE t_one (x INTEGER)") };
    const failing: Migration = {
      version: 2,
      description: "two, half done",
      up(sql) {
        sql.exec("CREATE TABLE t_two (x INTEGER)");
        throw new Error("disk on fire");
      },
    };
    await withStorage((storage) => {
      expect(() => migrate(storage, { name: "test", migrations: [good, failing] })).toThrow("disk on fire");
      expect(schemaVersion(storage.sql, "test")).toBe(1);
      expect(tables(storage)).toEqual(["t_one"]);
      const fixed: Migration = { ...failing, up: (sql) => void sql.exec("CREATE TABLE t_two (x INTEGER)") };
      expect(migrate(storage, { name: "test", migrations: [good, fixed] })).toBe(2);
      expect(tables(storage)).toEqual(["t_one", "t_two"]);
    });
  });

  it("refuses migrations numbered out of order, before running any", async () => {
    const misnumbered: Schema = {
      name: "test",
      migrations: [
        { version: 1, description: "one", up: (sql) => void sql.exec("CREATE TABLE t_one (x INTEGER)") },
        { version: 3, description: "three", up() {} },
      ],
    };
    await withStorage((storage) => {
      expect(() => migrate(storage, misnumbered)).toThrow(/numbered 3/);
      expect(tables(storage)).toEqual([]);
    });
  });

  it("runs on when the storage is newer than the code (a rolled-back release)", async () => {
    const one: Migration = { version: 1, description: "one", up() {} };
    const two: Migration = { version: 2, description: "two", up() {} };
    await withStorage((storage) => {
      migrate(storage, { name: "test", migrations: [one, two] });
      expect(migrate(storage, { name: "test", migrations: [one] })).toBe(2);
      expect(schemaVersion(storage.sql, "test")).toBe(2);
    });
  });
});
