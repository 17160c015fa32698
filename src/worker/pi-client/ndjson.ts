/**
 * Splits a byte stream into JSON lines on `\n` only. (Node's readline also splits on
 * U+2028, which is legal inside JSON strings; this reader never does.)
 */
export async function* readJsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield JSON.parse(line);
        newline = buffered.indexOf("\n");
      }
    }
    const rest = (buffered + decoder.decode()).trim();
    if (rest) yield JSON.parse(rest);
  } finally {
    // Frees the connection when the caller stops early; on a broken stream the cancel itself may reject.
    reader.cancel().catch(() => {});
  }
}
