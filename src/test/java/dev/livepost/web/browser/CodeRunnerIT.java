package dev.livepost.web.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.testing.Adversarial;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The {@code <code-runner>} component in a real Chromium against the real server and the real local
 * sandbox: what a reader of a post does with it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CodeRunnerIT {
    private static final String FIB = TestServer.SLUG + "/fib";
    private static final String PLOT = TestServer.SLUG + "/plot";
    private static final String FIB_OUTPUT =
            IntStream.of(0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377)
                    .mapToObj(Integer::toString)
                    .collect(Collectors.joining("\n", "", "\n"));

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
    void openPost() {
        browser.driver.manage().window().setSize(new Dimension(1200, 1000));
        // Edits survive a reload (localStorage): each test starts from the author's code.
        browser.driver.get(server.postUrl());
        ((JavascriptExecutor) browser.driver).executeScript("localStorage.clear()");
        browser.driver.get(server.postUrl());
    }

    @Test
    void runShowsTheFibonacciNumbers() {
        var fib = new Runner(browser.driver, FIB);
        assertThat(fib.output().isDisplayed()).isFalse();

        assertThat(fib.run()).isEqualTo("ok");

        assertThat(fib.outputText()).isEqualTo(FIB_OUTPUT);
        assertThat(fib.output().findElements(By.cssSelector(".lp-stdout"))).hasSize(1);
        assertThat(fib.statusText()).matches("Done in \\d+(\\.\\d+)? m?s · run 1");
        assertThat(fib.button("run").isEnabled()).isTrue();
        assertThat(fib.button("stop").isEnabled()).isFalse();
        browser.screenshot("post-after-run");
    }

    @Test
    void editedCodeRerunsWithCtrlEnterAndKeepsState() {
        var fib = new Runner(browser.driver, FIB);
        assertThat(fib.run()).isEqualTo("ok");

        fib.editor().click();
        new Actions(browser.driver)
                .keyDown(Keys.CONTROL)
                .sendKeys("a")
                .keyUp(Keys.CONTROL)
                .sendKeys("print('a is', a")
                .perform();
        // closeBrackets added the ')' already: the editor holds exactly the typed statement.
        assertThat(fib.code()).isEqualTo("print('a is', a)");
        new Actions(browser.driver)
                .keyDown(Keys.CONTROL)
                .sendKeys(Keys.ENTER)
                .keyUp(Keys.CONTROL)
                .perform();

        assertThat(fib.awaitFinished()).isEqualTo("ok");
        // a was left at the 16th Fibonacci number by the first run, in the same session.
        assertThat(fib.outputText()).isEqualTo("a is 610\n");
        assertThat(fib.statusText()).endsWith("run 2");
        assertThat(fib.code()).isEqualTo("print('a is', a)"); // Ctrl+Enter added no newline
    }

    @Test
    void matplotlibFigureShowsAsALoadedImage() {
        var plot = new Runner(browser.driver, PLOT);
        assertThat(plot.run()).isEqualTo("ok");

        WebElement img =
                new WebDriverWait(browser.driver, Duration.ofSeconds(20))
                        .until(
                                d -> {
                                    var imgs = plot.output().findElements(By.cssSelector("img"));
                                    return imgs.isEmpty() ? null : imgs.get(0);
                                });
        Long width =
                new WebDriverWait(browser.driver, Duration.ofSeconds(20))
                        .until(
                                d -> {
                                    Object w =
                                            ((JavascriptExecutor) d)
                                                    .executeScript(
                                                            "return arguments[0].complete"
                                                                    + " ? arguments[0].naturalWidth"
                                                                    + " : null",
                                                            img);
                                    return w instanceof Long n && n > 0 ? n : null;
                                });
        assertThat(width).isGreaterThan(100);
        assertThat(img.getAttribute("alt")).isNotBlank();
        assertThat(img.getAttribute("src")).startsWith(server.base + "/api/sessions/");
        ((JavascriptExecutor) browser.driver)
                .executeScript("arguments[0].scrollIntoView({block: 'start'})", plot.element);
        browser.screenshot("post-after-plot");
    }

    @Test
    void stopInterruptsALongRun() {
        var fib = new Runner(browser.driver, FIB);
        setCode(fib, "import time\nprint('sleeping', flush=True)\ntime.sleep(60)");
        fib.button("run").click();
        new WebDriverWait(browser.driver, Runner.RUN_TIMEOUT)
                .until(d -> fib.outputText().contains("sleeping"));
        assertThat(fib.state()).isEqualTo("running");
        assertThat(fib.button("run").isEnabled()).isFalse();

        long stoppedAt = System.nanoTime();
        fib.button("stop").click();
        String state =
                new WebDriverWait(browser.driver, Duration.ofSeconds(10))
                        .until(d -> "running".equals(fib.state()) ? null : fib.state());

        assertThat(state).isEqualTo("interrupted");
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt))
                .isLessThan(Duration.ofSeconds(5));
        assertThat(fib.outputText()).contains("KeyboardInterrupt");
        assertThat(fib.button("run").isEnabled()).isTrue();
    }

    @Test
    void resetForgetsStateAndRestoresTheCode() {
        var fib = new Runner(browser.driver, FIB);
        String original = fib.code();
        assertThat(original).startsWith("a, b = 0, 1");
        assertThat(fib.run()).isEqualTo("ok");
        setCode(fib, "print(a)");
        assertThat(fib.run()).isEqualTo("ok");
        assertThat(fib.outputText()).isEqualTo("610\n");

        fib.button("reset").click();

        assertThat(fib.code()).isEqualTo(original);
        assertThat(fib.output().isDisplayed()).isFalse();
        setCode(fib, "print(a)");
        assertThat(fib.run()).isEqualTo("error");
        assertThat(fib.outputText()).contains("NameError");
        assertThat(fib.output().findElements(By.cssSelector(".lp-stderr"))).isNotEmpty();
    }

    @Adversarial
    @Test
    void outputIsTextNeverMarkup() {
        var fib = new Runner(browser.driver, FIB);
        String hostile = "<script>alert(1)</script><img src=x onerror=\"alert(2)\">";
        setCode(fib, "print('" + hostile + "')");

        assertThat(fib.run()).isEqualTo("ok");

        assertThat(fib.outputText()).isEqualTo(hostile + "\n");
        assertThat(fib.output().findElements(By.cssSelector("script, img"))).isEmpty();
        assertThatThrownBy(() -> browser.driver.switchTo().alert())
                .isInstanceOf(NoAlertPresentException.class);
    }

    @Test
    void worksWithTheKeyboardAlone() {
        var fib = new Runner(browser.driver, FIB);
        WebElement run = fib.button("run");
        // From the top of the freshly loaded page, Tab by Tab (past the site's header links).
        for (int i = 0; i < 30 && !run.equals(browser.driver.switchTo().activeElement()); i++) {
            new Actions(browser.driver).sendKeys(Keys.TAB).perform();
        }
        assertThat(browser.driver.switchTo().activeElement()).isEqualTo(run);
        assertThat(run.getCssValue("outline-style")).isNotEqualTo("none"); // visible focus

        new Actions(browser.driver).sendKeys(Keys.ENTER).perform();

        assertThat(fib.awaitFinished()).isEqualTo("ok");
        assertThat(fib.outputText()).isEqualTo(FIB_OUTPUT);
        assertThat(fib.output().getAttribute("aria-live")).isEqualTo("polite");
    }

    @Test
    void fitsANarrowScreen() {
        browser.driver.manage().window().setSize(new Dimension(360, 800));
        browser.driver.navigate().refresh();
        var fib = new Runner(browser.driver, FIB);
        assertThat(fib.run()).isEqualTo("ok");

        Long overflow =
                (Long)
                        ((JavascriptExecutor) browser.driver)
                                .executeScript(
                                        "const r = arguments[0].getBoundingClientRect();"
                                                + " return Math.round(r.right -"
                                                + " document.documentElement.clientWidth);",
                                        fib.element);
        assertThat(overflow).isLessThanOrEqualTo(0L);
        for (String b : List.of("run", "stop", "reset", "copy")) {
            assertThat(fib.button(b).isDisplayed()).as(b).isTrue();
        }
        browser.screenshot("post-narrow");
    }

    @Test
    void followsADarkColourScheme() {
        browser.driver.executeCdpCommand(
                "Emulation.setEmulatedMedia",
                Map.of(
                        "features",
                        List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
        try {
            browser.driver.navigate().refresh();
            var fib = new Runner(browser.driver, FIB);
            assertThat(fib.run()).isEqualTo("ok");

            var box = fib.element.findElement(By.cssSelector(".lp-runner"));
            assertThat(luminance(box.getCssValue("background-color"))).isLessThan(0.1);
            assertThat(luminance(fib.output().getCssValue("color"))).isGreaterThan(0.6);
            ((JavascriptExecutor) browser.driver)
                    .executeScript("arguments[0].scrollIntoView({block: 'start'})", fib.element);
            browser.screenshot("post-dark");
        } finally {
            browser.driver.executeCdpCommand(
                    "Emulation.setEmulatedMedia", Map.of("features", List.of()));
        }
    }

    /** Relative luminance (0 black .. 1 white) of a CSS {@code rgb()}/{@code rgba()} colour. */
    private static double luminance(String css) {
        String[] parts = css.replaceAll("[^0-9.,]", "").split(",");
        double[] c = new double[3];
        for (int i = 0; i < 3; i++) {
            double v = Double.parseDouble(parts[i]) / 255;
            c[i] = v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
        }
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    }

    @Test
    void plainCodeBlocksAreHighlighted() {
        new Runner(browser.driver, FIB); // the script has run
        var plain =
                browser.driver.findElements(
                        By.cssSelector("pre > code.language-python:not(code-runner code)"));
        assertThat(plain).isNotEmpty();
        WebElement code = plain.get(plain.size() - 1);
        assertThat(code.getText()).isEqualTo("def double(x):\n    return x * 2  # twice");
        // Highlighted by the server already (the browser's grammars are not needed).
        new WebDriverWait(browser.driver, Duration.ofSeconds(10))
                .until(d -> !code.findElements(By.cssSelector(".tok-keyword")).isEmpty());
        assertThat(code.findElements(By.cssSelector(".tok-comment"))).isNotEmpty();
        assertThat(code.getText()).isEqualTo("def double(x):\n    return x * 2  # twice");
    }

    @Test
    void bundledSamplePostRunsItsFibonacci() {
        browser.driver.manage().window().setSize(new Dimension(1200, 1400));
        browser.driver.get(server.postUrl("interactive-artifacts"));
        var fib = new Runner(browser.driver, "interactive-artifacts/fib");

        assertThat(fib.run()).isEqualTo("ok");

        assertThat(fib.outputText()).isEqualTo(FIB_OUTPUT);
        ((JavascriptExecutor) browser.driver)
                .executeScript("arguments[0].scrollIntoView({block: 'start'})", fib.element);
        browser.screenshot("sample-post-after-run");
    }

    @Adversarial
    @Test
    void dataFrameShowsAsATable() {
        browser.driver.get(server.postUrl("pandas-tables"));
        var sales = new Runner(browser.driver, "pandas-tables/sales");

        assertThat(sales.run()).isEqualTo("ok");

        WebElement table = sales.output().findElement(By.cssSelector(".lp-display table"));
        assertThat(table.getText()).contains("Mon", "croissants", "revenue");
        assertThat(table.findElements(By.cssSelector("tbody tr"))).hasSize(7);
        assertThat(sales.output().findElements(By.cssSelector("script, [onclick], [onerror]")))
                .isEmpty();
    }

    @Test
    void aReadonlyArtifactRunsButCannotBeEdited() {
        browser.driver.get(server.postUrl("pandas-tables"));
        var describe = new Runner(browser.driver, "pandas-tables/describe");
        String original = describe.code();

        describe.editor().click();
        new Actions(browser.driver).sendKeys(Keys.END, "\nprint('edited')", Keys.TAB).perform();

        assertThat(describe.code()).isEqualTo(original);
        assertThat(describe.editor().getAttribute("aria-readonly")).isEqualTo("true");
        // Its setup artifact (sales) runs first in the same session, so `sales` exists.
        assertThat(describe.run()).isEqualTo("ok");
        assertThat(describe.output().findElement(By.cssSelector(".lp-display table")).getText())
                .contains("loaves", "mean");
    }

    @Test
    void writtenFilesBecomeDownloadLinks() {
        browser.driver.get(server.postUrl("interactive-artifacts"));
        var words = new Runner(browser.driver, "interactive-artifacts/words");

        assertThat(words.run()).isEqualTo("ok");

        assertThat(words.outputText()).contains("11 words saved to words.txt");
        WebElement link =
                new WebDriverWait(browser.driver, Duration.ofSeconds(10))
                        .until(d -> words.output().findElement(By.cssSelector("a.lp-file-link")));
        assertThat(link.getText()).isEqualTo("words.txt");
        assertThat(link.getAttribute("download")).isEqualTo("words.txt");
        assertThat(link.getAttribute("href")).startsWith(server.base + "/api/sessions/");
        assertThat(words.output().findElement(By.cssSelector(".lp-file-size")).getText())
                .isEqualTo("(51 B)"); // 11 words, 10 newlines
    }

    @Test
    void aRunPastTheArtifactsTimeoutEndsAsTimedOut() {
        var slow = new Runner(browser.driver, TestServer.SLUG + "/slow");

        assertThat(slow.run()).isEqualTo("timeout");

        assertThat(slow.outputText()).startsWith("starting\n");
        assertThat(slow.statusText()).startsWith("Timed out").endsWith("run 1");
        assertThat(slow.button("run").isEnabled()).isTrue();
    }

    @Test
    void anExpiredSessionIsReplacedWithANotice() throws Exception {
        var fib = new Runner(browser.driver, FIB);
        assertThat(fib.run()).isEqualTo("ok");
        String token = fib.session();
        // The server forgets the session (as idle expiry or a restart would).
        assertThat(server.app.delete("/api/sessions/" + token).statusCode()).isEqualTo(204);
        setCode(fib, "print(a)");

        assertThat(fib.run()).isEqualTo("error");

        assertThat(fib.output().findElement(By.cssSelector(".lp-notice")).getText())
                .contains("session expired", "earlier state is gone");
        assertThat(fib.outputText()).contains("NameError"); // ran again, in the new session
        assertThat(fib.session()).isNotEqualTo(token);
    }

    @Test
    void leavingThePageEndsItsSession() throws Exception {
        var fib = new Runner(browser.driver, FIB);
        assertThat(fib.run()).isEqualTo("ok");
        String token = fib.session();
        assertThat(interrupt(token)).isEqualTo(202);

        browser.driver.get("about:blank");

        new WebDriverWait(browser.driver, Duration.ofSeconds(10))
                .until(d -> interrupt(token) == 404);
    }

    /** POST interrupt for a session: 202 while it exists, 404 once it is gone. */
    private int interrupt(String token) {
        try {
            return server.app
                    .send(
                            server.app
                                    .request("/api/sessions/" + token + "/interrupt")
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{}")))
                    .statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aPromptArtifactOnTheLocalExecutorSaysWhyItCannotRun() {
        browser.driver.get(server.postUrl("ask-claude"));
        var dice = new Runner(browser.driver, "ask-claude/dice");
        assertThat(dice.button("run").getText()).isEqualTo("Ask");

        assertThat(dice.run()).isEqualTo("failed");

        assertThat(dice.output().findElement(By.cssSelector(".lp-error")).getText())
                .contains("needs the anthropic executor");
        assertThat(dice.button("run").isEnabled()).isTrue();
    }

    @Test
    void copyPutsTheEditedCodeOnTheClipboard() {
        browser.driver.executeCdpCommand(
                "Browser.grantPermissions",
                Map.of(
                        "origin",
                        server.base,
                        "permissions",
                        List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
        var fib = new Runner(browser.driver, FIB);
        setCode(fib, "print('copied')  # edited");

        fib.button("copy").click();

        new WebDriverWait(browser.driver, Duration.ofSeconds(5))
                .until(d -> fib.button("copy").getText().equals("Copied"));
        Object clipboard =
                ((JavascriptExecutor) browser.driver)
                        .executeAsyncScript(
                                "const done = arguments[arguments.length - 1];"
                                        + " navigator.clipboard.readText().then(done, e =>"
                                        + " done('error ' + e));");
        assertThat(clipboard).isEqualTo("print('copied')  # edited");
    }

    @Test
    void ansiColoursBecomeStyledText() {
        var fib = new Runner(browser.driver, FIB);
        setCode(fib, "print('\\033[1;31mred\\033[0m plain\\033[2K')");

        assertThat(fib.run()).isEqualTo("ok");

        assertThat(fib.outputText()).isEqualTo("red plain\n");
        WebElement red = fib.output().findElement(By.cssSelector("span.lp-ansi-fg1"));
        assertThat(red.getText()).isEqualTo("red");
        assertThat(red.getAttribute("class")).contains("lp-ansi-bold");
    }

    /** Replaces the editor's text through the component's {@code code} property. */
    private void setCode(Runner runner, String code) {
        ((JavascriptExecutor) browser.driver)
                .executeScript("arguments[0].code = arguments[1]", runner.element, code);
        assertThat(runner.code()).isEqualTo(code);
    }
}
