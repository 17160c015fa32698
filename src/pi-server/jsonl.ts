/** Splits pi's RPC stdout into JSON records. */
import { StringDecoder } from "node:string_decoder";

/**
 * Feeds chunks in, calls `onLine` once per complete line. Splits on `\n` only: pi's records are
 * strict JSONL, and U+2028/U+2029 are legal inside its JSON strings (which is why not `readline`).
 */
export class JsonlSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private buffer = "";

  constructor(private readonly onLine: (line: string) => void) {}

  /** Adds a chunk of stdout. */
  push(chunk: Buffer | string): void {
    this.buffer += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    let newline = this.buffer.indexOf("\n");
    while (newline !== -1) {
      this.emit(this.buffer.slice(0, newline));
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf("\n");
    }
  }

  /** Flushes a final unterminated line when the stream ends. */
  end(): void {
    this.buffer += this.decoder.end();
    if (this.buffer.length > 0) this.emit(this.buffer);
    this.buffer = "";
  }

  private emit(line: string): void {
    const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (trimmed.length > 0) this.onLine(trimmed);
  }
}
