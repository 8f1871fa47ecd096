package dev.livepost.highlight;

import static org.assertj.core.api.Assertions.assertThat;

import org.jsoup.Jsoup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HighlighterTest {

    @Test
    void pythonTokensGetTheEditorsClasses() {
        String html =
                Highlighter.html(
                        "@cache\ndef fib(n):  # slow\n    return None if n < 0 else f'{n}' + \"x\" * 2.5e3\n",
                        "python");
        assertThat(html)
                .contains("<span class=\"tok-meta\">@cache</span>")
                .contains("<span class=\"tok-keyword\">def</span>")
                .contains("<span class=\"tok-variableName tok-definition\">fib</span>")
                .contains("<span class=\"tok-comment\"># slow</span>")
                .contains("<span class=\"tok-bool\">None</span>")
                .contains("<span class=\"tok-string\">f'{n}'</span>")
                .contains("<span class=\"tok-string\">&quot;x&quot;</span>")
                .contains("<span class=\"tok-number\">2.5e3</span>");
    }

    @Test
    void theTextIsUnchangedAndEscaped() {
        String code =
                "print('<script>alert(1)</script>' & \"\"\"\nmulti\n\"\"\")  # <b>\nx = 1 < 2 > 0";
        for (String lang : new String[] {"python", "js", "java", "sql", "bash", "cobol", null}) {
            String html = Highlighter.html(code, lang);
            assertThat(html).doesNotContain("<script>").doesNotContain("<b>");
            assertThat(Jsoup.parse("<pre>" + html + "</pre>").selectFirst("pre").wholeText())
                    .as(String.valueOf(lang))
                    .isEqualTo(code);
        }
    }

    @Test
    void otherLanguagesHaveTheirOwnCommentsAndKeywords() {
        assertThat(Highlighter.html("SELECT a -- why\nFROM t", "sql"))
                .contains("<span class=\"tok-keyword\">SELECT</span>")
                .contains("<span class=\"tok-comment\">-- why</span>");
        assertThat(Highlighter.html("const s = `a ${b}`; // c", "javascript"))
                .contains("<span class=\"tok-keyword\">const</span>")
                .contains("<span class=\"tok-string\">`a ${b}`</span>")
                .contains("<span class=\"tok-comment\">// c</span>");
        assertThat(Highlighter.html("echo \"$HOME\" # home", "sh"))
                .contains("<span class=\"tok-comment\"># home</span>");
        assertThat(Highlighter.knows("Python")).isTrue();
        assertThat(Highlighter.knows("brainfuck")).isFalse();
        assertThat(Highlighter.html("a <b>", "brainfuck")).isEqualTo("a &lt;b&gt;");
    }

    @Test
    @Timeout(60) // a guard against catastrophic backtracking, like commonmark's PathologicalTest
    void pathologicalInputNeitherOverflowsNorHangs() {
        // Long and unterminated strings, escapes and comments: the regexes are possessive or lazy
        // over single characters, so neither Java's recursive matcher nor backtracking bites.
        String big =
                "'"
                        + "\\'a".repeat(30_000)
                        + "\n\"\"\""
                        + "x\\".repeat(30_000)
                        + "\n/*"
                        + "*".repeat(30_000);
        for (String lang : new String[] {"python", "js", "java", "sql", "sh"}) {
            String html = Highlighter.html(big, lang);
            assertThat(Jsoup.parse("<pre>" + html + "</pre>").selectFirst("pre").wholeText())
                    .isEqualTo(big);
        }
    }
}
