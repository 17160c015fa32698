/**
 * A small Markdown reader for what pi writes (fences, tables, headings, quotes, lists, inline code,
 * bold, italic, strike, links), rendered through a platform's style. It never throws and
 * never drops text: anything it does not recognise is escaped and shown as written, and an
 * unclosed fence (a reply still streaming) renders as code up to the end.
 */

/** How one platform spells each construct. Every function receives already-escaped text except `escape` itself. */
export interface MarkdownStyle {
  escape(text: string): string;
  code(escaped: string): string;
  pre(escaped: string, language: string): string;
  bold(inner: string): string;
  italic(inner: string): string;
  strike(inner: string): string;
  link(label: string, url: string): string;
  heading(inner: string): string;
  quote(lines: string[]): string;
  bullet: string;
}

import { readTable } from "./markdown-table";

/** A code fence line: its marker and its language. */
export const FENCE = /^\s*(```|~~~)\s*([\w+#.-]*)\s*$/;
const HEADING = /^#{1,6}\s+(.*)$/;
const QUOTE = /^>\s?(.*)$/;
const BULLET = /^(\s*)[-*+]\s+(.*)$/;

/** Renders Markdown with `style`. */
export function renderMarkdown(markdown: string, style: MarkdownStyle): string {
  const out: string[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && lines[j]!.trim() !== fence[1]) body.push(lines[j++]!);
      out.push(style.pre(style.escape(body.join("\n")), fence[2] ?? ""));
      i = j;
      continue;
    }
    const table = readTable(lines, i);
    if (table) {
      out.push(style.pre(style.escape(table.text), ""));
      i = table.next - 1;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i]!); i++) quoted.push(renderInline(QUOTE.exec(lines[i]!)![1]!, style));
      i--;
      out.push(style.quote(quoted));
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push(style.heading(renderInline(heading[1]!, style)));
      continue;
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      out.push(`${bullet[1]}${style.bullet}${renderInline(bullet[2]!, style)}`);
      continue;
    }
    out.push(renderInline(line, style));
  }
  return out.join("\n");
}

// One alternative per inline construct; the first that matches at a position wins.
const INLINE = new RegExp(
  [
    "(`+)([^`]+?)\\1", // code
    String.raw`\*\*(?=\S)(.+?)(?<=\S)\*\*`, // bold
    String.raw`__(?=\S)(.+?)(?<=\S)__`, // boldUnderscore
    String.raw`~~(?=\S)(.+?)(?<=\S)~~`, // strike
    String.raw`(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])`, // italic
    String.raw`(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])`, // italicUnderscore
    String.raw`\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)`, // link
  ].join("|"),
  "g",
);

/** Renders the inline constructs of one line. */
function renderInline(text: string, style: MarkdownStyle): string {
  let out = "";
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    out += style.escape(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] !== undefined) out += style.code(style.escape(m[2]));
    else if (m[3] !== undefined || m[4] !== undefined) out += style.bold(renderInline((m[3] ?? m[4])!, style));
    else if (m[5] !== undefined) out += style.strike(renderInline(m[5], style));
    else if (m[6] !== undefined || m[7] !== undefined) out += style.italic(renderInline((m[6] ?? m[7])!, style));
    else if (m[8] !== undefined && m[9] !== undefined) out += style.link(renderInline(m[8], style), m[9]);
  }
  return out + style.escape(text.slice(last));
}
