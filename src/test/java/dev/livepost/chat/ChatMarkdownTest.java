package dev.livepost.chat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Claude's Markdown rendered safe: formatting kept, markup and dangerous links not. */
class ChatMarkdownTest {
    @Test
    void keepsFormattingCodeTablesAndSafeLinks() {
        String html =
                ChatMarkdown.html(
                        "**bold** and `code`\n\n```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n"
                                + "| 1 | 2 |\n\n[docs](https://example.org/x)");

        assertThat(html)
                .contains("<strong>bold</strong>")
                .contains("<code>code</code>")
                .contains("<pre><code class=\"language-python\">print(1)")
                .contains("<td>1</td>")
                .contains(
                        "<a href=\"https://example.org/x\" rel=\"nofollow noopener noreferrer\">docs</a>");
    }

    @Test
    void markupScriptsImagesAndScriptLinksDoNotSurvive() {
        String html =
                ChatMarkdown.html(
                        "<script>alert(1)</script>\n\n<div class=lp-notice onclick=x()>hi</div>\n\n"
                                + "![pixel](https://tracker.example/p.png) "
                                + "[x](javascript:alert(1)) <img src=x onerror=alert(1)>");

        assertThat(html)
                .doesNotContain("<script")
                .doesNotContain("<div")
                .doesNotContain("<img")
                .doesNotContain("onclick=\"")
                .doesNotContain("href=\"javascript")
                .contains("&lt;script&gt;");
    }
}
