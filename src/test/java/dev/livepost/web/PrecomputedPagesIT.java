package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.TestApp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server precomputes in the background: post pages (as served, so as a browser without
 * JavaScript shows them) and the feed carry the outputs, their files are served for good, and a
 * changed post gets a new output while the old one is deleted.
 */
class PrecomputedPagesIT {
    static final String POST =
            """
            ---
            title: Waves
            date: 2026-01-02
            ---
            ::code-runner{id=hello}
            ```python
            print("hello from the sandbox")
            ```

            ::code-runner{id=wave}
            ```python
            import matplotlib.pyplot as plt
            plt.plot([0, 1, 0, 1])
            plt.show()
            ```

            ::code-runner{id=rand precompute=false}
            ```python
            import random
            print(random.random())
            ```
            """;

    @TempDir Path posts;
    TestApp app;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(posts.resolve("waves.md"), POST);
        app =
                TestApp.start(
                        posts, Map.of("LIVEPOST_PRECOMPUTE", "true", "LIVEPOST_POOL_SIZE", "1"));
        assertThat(app.app().precomputer().awaitQuiet(Duration.ofSeconds(90))).isTrue();
    }

    @AfterEach
    void stop() {
        app.close();
    }

    Document page() throws Exception {
        HttpResponse<String> r = app.get("/posts/waves");
        assertThat(r.statusCode()).isEqualTo(200);
        return Jsoup.parse(r.body());
    }

    static Element output(Document doc, String id) {
        return doc.selectFirst(
                "code-runner[artifact=waves/" + id + "] > div.lp-precomputed[data-precomputed]");
    }

    @Test
    void thePageShowsTheOutputsWithoutScriptAndServesTheFigure() throws Exception {
        Document doc = page();
        assertThat(output(doc, "hello").selectFirst("pre.lp-stdout").wholeText())
                .isEqualTo("hello from the sandbox\n");
        assertThat(output(doc, "hello").attr("data-status")).isEqualTo("ok");
        assertThat(output(doc, "rand")).isNull();
        // The output follows the code, inside the runner, so the component can hide it on Run.
        Element runner = doc.selectFirst("code-runner[artifact=waves/hello]");
        assertThat(runner.child(0).tagName()).isEqualTo("pre");
        assertThat(runner.child(1).hasClass("lp-precomputed")).isTrue();

        String src = output(doc, "wave").selectFirst("img.lp-image").attr("src");
        assertThat(src).matches("/precomputed/[0-9a-f]{32}/1-figure-1\\.png");
        var img = app.send(app.request(src).GET());
        assertThat(img.statusCode()).isEqualTo(200);
        assertThat(img.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(img.headers().firstValue("Cache-Control"))
                .hasValue("public, max-age=31536000, immutable");
        assertThat(img.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(app.get(src.replace("1-figure-1.png", "output.json")).statusCode())
                .isEqualTo(404);
        assertThat(app.get("/precomputed/../../etc/passwd").statusCode()).isIn(400, 404);
        assertThat(app.get("/precomputed/not-a-key/x.png").statusCode()).isEqualTo(404);

        String feed = app.get("/feed.xml").body();
        assertThat(feed)
                .contains("hello from the sandbox")
                .contains(app.base() + src); // absolute: feed readers need it
    }

    @Test
    void aChangedPostGetsANewOutputAndTheOldOneIsDeleted() throws Exception {
        Path store = app.data().resolve("precomputed");
        long before;
        try (Stream<Path> entries = Files.list(store)) {
            before = entries.count();
        }
        assertThat(before).isEqualTo(2); // hello and wave; rand is not precomputed
        String oldKey =
                app.app()
                        .precomputer()
                        .key(app.app().blog().artifact("waves/hello").orElseThrow())
                        .orElseThrow();

        Files.writeString(
                posts.resolve("waves.md"),
                POST.replace("hello from the sandbox", "hello again, changed"));
        PostReloadIT.afterACheck();
        assertThat(app.get("/posts/waves").body()).contains("hello again, changed");
        assertThat(app.app().precomputer().awaitQuiet(Duration.ofSeconds(90))).isTrue();

        assertThat(output(page(), "hello").selectFirst("pre.lp-stdout").wholeText())
                .isEqualTo("hello again, changed\n");
        assertThat(store.resolve(oldKey)).doesNotExist();
        try (Stream<Path> entries = Files.list(store)) {
            assertThat(entries.count()).isEqualTo(2);
        }
    }
}
