/** pi's Markdown rendered as Telegram HTML and Slack mrkdwn. */
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../../src/worker/platforms/markdown";
import { slackMrkdwn } from "../../../src/worker/platforms/slack/outbound";
import { telegramHtml } from "../../../src/worker/platforms/telegram/outbound";

describe.each([
  [
    "telegram",
    telegramHtml,
    {
      inline:
        "<b>bold</b>, <i>italic</i>, <i>also</i>, <s>gone</s>, <code>a &lt; b</code> and <a " +
        'href="https://example.com/?a=1&amp;b=2">a link</a>',
      escaped: "1 &lt; 2 &amp;&amp; 3 &gt; 2 <code>&lt;tag&gt;</code>",
      block:
        '<b>Title</b>\n• one\n• <b>two</b>\n<blockquote>quoted\nlines</blockquote>\n<pre><code class="language-ts">const x = a ' +
        "&lt; b;\n// **not bold**</code></pre>\nafter",
      unclosed: 'streaming:\n<pre><code class="language-py">print(1)</code></pre>',
    },
  ],
  [
    "slack",
    slackMrkdwn,
    {
      inline: "*bold*, _italic_, _also_, ~gone~, `a &lt; b` and <https://example.com/?a=1&b=2|a link>",
      escaped: "1 &lt; 2 &amp;&amp; 3 &gt; 2 `&lt;tag&gt;`",
      block: "*Title*\n• one\n• *two*\n> quoted\n> lines\n```\nconst x = a &lt; b;\n// **not bold**\n```\nafter",
      unclosed: "streaming:\n```\nprint(1)\n```",
    },
  ],
])("%s", (_platform, style, expected) => {
  it("renders inline constructs", () => {
    expect(renderMarkdown("**bold**, *italic*, _also_, ~~gone~~, `a < b` and [a link](https://example.com/?a=1&b=2)", style)).toBe(
      expected.inline,
    );
  });

  it("escapes what the platform would read as markup", () => {
    expect(renderMarkdown("1 < 2 && 3 > 2 `<tag>`", style)).toBe(expected.escaped);
  });

  it("renders headings, lists, quotes and fenced code (whose content stays literal)", () => {
    const md = "# Title\n- one\n* **two**\n> quoted\n> lines\n```ts\nconst x = a < b;\n// **not bold**\n```\nafter";
    expect(renderMarkdown(md, style)).toBe(expected.block);
  });

  it("renders an unclosed fence (a reply still streaming) as code", () => {
    expect(renderMarkdown("streaming:\n```py\nprint(1)", style)).toBe(expected.unclosed);
  });

  it("leaves snake_case, lone stars and unmatched markers as written", () => {
    const text = "use snake_case_names, 2 * 3 * 4, and a **dangling marker";
    expect(renderMarkdown(text, style)).toBe(text);
  });
});

describe("tables", () => {
  const md = "Results:\n| Name | Score | Note |\n|:-----|------:|:---:|\n| **ada** | 9 | `ok` |\n| grace | 10 | a \\| b |\n\nafter";
  const aligned = ["Name   Score  Note", "-----  -----  -----", "ada        9   ok", "grace     10  a | b"].join("\n");

  it("renders a Markdown table as aligned columns in a Telegram <pre> block", () => {
    expect(renderMarkdown(md, telegramHtml)).toBe(`Results:\n<pre>${aligned}</pre>\n\nafter`);
  });

  it("renders it as a Slack code block", () => {
    expect(renderMarkdown(md, slackMrkdwn)).toBe(`Results:\n\`\`\`\n${aligned}\n\`\`\`\n\nafter`);
  });

  it("escapes the cells and leaves lines with a pipe but no separator alone", () => {
    expect(renderMarkdown("| a<b |\n|---|\n| x&y |", telegramHtml)).toBe("<pre>a&lt;b\n---\nx&amp;y</pre>");
    expect(renderMarkdown("a | b, not a table", telegramHtml)).toBe("a | b, not a table");
  });
});
