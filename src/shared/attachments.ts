/**
 * Attachments in a turn (protocol v1, `POST /v1/sessions/{id}/turns` `attachments`): the limits both
 * sides enforce, the name rules, and base64 helpers that run on both runtimes (no Buffer in workerd).
 */

/** btoa/atob: both runtimes have them on globalThis; src/shared compiles with neither's types (see runtime.ts). */
const host = globalThis as unknown as { btoa(binary: string): string; atob(data: string): string };

/** Largest image (decoded) that goes to pi as a prompt image. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** Largest file (decoded) written into the chat's workspace. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** At most this many attachments in one turn (Slack allows ten files per message). */
export const MAX_ATTACHMENTS = 10;
/** All of one turn's attachments together, decoded. */
export const MAX_ATTACHMENTS_TOTAL_BYTES = 20 * 1024 * 1024;

/** Image types the models take; any other image travels as a file. */
export const IMAGE_MIME_TYPES: readonly string[] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** The longest attachment name, in UTF-16 units (file systems allow 255 bytes; a UTF-8 name may need 3 per unit). */
export const MAX_ATTACHMENT_NAME_CHARS = 80;

/** True when `mimeType` is an image a model can be shown. */
export function isPromptImageType(mimeType: string | undefined): boolean {
  return mimeType !== undefined && IMAGE_MIME_TYPES.includes(mimeType.toLowerCase());
}

/** The limit for one attachment of `kind`, decoded. */
export function attachmentLimit(kind: "image" | "file"): number {
  return kind === "image" ? MAX_IMAGE_BYTES : MAX_FILE_BYTES;
}

/** `5 MiB`, `12.3 KiB`: sizes in messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = "B";
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1).replace(/\.0$/, "")} ${unit}`;
}

/**
 * A name safe to create in the workspace's `inbox/`: the last path component only (no `/` or `\`),
 * no control characters or characters shells and Windows trip over, no leading dots (no hidden
 * files, no `.` or `..`), at most MAX_ATTACHMENT_NAME_CHARS with the extension kept. `fallback`
 * when nothing is left. Idempotent: a sanitised name sanitises to itself, which is how the
 * protocol checks a name (`isSafeAttachmentName`).
 */
export function sanitizeAttachmentName(raw: string, fallback = "file"): string {
  const base = raw.split(/[/\\]/).at(-1) ?? "";
  let name = base
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, "_")
    .replace(/\s+/g, " ")
    .replace(/^[.\s-]+/, "")
    .replace(/[.\s]+$/, "");
  if (name.length > MAX_ATTACHMENT_NAME_CHARS) {
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
    name = name.slice(0, MAX_ATTACHMENT_NAME_CHARS - ext.length).replace(/[.\s]+$/, "") + ext;
  }
  return name === "" ? fallback : name;
}

/** True when `name` is already safe (the protocol refuses any other with 400). */
export function isSafeAttachmentName(name: string): boolean {
  return name !== "" && sanitizeAttachmentName(name, "") === name;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** True for standard base64 (padding optional only when the length is a multiple of 4). */
export function isBase64(data: string): boolean {
  return data.length % 4 === 0 && BASE64.test(data);
}

/** Decoded size of well-formed base64, without decoding it. */
export function base64DecodedBytes(data: string): number {
  const padding = data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

/** Bytes → base64, in chunks (btoa exists on both runtimes; String.fromCharCode on a whole file would overflow the stack). */
export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const step = 3 * 8192; // a multiple of 3: the chunks' encodings concatenate without padding in between
  for (let i = 0; i < bytes.length; i += step) {
    parts.push(host.btoa(String.fromCharCode(...bytes.subarray(i, i + step))));
  }
  return parts.join("");
}

/** base64 → bytes; the caller has checked `isBase64`. */
export function fromBase64(data: string): Uint8Array {
  const binary = host.atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
