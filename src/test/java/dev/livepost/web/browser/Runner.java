package dev.livepost.web.browser;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/** One {@code <code-runner>} on the page, seen the way a reader sees it. */
final class Runner {
    /** Generous: the machine is shared and a first run may start a sandbox. */
    static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

    private final WebDriver driver;
    final WebElement element;

    Runner(WebDriver driver, String artifact) {
        this.driver = driver;
        this.element =
                new WebDriverWait(driver, Duration.ofSeconds(20))
                        .until(
                                d -> {
                                    WebElement e =
                                            d.findElement(
                                                    By.cssSelector(
                                                            "code-runner[artifact='"
                                                                    + artifact
                                                                    + "']"));
                                    // upgraded: the bar is there (the editor loads on demand)
                                    return e.getAttribute("class").contains("lp-ready") ? e : null;
                                });
    }

    WebElement button(String name) {
        return element.findElement(By.cssSelector("button.lp-" + name));
    }

    /**
     * The CodeMirror editor, loaded as a reader gets it: by clicking the code (the page shows the
     * server's highlighted code until then).
     */
    WebElement editor() {
        if (!hasEditor()) {
            // A run loads the editor in the background too: the plain view may go any moment.
            for (WebElement plain : element.findElements(By.cssSelector("pre.lp-plain"))) {
                try {
                    plain.click();
                } catch (StaleElementReferenceException e) {
                    // the editor took its place meanwhile
                }
            }
        }
        return new WebDriverWait(driver, Duration.ofSeconds(20))
                .until(
                        d -> {
                            var found = element.findElements(By.cssSelector(".cm-content"));
                            return found.isEmpty() ? null : found.get(0);
                        });
    }

    /** Whether the CodeMirror editor has been loaded into this runner. */
    boolean hasEditor() {
        return !element.findElements(By.cssSelector(".cm-content")).isEmpty();
    }

    /** Whether the runner shows that its code was edited. */
    boolean markedEdited() {
        return element.findElement(By.cssSelector(".lp-edited")).isDisplayed();
    }

    WebElement output() {
        return element.findElement(By.cssSelector(".lp-output"));
    }

    /** The text of the output panel, as rendered (textContent: includes hidden overflow). */
    String outputText() {
        return output().getAttribute("textContent");
    }

    String statusText() {
        return element.findElement(By.cssSelector(".lp-status")).getText();
    }

    String state() {
        return element.getAttribute("data-state");
    }

    /** The editor's code (the component's {@code code} property). */
    String code() {
        return (String)
                ((JavascriptExecutor) driver).executeScript("return arguments[0].code", element);
    }

    /** The session token the component holds, or null before its first run. */
    String session() {
        return (String)
                ((JavascriptExecutor) driver).executeScript("return arguments[0].session", element);
    }

    /** Waits until the runner reaches one of {@code states}; returns it. */
    String awaitState(String... states) {
        List<String> wanted = Arrays.asList(states);
        return new WebDriverWait(driver, RUN_TIMEOUT)
                .withMessage(
                        () ->
                                "runner state "
                                        + wanted
                                        + "; was "
                                        + state()
                                        + " ("
                                        + statusText()
                                        + "), output: "
                                        + outputText())
                .until(d -> wanted.contains(state()) ? state() : null);
    }

    /** Clicks Run and waits for the run to end; returns the final state. */
    String run() {
        button("run").click();
        return awaitFinished();
    }

    String awaitFinished() {
        return awaitState("ok", "error", "timeout", "interrupted", "killed", "failed");
    }
}
