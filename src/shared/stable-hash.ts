/**
 * A stable 32-bit string hash for placing chats: FNV-1a over the string's UTF-8 bytes, then
 * murmur3's 32-bit finaliser (fmix32) so that keys differing in one character spread over every
 * bucket. The same input gives the same number on every runtime, version and deploy; changing this
 * function re-homes every chat (docs/scaling.md).
 */
/** FNV-1a 32 + fmix32 of `text`'s UTF-8 bytes, as an unsigned 32-bit integer. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  const add = (byte: number) => {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  };
  for (const char of text) {
    const c = char.codePointAt(0)!;
    if (c < 0x80) add(c);
    else if (c < 0x800) {
      add(0xc0 | (c >> 6));
      add(0x80 | (c & 63));
    } else if (c < 0x10000) {
      add(0xe0 | (c >> 12));
      add(0x80 | ((c >> 6) & 63));
      add(0x80 | (c & 63));
    } else {
      add(0xf0 | (c >> 18));
      add(0x80 | ((c >> 12) & 63));
      add(0x80 | ((c >> 6) & 63));
      add(0x80 | (c & 63));
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
