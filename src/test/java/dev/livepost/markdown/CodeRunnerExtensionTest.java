package dev.livepost.markdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.commonmark.Extension;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.CustomBlock;
import org.commonmark.node.Node;
import org.commonmark.parser.IncludeSourceSpans;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.junit.jupiter.api.Test;

class CodeRunnerExtensionTest {
    private static final List<Extension> EXTENSIONS =
            List.of(CodeRunnerExtension.builder().slug("post").build());
    private static final Parser PARSER =
            Parser.builder()
                    .extensions(EXTENSIONS)
                    .includeSourceSpans(IncludeSourceSpans.BLOCKS)
                    .build();
    private static final HtmlRenderer RENDERER =
            HtmlRenderer.builder().extensions(EXTENSIONS).build();

    static String render(String markdown) {
        return RENDERER.render(PARSER.parse(markdown));
    }

    static List<CodeRunnerBlock> blocks(String markdown) {
        var out = new ArrayList<CodeRunnerBlock>();
        PARSER.parse(markdown)
                .accept(
                        new AbstractVisitor() {
                            @Override
                            public void visit(CustomBlock b) {
                                if (b instanceof CodeRunnerBlock c) {
                                    out.add(c);
                                }
                                visitChildren(b);
                            }
                        });
        return out;
    }

    @Test
    void leafDirectiveWrapsTheFollowingCodeBlock() {
        assertThat(
                        render(
                                """
                                Some text.

                                ::code-runner{id=fib title="Fibonacci"}
                                ```python
                                a, b = 0, 1
                                print(a < b)
                                ```
                                """))
                .isEqualTo(
                        """
                        <p>Some text.</p>
                        <code-runner artifact="post/fib" lang="python" mode="code" title="Fibonacci"><pre><code class="language-python">a, b = <span class="tok-number">0</span>, <span class="tok-number">1</span>
                        print(a &lt; b)
                        </code></pre>
                        <!--livepost-output:fib-->
                        </code-runner>
                        """);
    }

    @Test
    void containerFormHoldsOneCodeBlock() {
        assertThat(
                        render(
                                """
                                :::code-runner{#hello readonly}
                                ```
                                print("hi")
                                ```
                                :::

                                After.
                                """))
                .isEqualTo(
                        """
                        <code-runner artifact="post/hello" lang="python" mode="code" readonly=""><pre><code class="language-python">print(<span class="tok-string">&quot;hi&quot;</span>)
                        </code></pre>
                        <!--livepost-output:hello-->
                        </code-runner>
                        <p>After.</p>
                        """);
    }

    @Test
    void everyAttributeIsCarriedAndEscaped() {
        String html =
                render(
                        """
                        ::code-runner{id=a title='Say "hi" & <bye>' mode=prompt skills="pdf, xlsx" timeout=10 lang=r}
                        ```text
                        Make a PDF.
                        ```

                        ::code-runner{setup=a}
                        ```python
                        x = 1
                        ```
                        """);
        assertThat(html)
                .contains(
                        "<code-runner artifact=\"post/a\" lang=\"r\" mode=\"prompt\""
                                + " title=\"Say &quot;hi&quot; &amp; &lt;bye&gt;\""
                                + " skills=\"pdf,xlsx\" timeout=\"10\">"
                                + "<pre><code class=\"language-r\">Make a PDF.\n</code></pre>")
                .contains(
                        "<code-runner artifact=\"post/2\" lang=\"python\" mode=\"code\""
                                + " setup=\"a\">");
    }

