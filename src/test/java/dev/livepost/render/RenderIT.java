package dev.livepost.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code livepost render} end to end: real posts, the real local sandbox, files on disk, the
 * written HTML read back with jsoup the way a browser without JavaScript would show it.
 */
class RenderIT {
    static final String CHAIN =
            """
            ---
            title: Chain
            date: 2026-01-02
            tags: [demo]
            ---
            Setup runs in order, and hidden setup is not shown.

            ::code-runner{id=a hidden}
            ```python
            order = ["a"]
            ```

            ::code-runner{id=b setup=a hidden}
            ```python
            order.append("b")
            ```

            ::code-runner{id=c setup=b title="Order"}
            ```python
            order.append("c")
            print(order)
            ```

            ::code-runner{id=plot}
            ```python
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            plt.plot([1, 2, 3])
            plt.savefig("line.png")
            with open("data.csv", "w") as f:
                f.write("x\\n1\\n")
            print("saved")
            ```

            ::code-runner{id=table}
            ```python
            import pandas as pd
            pd.DataFrame({"a": [1, 2], "b": ["<script>x</script>", "y"]})
            ```

            ::code-runner{id=boom}
            ```python
            print("before")
            raise ValueError("nope")
            ```

            ::code-runner{id=rand precompute=false}
            ```python
            import random
            print(random.random())
            ```

            ::code-runner{id=ask mode=prompt}
            ```
            Roll two dice.
            ```
            """;

    @TempDir Path posts;
    @TempDir Path data;
    @TempDir Path out;

    record Rendered(int exit, String log) {}

    Rendered render(String... flags) throws Exception {
        var args = new ArrayList<>(List.of("--out", out.toString(), "--posts", posts.toString()));
        args.addAll(List.of("--data", data.toString()));
        args.addAll(List.of(flags));
        var options = RenderOptions.parse(args);
        var config =
                Config.parse(
                        options.rest(),
                        Map.of("LIVEPOST_POOL_SIZE", "1", "LIVEPOST_PRECOMPUTE_CONCURRENCY", "2"),
                        Path.of("").toAbsolutePath());
        var log = new ByteArrayOutputStream();
        int exit;
        try (var print = new PrintStream(log, true, StandardCharsets.UTF_8)) {
            exit = new Render(options, config, print, false).run();
        }
        return new Rendered(exit, log.toString(StandardCharsets.UTF_8));
    }

    Document page(String file) throws Exception {
        return Jsoup.parse(out.resolve(file).toFile(), "UTF-8");
    }

    static Element output(Document doc, String artifact) {
        return doc.selectFirst("code-runner[artifact=" + artifact + "] > .lp-precomputed");
    }

    @Test
    void theSiteShowsEveryOutputWithItsFilesAndOnlyRelativeLinks() throws Exception {
        Files.writeString(posts.resolve("chain.md"), CHAIN);
        Rendered r = render();
        assertThat(r.exit()).as(r.log()).isZero();
        assertThat(r.log()).contains("precomputing 4 of 4 artifacts");

        Document doc = page("posts/chain.html");
        // Setup chain order: a, then b, then the code itself. Hidden artifacts are not shown.
        assertThat(output(doc, "chain/c").selectFirst("pre.lp-stdout").wholeText())
                .isEqualTo("['a', 'b', 'c']\n");
        assertThat(output(doc, "chain/c").selectFirst(".lp-precomputed-caption").text())
                .startsWith("Output from ");
        assertThat(doc.select("code-runner").eachAttr("artifact"))
                .containsExactly(
                        "chain/c",
                        "chain/plot",
                        "chain/table",
                        "chain/boom",
                        "chain/rand",
                        "chain/ask");
        assertThat(doc.html()).doesNotContain("order = [").doesNotContain("livepost-output");

        // A figure as an image served from the copy, and a file as a link.
        Element plot = output(doc, "chain/plot");
        Element img = plot.selectFirst("img.lp-image[alt=line.png]");
        assertThat(img.attr("src")).startsWith("../precomputed/").endsWith("-line.png");
        Path png = out.resolve("posts").resolve(img.attr("src")).normalize();
        assertThat(Files.readAllBytes(png)).startsWith(0x89, 'P', 'N', 'G');
        Element csv =
                plot.select("a.lp-file-link").stream()
                        .filter(a -> a.text().equals("data.csv"))
                        .findFirst()
                        .orElseThrow();
        assertThat(Files.readString(out.resolve("posts").resolve(csv.attr("href")).normalize()))
                .isEqualTo("x\n1\n");

        // A DataFrame as a table, sanitized.
        Element table = output(doc, "chain/table").selectFirst(".lp-display-html table");
        assertThat(table).isNotNull();
        assertThat(output(doc, "chain/table").select("script")).isEmpty();

        // A failure is shown as one.
        Element boom = output(doc, "chain/boom");
        assertThat(boom.attr("data-status")).isEqualTo("error");
        assertThat(boom.selectFirst("pre.lp-stdout").wholeText()).isEqualTo("before\n");
        assertThat(boom.selectFirst("pre.lp-stderr").wholeText()).contains("ValueError: nope");
        assertThat(boom.selectFirst(".lp-precomputed-status").text())
                .isEqualTo("The code ended with an error.");
        assertThat(r.log()).contains("warning: " + posts.resolve("chain.md") + ":");

        // precompute=false, and prompts without --with-anthropic: the code only.
        assertThat(output(doc, "chain/rand")).isNull();
        assertThat(output(doc, "chain/ask")).isNull();

        // Every page, tag page and the feed are there, and every local link resolves to a file.
        for (String f :
                List.of("index.html", "tags.html", "tags/demo.html", "404.html", "feed.xml")) {
            assertThat(out.resolve(f)).isRegularFile();
        }
        assertThat(Files.readString(out.resolve("feed.xml")))
                .contains("lp-precomputed")
                .contains("precomputed/" + png.getParent().getFileName() + "/" + png.getFileName());
        try (Stream<Path> files = Files.walk(out)) {
            for (Path html : files.filter(p -> p.toString().endsWith(".html")).toList()) {
                Document d = Jsoup.parse(html.toFile(), "UTF-8");
                for (Element e : d.select("[href], [src]")) {
                    String link = e.hasAttr("href") ? e.attr("href") : e.attr("src");
                    assertThat(link).as(html + ": " + e).doesNotStartWith("/");
                    if (!link.startsWith("#") && !link.contains("://")) {
                        Path target = html.getParent().resolve(link.replaceAll("[#?].*", ""));
                        assertThat(target.normalize()).as(html + ": " + link).isRegularFile();
                    }
                }
            }
        }
        // No --server: the runners talk to the page's own origin.
        assertThat(doc.select("code-runner[server]")).isEmpty();
    }

