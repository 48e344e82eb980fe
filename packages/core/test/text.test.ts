import { describe, expect, it } from "vitest";
import {
  cleanText,
  escapeHtml,
  escapeSlackText,
  headerValue,
  linkableHttpUrl,
  truncateText,
} from "../src/text.js";

describe("cleanText", () => {
  it("removes C0 controls at both ends of their ranges, keeping tab and line feed", () => {
    expect(cleanText("a\u0000b\u0008c\td\ne\u000Bf\u000Cg\u001Fh")).toBe("abc\td\nefgh");
  });

  it("removes DEL and the C1 controls, keeping the printable characters around them", () => {
    expect(cleanText("~\u007F\u0080\u009F\u00A0é")).toBe("~\u00A0é");
  });

  it("removes the bidirectional marks and overrides that can disguise text", () => {
    const bidi = "\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069";
    expect(cleanText(`safe${bidi}.txt`)).toBe("safe.txt");
    // Neighbours of those ranges are ordinary characters.
    expect(cleanText("\u061B\u200D\u2010\u2029\u2065\u206A")).toBe("\u061B\u200D\u2010\u2029\u2065\u206A");
  });

  it("replaces each lone surrogate half with U+FFFD and keeps whole pairs", () => {
    expect(cleanText("😀")).toBe("😀");
    expect(cleanText("a\uD83Db")).toBe("a\uFFFDb");
    expect(cleanText("a\uDE00b")).toBe("a\uFFFDb");
    expect(cleanText("\uD83D")).toBe("\uFFFD");
    expect(cleanText("\uDE00\uD83D")).toBe("\uFFFD\uFFFD");
    expect(cleanText("x\uD83D\uD83D\uDE00")).toBe("x\uFFFD😀");
  });

  it("turns CR LF and lone CR into LF in multi-line text, keeping tabs", () => {
    expect(cleanText("a\r\nb\rc\nd\te")).toBe("a\nb\nc\nd\te");
    expect(cleanText("a\r\n\r\nb")).toBe("a\n\nb");
  });

  it("turns every kind of line break and each tab into one space with singleLine", () => {
    expect(cleanText("a\r\nb\rc\nd\u0085e\u2028f\u2029g\th", { singleLine: true })).toBe("a b c d e f g h");
    expect(cleanText("a\r\n\r\nb\t\tc", { singleLine: true })).toBe("a  b  c");
    expect(cleanText("a\r\nb", { singleLine: false })).toBe("a\nb");
  });
});

describe("truncateText", () => {
  it("returns text of at most max characters unchanged", () => {
    expect(truncateText("abcde", 5)).toBe("abcde");
    expect(truncateText("abc", 5)).toBe("abc");
    expect(truncateText("", 0)).toBe("");
  });

  it("cuts longer text to exactly max characters, the ellipsis included", () => {
    expect(truncateText("abcdef", 5)).toBe("abcd…");
    expect(truncateText("abcdef", 5, "...")).toBe("ab...");
    expect(truncateText("abcdef", 5, "")).toBe("abcde");
  });

  it("counts code points, so an emoji is neither split nor counted twice", () => {
    expect(truncateText("😀😀😀", 3)).toBe("😀😀😀");
    expect(truncateText("😀😀😀😀", 3)).toBe("😀😀…");
    expect(truncateText("abcdef", 4, "😀")).toBe("abc😀");
  });

  it("gives the ellipsis alone when max leaves no room for text", () => {
    expect(truncateText("abcdef", 2, "...")).toBe("...");
  });
});

describe("escapeSlackText", () => {
  it("escapes &, < and > so mentions and links show as text", () => {
    expect(escapeSlackText("<!channel> & <https://evil|click> > x")).toBe(
      "&lt;!channel&gt; &amp; &lt;https://evil|click&gt; &gt; x",
    );
    expect(escapeSlackText("a<b<c>>d&&e")).toBe("a&lt;b&lt;c&gt;&gt;d&amp;&amp;e");
  });

  it("cleans control characters first and keeps quotes and line breaks", () => {
    expect(escapeSlackText("\u202Ea\"'\r\nb")).toBe("a\"'\nb");
  });
});

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and attributes, each occurrence", () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;",
    );
    expect(escapeHtml("\"\"''<<>>&&")).toBe("&quot;&quot;&#39;&#39;&lt;&lt;&gt;&gt;&amp;&amp;");
  });

  it("cleans control characters first", () => {
    expect(escapeHtml("a\u0000b\u202Ec")).toBe("abc");
  });
});

describe("headerValue", () => {
  it("is one trimmed line with runs of white space collapsed", () => {
    expect(headerValue("  CVE-1 \r\n Bcc: evil@example.com\t\t x  ")).toBe("CVE-1 Bcc: evil@example.com x");
    expect(headerValue("a\u2028\u2029b\u0000c")).toBe("a bc");
    // NEL is a line break, not white space to \s: only the one-line cleaning makes it a space.
    expect(headerValue("a\u0085b")).toBe("a b");
  });
});

describe("linkableHttpUrl", () => {
  it("parses an absolute http or https URL", () => {
    expect(linkableHttpUrl("https://nvd.nist.gov/vuln/detail/CVE-2024-1")?.href).toBe(
      "https://nvd.nist.gov/vuln/detail/CVE-2024-1",
    );
    expect(linkableHttpUrl("http://example.com")?.href).toBe("http://example.com/");
  });

  it("cleans and trims the text before parsing", () => {
    expect(linkableHttpUrl("  https://exa\u202Emple.com/a\r\n")?.href).toBe("https://example.com/a");
    // The URL parser itself trims only ASCII white space, and silently drops line breaks inside.
    expect(linkableHttpUrl("\u00A0https://example.com/\u00A0")?.href).toBe("https://example.com/");
    expect(linkableHttpUrl("https://example.com/a\nb")?.href).toBe("https://example.com/a%20b");
  });

  it("refuses nothing, text that is no URL, and other schemes", () => {
    expect(linkableHttpUrl(undefined)).toBeUndefined();
    expect(linkableHttpUrl("")).toBeUndefined();
    expect(linkableHttpUrl("nvd.nist.gov/vuln")).toBeUndefined();
    expect(linkableHttpUrl("javascript:alert(1)")).toBeUndefined();
    expect(linkableHttpUrl("data:text/html,<b>x</b>")).toBeUndefined();
    expect(linkableHttpUrl("ftp://example.com/file")).toBeUndefined();
  });

  it("refuses a URL carrying a user name or a password", () => {
    expect(linkableHttpUrl("https://user@example.com/")).toBeUndefined();
    expect(linkableHttpUrl("https://:secret@example.com/")).toBeUndefined();
    expect(linkableHttpUrl("https://user:secret@example.com/")).toBeUndefined();
  });
});