    @Test
    void defaultsFollowTheContract() {
        var blocks =
                blocks(
                        """
                        ::code-runner
                        ```js
                        1
                        ```

                        ::code-runner{id=named}
                        ```
                        2
                        ```

                        ::code-runner{timeout=9999}
                        ```python {.numbered}
                        3
                        ```
                        """);
        assertThat(blocks)
                .extracting(
                        CodeRunnerBlock::getId,
                        CodeRunnerBlock::getLang,
                        CodeRunnerBlock::getTimeoutSeconds,
                        CodeRunnerBlock::getLine,
                        CodeRunnerBlock::getError)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("1", "javascript", null, 1, null),
                        org.assertj.core.groups.Tuple.tuple("named", "python", null, 6, null),
                        org.assertj.core.groups.Tuple.tuple("3", "python", 9999, 11, null));
        assertThat(blocks.get(2).getCode()).isEqualTo("3\n");
    }

    @Test
    void codeArtifactsAreInARunnableLanguageByOneName() {
        var blocks =
                blocks(
                        """
                        ::code-runner{id=a}
                        ```sh
                        echo 1
                        ```

                        ::code-runner{id=b lang=SQLite}
                        ```
                        select 1
                        ```

                        ::code-runner{id=c}
                        ```ruby
                        puts 1
                        ```

                        ::code-runner{id=d setup=a}
                        ```python
                        print(1)
                        ```

                        ::code-runner{id=e mode=prompt lang=r}
                        ```text
                        Plot it.
                        ```
                        """);
        assertThat(blocks)
                .extracting(CodeRunnerBlock::getId, CodeRunnerBlock::getLang)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("a", "bash"),
                        org.assertj.core.groups.Tuple.tuple("b", "sql"),
                        org.assertj.core.groups.Tuple.tuple("c", "ruby"),
                        org.assertj.core.groups.Tuple.tuple("d", "python"),
                        org.assertj.core.groups.Tuple.tuple("e", "r"));
        assertThat(blocks.get(2).getError())
                .isEqualTo(
                        "lang=ruby cannot run: a code artifact is in python, javascript, bash,"
                                + " sql or java (or js, sh, sqlite, py)");
        assertThat(blocks.get(3).getError())
                .isEqualTo("setup='a' names an artifact in lang=bash, not lang=python");
        assertThat(blocks.get(4).getError()).isNull();
    }

    @Test
    void plainCodeBlocksAreHighlightedOnTheServer() {
        assertThat(render("```python\nx = 1\n```\n"))
                .isEqualTo(
                        "<pre class=\"lp-highlighted\"><code class=\"language-python\">x ="
                                + " <span class=\"tok-number\">1</span>\n</code></pre>\n");
        assertThat(render("```\nx = 1\n```\n")).isEqualTo("<pre><code>x = 1\n</code></pre>\n");
    }

    @Test
    void otherDirectivesAreNotOurs() {
        assertThat(render("::code-runners{x}\n\n::youtube{id=1}\n"))
                .isEqualTo("<p>::code-runners{x}</p>\n<p>::youtube{id=1}</p>\n");
    }

    @Test
    void colonsInsideTheCodeDoNotCloseTheContainer() {
        var blocks =
                blocks(
                        """
                        :::code-runner
                        ```python
                        d = {"a": 1}
                        :::
                        ```
                        :::
                        """);
        assertThat(blocks).hasSize(1);
        assertThat(blocks.get(0).getError()).isNull();
        assertThat(blocks.get(0).getCode()).isEqualTo("d = {\"a\": 1}\n:::\n");
    }

    @Test
    void malformedDirectivesBecomeVisibleErrors() {
        String html =
                render(
                        """
                        ::code-runner{title="oops}
                        ```python
                        print(1)
                        ```
                        """);
        assertThat(html)
                .isEqualTo(
                        """
                        <div class="directive-error" role="alert"><strong>code-runner, line 1:</strong> the value of 'title' has no closing &quot;</div>
                        <pre><code class="language-python">print(<span class="tok-number">1</span>)
                        </code></pre>
                        """);
    }

    @Test
    void eachKindOfMistakeHasItsMessage() {
        assertThat(error("::code-runner{colour=red}\n```\nx\n```\n"))
                .startsWith("unknown attribute 'colour'");
        assertThat(error("::code-runner{timeout=soon}\n```\nx\n```\n"))
                .startsWith("timeout must be a whole number");
        assertThat(error("::code-runner{timeout=0}\n```\nx\n```\n"))
                .startsWith("timeout must be a whole number");
        assertThat(error("::code-runner{mode=shell}\n```\nx\n```\n"))
                .startsWith("mode must be 'code' or 'prompt'");
        assertThat(error("::code-runner{id=\"a b\"}\n```\nx\n```\n"))
                .startsWith("id must be letters");
        assertThat(error("::code-runner{title}\n```\nx\n```\n")).startsWith("title needs a value");
        assertThat(error("::code-runner{id=a id=b}\n```\nx\n```\n"))
                .isEqualTo("attribute 'id' is given twice");
        assertThat(error("::code-runner\n\nJust prose.\n"))
                .startsWith("::code-runner must be followed directly by a fenced code block");
        assertThat(error("::code-runner\n    indented code\n"))
                .startsWith("::code-runner must be followed directly by a fenced code block");
        assertThat(error("::code-runner{setup=nope}\n```\nx\n```\n"))
                .isEqualTo("setup='nope' names no artifact of this post");
        assertThat(error("::code-runner{id=me setup=me}\n```\nx\n```\n"))
                .isEqualTo("setup='me' names this artifact itself");
        assertThat(error("::code-runner[Label]\n```\nx\n```\n"))
                .startsWith("labels ([...]) are not supported");
        assertThat(error("::code-runner{id=a} trailing\n```\nx\n```\n"))
                .startsWith("unexpected text after the directive: 'trailing'");
        assertThat(error(":::code-runner\n```\nx\n```\n\nmore prose\n"))
                .startsWith("this :::code-runner is never closed");
        assertThat(error(":::code-runner\nprose\n\n```\nx\n```\n:::\n"))
                .startsWith("a :::code-runner container must hold exactly one fenced code block");
    }

    @Test
    void duplicateIdsAreReportedOnTheSecond() {
        var blocks =
                blocks("::code-runner{id=x}\n```\n1\n```\n\n::code-runner{id=x}\n```\n2\n```\n");
        assertThat(blocks.get(0).getError()).isNull();
        assertThat(blocks.get(1).getError()).isEqualTo("duplicate id 'x' (also used on line 1)");
        assertThat(blocks.get(1).getLine()).isEqualTo(6);
    }

    @Test
    void aDefaultIdCanCollideWithAnExplicitOne() {
        var blocks = blocks("::code-runner{id=2}\n```\n1\n```\n\n::code-runner\n```\n2\n```\n");
        assertThat(blocks.get(1).getError()).startsWith("duplicate id '2'");
    }

    @Test
    void nestedDirectivesAreErrorsAndKeepTheirContent() {
        String md =
                """
                :::code-runner{id=outer}
                ::code-runner{id=inner}
                ```python
                print("inner")
                ```
                :::
                """;
        var blocks = blocks(md);
        assertThat(blocks).extracting(CodeRunnerBlock::getId).containsExactly("outer", "inner");
        assertThat(blocks.get(1).getError()).contains("cannot be nested");
        assertThat(blocks.get(0).getError()).isNotNull();
        String html = render(md);
        assertThat(html).contains("&quot;inner&quot;").doesNotContain("<code-runner");
    }

    @Test
    void nestedContainersCloseInnermostFirst() {
        var blocks =
                blocks(
                        """
                        ::::code-runner{id=outer}
                        :::code-runner{id=inner}
                        ```
                        x
                        ```
                        :::
                        ::::

                        After.
                        """);
        assertThat(blocks).hasSize(2);
        assertThat(blocks.get(1).getError()).contains("cannot be nested");
        assertThat(render("::::code-runner\n:::code-runner\n```\nx\n```\n:::\n::::\n\nAfter.\n"))
                .endsWith("<p>After.</p>\n");
    }

    @Test
    void crlfAndIndentationUpToThreeSpaces() {
        var blocks = blocks("   ::code-runner{id=w}\r\n```python\r\nprint(1)\r\n```\r\n");
        assertThat(blocks).hasSize(1);
        assertThat(blocks.get(0).getError()).isNull();
        assertThat(blocks.get(0).getCode()).isEqualTo("print(1)\n");
        assertThat(render("    ::code-runner\n")).startsWith("<pre><code>::code-runner");
    }

    @Test
    void aHiddenArtifactIsNotShownButRunsAsSetup() {
        String md =
                """
                ::code-runner{id=data hidden}
                ```python
                secret = 42
                ```

                ::code-runner{id=show setup=data}
                ```python
                print(secret)
                ```
                """;
        var blocks = blocks(md);
        assertThat(blocks).extracting(CodeRunnerBlock::getError).containsOnlyNulls();
        assertThat(blocks.get(0).isHidden()).isTrue();
        assertThat(render(md))
                .isEqualTo(
                        """
                        <code-runner artifact="post/show" lang="python" mode="code" setup="data"><pre><code class="language-python">print(secret)
                        </code></pre>
                        <!--livepost-output:show-->
                        </code-runner>
                        """);
    }

    @Test
    void aHiddenArtifactNobodyNamesIsAVisibleError() {
        String md = "::code-runner{id=lost hidden}\n```\nx = 1\n```\n";
        assertThat(error(md))
                .isEqualTo(
                        "hidden artifact 'lost' is named by no setup=, so it would never run (name"
                                + " it in another artifact's setup=, or drop hidden)");
        assertThat(render(md))
                .startsWith(
                        "<div class=\"directive-error\" role=\"alert\"><strong>code-runner, line 1:")
                .contains("<pre><code>x = 1");
        // Named only by an artifact that is itself broken still counts as named by nobody.
        assertThat(
                        blocks(
                                        "::code-runner{id=h hidden}\n```\n1\n```\n\n"
                                                + "::code-runner{setup=h colour=red}\n```\n2\n```\n")
                                .get(0)
                                .getError())
                .startsWith("hidden artifact 'h' is named by no setup=");
    }

    @Test
    void precomputeFalseLeavesNoPlaceForAnOutput() {
        var blocks = blocks("::code-runner{id=r precompute=false}\n```\nimport random\n```\n");
        assertThat(blocks.get(0).isPrecompute()).isFalse();
        assertThat(blocks("::code-runner\n```\n1\n```\n").get(0).isPrecompute()).isTrue();
        assertThat(render("::code-runner{id=r precompute=false}\n```\nimport random\n```\n"))
                .doesNotContain("livepost-output");
        assertThat(error("::code-runner{precompute=later}\n```\nx\n```\n"))
                .isEqualTo(
                        "precompute is a flag: write 'precompute' (or precompute=true|false), not"
                                + " precompute='later'");
        assertThat(error("::code-runner{hidden=yes}\n```\nx\n```\n"))
                .startsWith("hidden is a flag");
    }

    private static String error(String markdown) {
        var blocks = blocks(markdown);
        assertThat(blocks).isNotEmpty();
        return blocks.get(0).getError();
    }

    static Node parse(String markdown) {
        return PARSER.parse(markdown);
    }
}
