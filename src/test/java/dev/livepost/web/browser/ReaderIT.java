package dev.livepost.web.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jsoup.Jsoup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What a reader keeps and shares, and what the page costs before they do anything, in real Chromium
 * against the real server: edits that survive a reload, a link carrying edited code, {@code
 * input()} answered in the page, and a first paint without the editor.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReaderIT {
    private static final String FIB = TestServer.SLUG + "/fib";
    private static final int UPFRONT_SCRIPT_LIMIT = 60 * 1024;

    private TestServer server;
    private Browser browser;

    @BeforeAll
    void start() throws Exception {
        server = new TestServer(List.of());
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
        }
    }

    @BeforeEach
    void freshStorage() {
        browser.driver.get(server.postUrl());
        js().executeScript("localStorage.clear()");
        browser.driver.get(server.postUrl());
    }

    @Test
    void editsSurviveAReloadAndResetForgetsThem() {
        var fib = new Runner(browser.driver, FIB);
        String original = fib.code();
        assertThat(fib.markedEdited()).isFalse();
        typeOver(fib, "print('mine')");
        assertThat(fib.markedEdited()).isTrue();

        browser.driver.navigate().refresh();
        var again = new Runner(browser.driver, FIB);
        assertThat(again.code()).isEqualTo("print('mine')");
        assertThat(again.markedEdited()).isTrue();
        assertThat(new Runner(browser.driver, TestServer.SLUG + "/plot").markedEdited()).isFalse();
        assertThat(again.run()).isEqualTo("ok");
        assertThat(again.outputText()).isEqualTo("mine\n");

        again.button("reset").click();
        assertThat(again.code()).isEqualTo(original);
        assertThat(again.markedEdited()).isFalse();
        browser.driver.navigate().refresh();
        assertThat(new Runner(browser.driver, FIB).code()).isEqualTo(original);
    }

    @Test
    void aChangedPostDoesNotBringBackEditsOfItsOldCode() throws Exception {
        var file = server.posts().resolve("changing.md");
        String post =
                "---\ntitle: Changing\ndate: 2026-11-20\n---\n::code-runner{id=c}\n```python\n%s\n```\n";
        Files.writeString(file, post.formatted("print('version 1')"));
        String url = server.postUrl("changing");
        awaitCode(url, "changing/c", "print('version 1')");
        typeOver(new Runner(browser.driver, "changing/c"), "print('edited')");
        browser.driver.navigate().refresh();
        assertThat(new Runner(browser.driver, "changing/c").code()).isEqualTo("print('edited')");

        Files.writeString(file, post.formatted("print('version 2')"));

        var changed = awaitCode(url, "changing/c", "print('version 2')");
        assertThat(changed.markedEdited()).isFalse();
    }

    @Test
    void aLinkCarriesTheEditedCodeToAnotherReader() {
        grantClipboard();
        var fib = new Runner(browser.driver, FIB);
        typeOver(fib, "print('shared', 6 * 7)");
        fib.button("link").click();
        new WebDriverWait(browser.driver, Duration.ofSeconds(5))
                .until(d -> fib.button("link").getText().equals("Copied"));
        String link =
                (String)
                        js().executeAsyncScript(
                                        "const done = arguments[arguments.length - 1];"
                                                + " navigator.clipboard.readText().then(done, e =>"
                                                + " done('error ' + e));");
        URI uri = URI.create(link);
        assertThat(link).startsWith(server.postUrl() + "#lp=");
        assertThat(uri.getRawQuery()).isNull(); // the code is in the fragment only

        // Another reader: nothing stored, the link opened in a fresh page.
        js().executeScript("localStorage.clear()");
        browser.driver.get("about:blank");
        browser.driver.get(link);
        var opened = new Runner(browser.driver, FIB);
        assertThat(opened.code()).isEqualTo("print('shared', 6 * 7)");
        assertThat(opened.markedEdited()).isTrue();
        assertThat(opened.run()).isEqualTo("ok");
        assertThat(opened.outputText()).isEqualTo("shared 42\n");
        // The other runners keep the author's code.
        assertThat(new Runner(browser.driver, TestServer.SLUG + "/plot").code())
                .startsWith("import matplotlib");
    }

    @Test
    void inputIsAskedForInTheOutputAndEchoed() {
        var fib = new Runner(browser.driver, FIB);
        typeOver(fib, "name = input('Who? ')\nprint('hi', name)");
        fib.button("run").click();

        WebElement field = awaitInputField(fib);
        assertThat(fib.statusText()).contains("Waiting for input");
        field.sendKeys("Ada", Keys.ENTER);

        assertThat(fib.awaitFinished()).isEqualTo("ok");
        assertThat(fib.outputText()).isEqualTo("Who? Ada\nhi Ada\n");
        assertThat(fib.output().findElement(By.cssSelector(".lp-stdin")).getText())
                .isEqualTo("Ada");
        assertThat(fib.output().findElements(By.cssSelector(".lp-input"))).isEmpty();
    }

    @Test
    void ctrlDEndsTheInput() {
        var fib = new Runner(browser.driver, FIB);
        typeOver(fib, "import sys\nprint(repr(sys.stdin.read()))");
        fib.button("run").click();

        awaitInputField(fib).sendKeys("one", Keys.ENTER);
        WebElement second = awaitInputField(fib);
        new Actions(browser.driver)
                .click(second)
                .keyDown(Keys.CONTROL)
                .sendKeys("d")
                .keyUp(Keys.CONTROL)
                .perform();

        assertThat(fib.awaitFinished()).isEqualTo("ok");
        assertThat(fib.outputText()).endsWith("'one\\n'\n");
    }

    @Test
    void firstPaintCarriesNoEditorAndFocusLoadsIt() {
        // A cold load: nothing of the page in the browser's cache.
        browser.driver.executeCdpCommand("Network.enable", Map.of());
        browser.driver.executeCdpCommand("Network.clearBrowserCache", Map.of());
        browser.driver.get(server.postUrl());
        var fib = new Runner(browser.driver, FIB);
        Map<?, ?> paint = awaitPaintFigures();
        long scriptBytes = ((Number) paint.get("scriptBytes")).longValue();
        double fcp = ((Number) paint.get("fcp")).doubleValue();
        System.out.printf(
                "first paint: %d bytes of JavaScript (%d files), first contentful paint %.0f ms%n",
                scriptBytes, ((Number) paint.get("scripts")).intValue(), fcp);
        assertThat(scriptBytes).isPositive().isLessThanOrEqualTo(UPFRONT_SCRIPT_LIMIT);
        assertThat(fcp).isPositive();
        assertThat(fib.hasEditor()).isFalse();
        assertThat(resources()).noneMatch(n -> n.contains("livepost-editor-"));
        // The server's highlighting is there before any editor.
        assertThat(fib.element.findElements(By.cssSelector("pre.lp-plain .tok-keyword")))
                .isNotEmpty();

        // Run works at once, on the plain code.
        assertThat(fib.run()).isEqualTo("ok");
        fib.editor().click(); // focusing the code loads the editor
        assertThat(fib.hasEditor()).isTrue();
        assertThat(resources()).anyMatch(n -> n.contains("livepost-editor-"));
    }

    @Test
    void withoutJavaScriptThePageIsReadableAndHighlighted() throws Exception {
        HttpResponse<String> page = server.app.get("/posts/" + TestServer.SLUG);
        var doc = Jsoup.parse(page.body());
        var runnerCode = doc.selectFirst("code-runner[artifact=" + FIB + "] > pre > code");
        assertThat(runnerCode).isNotNull();
        assertThat(runnerCode.text()).startsWith("a, b = 0, 1");
        assertThat(runnerCode.select("span.tok-keyword").eachText()).contains("for", "in");
        var plain = doc.select("pre.lp-highlighted > code.language-python");
        assertThat(plain).isNotEmpty();
        assertThat(plain.last().select("span.tok-comment").text()).isEqualTo("# twice");

        browser.driver.executeCdpCommand(
                "Emulation.setScriptExecutionDisabled", Map.of("value", true));
        try {
            browser.driver.get(server.postUrl());
            WebElement runner =
                    browser.driver.findElement(
                            By.cssSelector("code-runner[artifact='" + FIB + "']"));
            assertThat(runner.getAttribute("class")).doesNotContain("lp-ready");
            WebElement keyword = runner.findElement(By.cssSelector(".tok-keyword"));
            assertThat(keyword.isDisplayed()).isTrue();
            // Coloured by the stylesheet alone.
            assertThat(keyword.getCssValue("color"))
                    .isNotEqualTo(runner.findElement(By.cssSelector("pre")).getCssValue("color"));
        } finally {
            browser.driver.executeCdpCommand(
                    "Emulation.setScriptExecutionDisabled", Map.of("value", false));
        }
    }

    @Test
    void hashedAssetsAreCachedForAYearThePlainNamesBriefly() throws Exception {
        var doc = Jsoup.parse(server.app.get("/posts/" + TestServer.SLUG).body());
        String script = doc.selectFirst("script[type=module]").attr("src");
        assertThat(script).matches("/assets/livepost\\.[0-9a-f]{10}\\.js");
        for (String css : doc.select("link[rel=stylesheet]").eachAttr("href")) {
            assertThat(css).matches("/assets/(site|livepost)\\.[0-9a-f]{10}\\.css");
        }
        var hashed = server.app.get(script);
        assertThat(hashed.statusCode()).isEqualTo(200);
        assertThat(hashed.headers().firstValue("Cache-Control"))
                .hasValue("public, max-age=31536000, immutable");
        assertThat(hashed.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
        var plain = server.app.get("/assets/livepost.js");
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo(hashed.body());
        assertThat(plain.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
        String etag = plain.headers().firstValue("ETag").orElseThrow();
        var revalidated =
                server.app.send(
                        server.app.request("/assets/livepost.js").header("If-None-Match", etag));
        assertThat(revalidated.statusCode()).isEqualTo(304);
        assertThat(server.app.get("/assets/nothing.js").statusCode()).isEqualTo(404);
    }

    private JavascriptExecutor js() {
        return browser.driver;
    }

    /** Selects all of the runner's code and types {@code code} over it, as a reader would. */
    private void typeOver(Runner runner, String code) {
        runner.editor().click();
        new Actions(browser.driver)
                .keyDown(Keys.CONTROL)
                .sendKeys("a")
                .keyUp(Keys.CONTROL)
                .sendKeys(Keys.DELETE)
                .perform();
        // Then the exact text through the component's `code` property: typing it would let the
        // editor's auto-indent and closing brackets reshape it.
        js().executeScript("arguments[0].code = arguments[1]", runner.element, code);
        assertThat(runner.code()).isEqualTo(code);
    }

    /** Reloads {@code url} until its runner shows {@code code} (the server re-read the post). */
    private Runner awaitCode(String url, String artifact, String code) {
        String selector = "code-runner.lp-ready[artifact='" + artifact + "']";
        return new WebDriverWait(browser.driver, Duration.ofSeconds(20))
                .until(
                        d -> {
                            d.get(url);
                            if (d.findElements(By.cssSelector(selector)).isEmpty()) {
                                return null; // not there yet
                            }
                            var r = new Runner(d, artifact);
                            return code.equals(r.code()) ? r : null;
                        });
    }

    private WebElement awaitInputField(Runner runner) {
        return new WebDriverWait(browser.driver, Runner.RUN_TIMEOUT)
                .withMessage(() -> "no input field; output: " + runner.outputText())
                .until(
                        d -> {
                            var f = runner.element.findElements(By.cssSelector(".lp-input-field"));
                            return !f.isEmpty() && f.get(0).equals(d.switchTo().activeElement())
                                    ? f.get(0)
                                    : null;
                        });
    }

    private void grantClipboard() {
        browser.driver.executeCdpCommand(
                "Browser.grantPermissions",
                Map.of(
                        "origin",
                        server.base,
                        "permissions",
                        List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
    }

    /** JavaScript downloaded so far (Resource Timing) and the first contentful paint. */
    private Map<?, ?> awaitPaintFigures() {
        return new WebDriverWait(browser.driver, Duration.ofSeconds(20))
                .until(
                        d ->
                                (Map<?, ?>)
                                        js().executeScript(
                                                        "const fcp ="
                                                                + " performance.getEntriesByName('first-contentful-paint')[0];"
                                                                + " if (!fcp) return null;"
                                                                + " const js ="
                                                                + " performance.getEntriesByType('resource').filter(r"
                                                                + " => r.name.endsWith('.js'));"
                                                                + " return {fcp: fcp.startTime,"
                                                                + " scripts: js.length, scriptBytes:"
                                                                + " js.reduce((n, r) => n +"
                                                                + " r.decodedBodySize, 0)};"));
    }

    @SuppressWarnings("unchecked")
    private List<String> resources() {
        return (List<String>)
                js().executeScript(
                                "return performance.getEntriesByType('resource').map(r =>"
                                        + " r.name);");
    }
}