    @Test
    void unchangedCodeIsNotRunAgainAndChangedCodeIs() throws Exception {
        Path file = posts.resolve("chain.md");
        Files.writeString(file, CHAIN);
        assertThat(render().exit()).isZero();
        String firstCaption =
                output(page("posts/chain.html"), "chain/c").selectFirst("time").attr("datetime");

        Rendered again = render("--server", "https://live.example");
        assertThat(again.log()).contains("precomputing 0 of 4 artifacts (4 unchanged");
        Document doc = page("posts/chain.html");
        assertThat(output(doc, "chain/c").selectFirst("time").attr("datetime"))
                .isEqualTo(firstCaption);
        assertThat(doc.select("code-runner").eachAttr("server"))
                .containsOnly("https://live.example");

        // Changing a hidden setup changes the output of the artifact that names it.
        Files.writeString(file, CHAIN.replace("order.append(\"b\")", "order.append(\"B\")"));
        Rendered changed = render();
        assertThat(changed.log()).contains("precomputing 1 of 4 artifacts (3 unchanged");
        assertThat(
                        output(page("posts/chain.html"), "chain/c")
                                .selectFirst("pre.lp-stdout")
                                .wholeText())
                .isEqualTo("['a', 'B', 'c']\n");
    }

    @Test
    void malformedDirectivesAndStrictFailuresFailTheRenderWithFileAndLine() throws Exception {
        Files.writeString(posts.resolve("chain.md"), CHAIN);
        Files.writeString(
                posts.resolve("bad.md"),
                """
                ---
                title: Bad
                date: 2026-01-03
                ---

                ::code-runner{colour=red}
                ```python
                print(1)
                ```

                ::code-runner{id=lonely hidden}
                ```python
                x = 1
                ```
                """);
        Rendered r = render();
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.log())
                .contains("livepost render: 2 failure(s):")
                .contains("  " + posts.resolve("bad.md") + ":6: unknown attribute 'colour'")
                .contains("  " + posts.resolve("bad.md") + ":11: hidden artifact 'lonely'");

        Files.delete(posts.resolve("bad.md"));
        Rendered strict = render("--strict");
        assertThat(strict.exit()).isEqualTo(1);
        assertThat(strict.log())
                .contains("livepost render: 1 failure(s):")
                .containsPattern(
                        "  "
                                + java.util.regex.Pattern.quote(
                                        posts.resolve("chain.md").toString())
                                + ":\\d+: artifact chain/boom did not precompute cleanly: error in");
        assertThat(render().exit()).isZero(); // the same without --strict

        assertThatThrownBy(() -> render("--with-anthropic"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        "--with-anthropic precomputes prompt artifacts, which needs"
                                + " --executor anthropic");
    }
}
