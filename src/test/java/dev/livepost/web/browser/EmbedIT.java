package dev.livepost.web.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A runner embedded on another site: a page from a second tiny HTTP server (another origin) loads
 * the script from Livepost and runs an artifact through {@code server=}. Only the origins in {@code
 * LIVEPOST_ALLOWED_ORIGINS} may do so.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmbedIT {
    private HttpServer allowedSite;
    private HttpServer otherSite;
    private TestServer server;
    private Browser browser;

    @BeforeAll
    void start() throws Exception {
        allowedSite = site();
        otherSite = site();
        server = new TestServer(List.of(origin(allowedSite)));
        String page = page(server.base);
        for (HttpServer s : List.of(allowedSite, otherSite)) {
            s.createContext(
                    "/",
                    ex -> {
                        byte[] body = page.getBytes(StandardCharsets.UTF_8);
                        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                        ex.sendResponseHeaders(200, body.length);
                        ex.getResponseBody().write(body);
                        ex.close();
                    });
            s.start();
        }
        browser = new Browser();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
            allowedSite.stop(0);
            otherSite.stop(0);
        }
    }

    @Test
    void runnerOnAnAllowedSiteRunsAgainstTheServer() {
        browser.driver.get(origin(allowedSite) + "/");
        var runner = new Runner(browser.driver, TestServer.SLUG + "/fib");

        assertThat(runner.run()).isEqualTo("ok");

        assertThat(runner.outputText()).startsWith("0\n1\n1\n2\n3\n5\n").endsWith("233\n377\n");
        browser.screenshot("embed-after-run");
    }

    @Test
    void otherSitesCanNeitherLoadTheScriptNorCallTheApi() {
        browser.driver.get(origin(otherSite) + "/");
        var js = (JavascriptExecutor) browser.driver;
        new WebDriverWait(browser.driver, Duration.ofSeconds(10))
                .until(d -> js.executeScript("return document.readyState === 'complete'"));

        // The module script was refused (no CORS header for this origin): the code stays a
        // plain block.
        WebElement runner = browser.driver.findElement(By.cssSelector("code-runner"));
        assertThat(runner.getAttribute("class")).doesNotContain("lp-ready");
        assertThat(runner.findElement(By.cssSelector("pre")).getText()).startsWith("a, b = 0, 1");
        // And so is the API, while the same request from the allowed site goes through.
        String create =
                "const done = arguments[arguments.length - 1];"
                        + " fetch(arguments[0] + '/api/sessions', {method: 'POST',"
                        + " headers: {'Content-Type': 'application/json'},"
                        + " body: JSON.stringify({artifact: arguments[1]})})"
                        + ".then(r => done('status ' + r.status), e => done('refused ' + e.name));";
        String artifact = TestServer.SLUG + "/fib";
        assertThat(js.executeAsyncScript(create, server.base, artifact))
                .isEqualTo("refused TypeError");
        browser.driver.get(origin(allowedSite) + "/");
        assertThat(js.executeAsyncScript(create, server.base, artifact)).isEqualTo("status 201");
    }

    private static HttpServer site() throws IOException {
        return HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    }

    private static String origin(HttpServer site) {
        return "http://127.0.0.1:" + site.getAddress().getPort();
    }

    private static String page(String livepost) {
        return """
                <!doctype html>
                <html lang="en">
                <head>
                  <meta charset="utf-8">
                  <title>Someone else's blog</title>
                  <link rel="stylesheet" href="%1$s/assets/livepost.css" crossorigin>
                  <script type="module" src="%1$s/assets/livepost.js"></script>
                </head>
                <body>
                  <h1>Embedded runner</h1>
                  <code-runner server="%1$s" artifact="%2$s/fib" lang="python" mode="code">
                    <pre><code class="language-python">a, b = 0, 1
                for _ in range(15):
                    print(a)
                    a, b = b, a + b</code></pre>
                  </code-runner>
                </body>
                </html>
                """
                .formatted(livepost, TestServer.SLUG);
    }
}
