package dev.livepost.web.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.livepost.Config;
import dev.livepost.render.Render;
import dev.livepost.render.RenderOptions;
import dev.livepost.testing.TestApp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The static copy of a blog ({@code livepost render --server}) served by a plain static server on
 * another origin, in a real Chromium: the precomputed output and its figure show on first paint,
 * Run replaces them with live output from the Livepost server (CORS per {@code
 * LIVEPOST_ALLOWED_ORIGINS}), and Reset brings them back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StaticCopyIT {
    static final String POST =
            """
            ---
            title: Static
            date: 2026-01-02
            ---
            ::code-runner{id=hidden-data hidden}
            ```python
            greeting = "hello from the static copy"
            ```

            ::code-runner{id=hello setup=hidden-data}
            ```python
            import matplotlib.pyplot as plt
            print(greeting)
            plt.plot([3, 1, 2])
            plt.show()
            ```
            """;

    private Path posts;
    private Path data;
    private Path out;
    private HttpServer site;
    private TestApp livepost;
    private Browser browser;

    @BeforeAll
    void start() throws Exception {
        posts = Files.createTempDirectory("livepost-static-posts-");
        data = Files.createTempDirectory("livepost-static-data-");
        out = Files.createTempDirectory("livepost-static-site-");
        Files.writeString(posts.resolve("static.md"), POST);
        site = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String origin = "http://127.0.0.1:" + site.getAddress().getPort();
        livepost =
                TestApp.start(
                        posts,
                        Map.of("LIVEPOST_ALLOWED_ORIGINS", origin, "LIVEPOST_POOL_SIZE", "1"));

        var options =
                RenderOptions.parse(
                        List.of(
                                "--out", out.toString(),
                                "--server", livepost.base(),
                                "--posts", posts.toString(),
                                "--data", data.toString()));
        var config =
                Config.parse(
                        options.rest(),
                        Map.of("LIVEPOST_POOL_SIZE", "1"),
                        Path.of("").toAbsolutePath());
        var log = new ByteArrayOutputStream();
        int exit =
                new Render(
                                options,
                                config,
                                new PrintStream(log, true, StandardCharsets.UTF_8),
                                false)
                        .run();
        assertThat(exit).as(log.toString(StandardCharsets.UTF_8)).isZero();

        // Any static server will do; this one maps paths to files and knows four types.
        site.createContext(
                "/",
                ex -> {
                    Path file = out.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
                    if (!file.startsWith(out) || !Files.isRegularFile(file)) {
                        ex.sendResponseHeaders(404, -1);
                        ex.close();
                        return;
                    }
                    String name = file.getFileName().toString();
                    String type =
                            name.endsWith(".html")
                                    ? "text/html; charset=utf-8"
                                    : name.endsWith(".js")
                                            ? "text/javascript"
                                            : name.endsWith(".css")
                                                    ? "text/css"
                                                    : name.endsWith(".png")
                                                            ? "image/png"
                                                            : "application/octet-stream";
                    byte[] body = Files.readAllBytes(file);
                    ex.getResponseHeaders().set("Content-Type", type);
                    ex.sendResponseHeaders(200, body.length);
                    ex.getResponseBody().write(body);
                    ex.close();
                });
        site.start();
        browser = new Browser();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            site.stop(0);
            if (livepost != null) {
                livepost.close();
            }
            for (Path p : List.of(posts, data, out)) {
                TestApp.deleteRecursively(p);
            }
        }
    }

    @Test
    void theCopyShowsTheOutputAndRunsAgainstTheServer() {
        browser.driver.get(
                "http://127.0.0.1:" + site.getAddress().getPort() + "/posts/static.html");
        var js = (JavascriptExecutor) browser.driver;
        WebElement pre =
                browser.driver.findElement(By.cssSelector(".lp-precomputed pre.lp-stdout"));
        assertThat(pre.isDisplayed()).isTrue();
        assertThat(pre.getText()).isEqualTo("hello from the static copy");
        WebElement img = browser.driver.findElement(By.cssSelector(".lp-precomputed img.lp-image"));
        new WebDriverWait(browser.driver, Duration.ofSeconds(10))
                .until(d -> js.executeScript("return arguments[0].complete", img));
        assertThat(((Number) js.executeScript("return arguments[0].naturalWidth", img)).intValue())
                .isGreaterThan(100);
        browser.screenshot("static-copy-first-paint");

        var runner = new Runner(browser.driver, "static/hello");
        WebElement precomputed = runner.element.findElement(By.cssSelector(".lp-precomputed"));
        assertThat(runner.run()).isEqualTo("ok");
        assertThat(runner.outputText()).startsWith("hello from the static copy\n");
        assertThat(precomputed.isDisplayed()).isFalse();
        browser.screenshot("static-copy-after-run");

        runner.button("reset").click();
        runner.awaitState("idle");
        assertThat(precomputed.isDisplayed()).isTrue();
    }
}
