/** Reading finished turns back from their logs: the last complete run, nothing torn or unfinished. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { turnLogFile } from "../../src/pi-server/paths";
import { loadFinishedTurn } from "../../src/pi-server/turn-archive";

const dataDir = mkdtempSync(join(tmpdir(), "evie-archive-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function writeLog(turnId: string, lines: string[]): void {
  const path = turnLogFile(dataDir, "a:b", turnId);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${lines.join("\n")}\n`);
}

const start = '{"seq":1,"type":"turn_start"}';
const delta = '{"seq":2,"type":"text_delta","delta":"hi"}';
const end = '{"seq":3,"type":"turn_end","text":"hi"}';

describe("loadFinishedTurn", () => {
  it("reads a finished turn back, done, with its events", () => {
    writeLog("ok", [start, delta, end]);
    const turn = loadFinishedTurn(dataDir, "a:b", "ok")!;
    expect(turn.state).toBe("done");
    expect(turn.events.map((e) => e.type)).toEqual(["turn_start", "text_delta", "turn_end"]);
  });

  it("takes the last run when a turnId was run twice", () => {
    writeLog("twice", [start, '{"seq":2,"type":"turn_error","code":"aborted","message":"x","retryable":false}', start, delta, end]);
    expect(loadFinishedTurn(dataDir, "a:b", "twice")?.events.at(-1)).toMatchObject({ seq: 3, type: "turn_end" });
  });

  it("knows nothing of a missing, torn, gapped or unfinished log", () => {
    expect(loadFinishedTurn(dataDir, "a:b", "missing")).toBeUndefined();
    writeLog("torn", [start, delta, '{"seq":3,"type":"turn_e']);
    expect(loadFinishedTurn(dataDir, "a:b", "torn")).toBeUndefined();
    writeLog("gap", [start, end]);
    expect(loadFinishedTurn(dataDir, "a:b", "gap")).toBeUndefined();
    writeLog("open", [start, delta]);
    expect(loadFinishedTurn(dataDir, "a:b", "open")).toBeUndefined();
  });
});
