package dev.livepost.web.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.anthropic.FakeAnthropicApi;
import dev.livepost.testing.TestApp;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The {@code /chat} page in a real Chromium against the real server, whose {@code anthropic}
 * executor talks to the fake Anthropic API (its containers real sandboxes): a reader holds a
 * three-message conversation, reloads the tab, runs and edits the code of the second answer in the
 * conversation's container, and copies that answer as a post snippet, which the blog then serves as
 * a post whose runners work.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChatIT {
    static final String SAVE =
            """
            Save the squares:
            ```python
            import json
            json.dump([i * i for i in range(1, 6)], open('squares.json', 'w'))
            print('saved')
            ```""";

    static final String SUM =
            """
            Sum them:
            ```python
            import json
            print(sum(json.load(open('squares.json'))))
            ```""";

    static final String PLOT =
            """
            Plot them:
            ```python
            import json, os, matplotlib
            matplotlib.use('Agg')
            import matplotlib.pyplot as plt
            plt.plot(json.load(open('squares.json')))
            plt.savefig(os.path.join(os.environ['OUTPUT_DIR'], 'squares.png'))
            print('plotted')
            ```""";

    private static final Duration ANSWER = Duration.ofSeconds(60);

    private FakeAnthropicApi fake;
    private TestApp app;
    private Path posts;
    private Browser browser;

    @BeforeAll
    void start() throws Exception {
        fake = new FakeAnthropicApi();
        posts = Files.createTempDirectory("livepost-chat-posts-");
        Files.writeString(
                posts.resolve("hello.md"), "---\ntitle: Hello\ndate: 2026-12-01\n---\n\nHi.\n");
        app = TestApp.start(posts, new HashMap<>(fake.env()));
        browser = new Browser();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (app != null) {
                app.close();
            }
            if (fake != null) {
                fake.close();
            }
            if (posts != null) {
                TestApp.deleteRecursively(posts);
            }
        }
    }

    private WebElement chat() {
        return new WebDriverWait(browser.driver, Duration.ofSeconds(20))
                .until(
                        d -> {
                            var found = d.findElements(By.cssSelector("livepost-chat[data-ready]"));
                            return found.isEmpty() ? null : found.get(0);
                        });
    }

    private List<WebElement> turns() {
        return browser.driver.findElements(By.cssSelector(".lp-chat-turn"));
    }

    /** Sends what the message box holds and waits for the answer to end. */
    private WebElement send(int expectedTurns) {
        chat().findElement(By.cssSelector(".lp-chat-send")).click();
        return new WebDriverWait(browser.driver, ANSWER)
                .withMessage(() -> "the answer to message " + expectedTurns)
                .until(
                        d -> {
                            var turns = turns();
                            boolean idle = "false".equals(chat().getAttribute("data-busy"));
                            return idle && turns.size() == expectedTurns
                                    ? turns.get(expectedTurns - 1)
                                    : null;
                        });
    }

    private void type(String text) {
        WebElement box = chat().findElement(By.cssSelector("textarea"));
        box.clear();
        box.sendKeys(text);
    }

    @Test
    void aReaderHoldsAConversationRerunsAndEditsClaudesCodeAndCopiesAnAnswerIntoAPost()
            throws Exception {
        // A post links into chat with a prepared question.
        browser.driver.get(app.base() + "/chat");
        browser.driver.executeScript("sessionStorage.clear()");
        browser.driver.get(
                app.base() + "/chat?q=" + URLEncoder.encode(SAVE, StandardCharsets.UTF_8));
        assertThat(chat().findElement(By.cssSelector("textarea")).getAttribute("value"))
                .isEqualTo(SAVE);
        WebElement first = send(1);
        assertThat(first.findElement(By.cssSelector(".lp-chat-question")).getText())
                .startsWith("Save the squares:");
        // Claude's words as sanitized Markdown.
        assertThat(first.findElement(By.cssSelector(".lp-chat-markdown strong")).getText())
                .isEqualTo("Message 1");
        assertThat(new Runner(browser.driver, "chat/a1").outputText()).isEqualTo("saved\n");

        type(SUM);
        send(2);
        var sum = new Runner(browser.driver, "chat/a2");
        assertThat(sum.outputText()).isEqualTo("55\n");
        assertThat(sum.code())
                .isEqualTo("import json\nprint(sum(json.load(open('squares.json'))))");

        type(PLOT);
        WebElement third = send(3);
        var plot = new Runner(browser.driver, "chat/a3");
        assertThat(plot.outputText()).contains("plotted");
        assertThat(plot.output().findElements(By.cssSelector("img"))).hasSize(1);
        assertThat(third.findElements(By.cssSelector(".lp-chat-error"))).isEmpty();

        // The tab keeps its conversation across a reload.
        browser.driver.navigate().refresh();
        chat();
        assertThat(turns()).hasSize(3);
        sum = new Runner(browser.driver, "chat/a2");
        assertThat(sum.outputText()).isEqualTo("55\n");

        // The reader runs the second answer's code again, then edits it: the file the first
        // answer wrote is still in the conversation's container.
        assertThat(sum.run()).isEqualTo("ok");
        assertThat(sum.outputText()).isEqualTo("55\n");
        sum.editor().click();
        new Actions(browser.driver)
                .keyDown(Keys.CONTROL)
                .sendKeys("a")
                .keyUp(Keys.CONTROL)
                .sendKeys("import json; print(max(json.load(open('squares.json'")
                .perform();
        assertThat(sum.code())
                .isEqualTo("import json; print(max(json.load(open('squares.json'))))");
        new Actions(browser.driver)
                .keyDown(Keys.CONTROL)
                .sendKeys(Keys.ENTER)
                .keyUp(Keys.CONTROL)
                .perform();
        assertThat(sum.awaitFinished()).isEqualTo("ok");
        // The edited file is saved where Claude wrote it, and said so.
        assertThat(sum.outputText()).startsWith("25\n").contains("step2.py");
        browser.driver.executeScript("arguments[0].scrollIntoView()", sum.element);
        browser.screenshot("chat-after-edited-run");
        assertThat(fake.containerIds()).hasSize(1);

        // The second answer as a post snippet.
        WebElement second = turns().get(1);
        second.findElement(By.cssSelector(".lp-chat-copy")).click();
        String snippet =
                new WebDriverWait(browser.driver, Duration.ofSeconds(20))
                        .until(
                                d -> {
                                    var area =
                                            second.findElements(
                                                    By.cssSelector(".lp-chat-snippet textarea"));
                                    String v =
                                            area.isEmpty() ? "" : area.get(0).getAttribute("value");
                                    return v.contains("::code-runner") ? v : null;
                                });
        assertThat(snippet).contains("hidden").contains("print(sum(json.load");

        // Pasted into a post, it renders through the blog's Markdown pipeline as runners that
        // work: the hidden setup brings back the file in a fresh container.
        Files.writeString(
                posts.resolve("pasted.md"),
                "---\ntitle: Pasted\ndate: 2026-12-01\n---\n\n" + snippet);
        String postUrl = app.base() + "/posts/pasted";
        new WebDriverWait(browser.driver, Duration.ofSeconds(20))
                .until(
                        d -> {
                            d.get(postUrl);
                            return !d.findElements(By.cssSelector("code-runner")).isEmpty();
                        });
        String artifact =
                (String)
                        ((JavascriptExecutor) browser.driver)
                                .executeScript(
                                        "return document.querySelector('code-runner')"
                                                + ".getAttribute('artifact')");
        assertThat(artifact).startsWith("pasted/c").endsWith("-a2");
        var pasted = new Runner(browser.driver, artifact);
        assertThat(pasted.run()).isEqualTo("ok");
        assertThat(pasted.outputText()).isEqualTo("55\n");
        assertThat(fake.containerIds()).hasSize(2);
        assertThat(fake.violations()).isEmpty();
    }
}
