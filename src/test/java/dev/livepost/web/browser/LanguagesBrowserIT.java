package dev.livepost.web.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;

/**
 * The sample post of each language other than Python, in a real Chromium against the real server
 * and sandbox: its artifacts run, highlighted, with state kept between runs and a setup's state in
 * the artifacts that name it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LanguagesBrowserIT {
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

    @Test
    void javascriptPostKeepsItsFunctionsBetweenArtifacts() {
        browser.driver.get(server.postUrl("javascript-artifacts"));
        var orders = new Runner(browser.driver, "javascript-artifacts/orders");
        assertThat(highlighted(orders)).isTrue();
        assertThat(orders.run()).isEqualTo("ok");
        assertThat(orders.outputText()).contains("5 orders").contains("coffee: 36");

        // Its setup (orders) runs first in its session; a second run still has what both made.
        var busiest = new Runner(browser.driver, "javascript-artifacts/busiest");
        assertThat(busiest.run()).isEqualTo("ok");
        assertThat(busiest.outputText()).contains("Mon sold 16 drinks");
        assertThat(busiest.run()).isEqualTo("ok");
        assertThat(busiest.outputText()).contains("Mon sold 16 drinks");
        assertThat(busiest.statusText()).endsWith("run 2");
        browser.screenshot("javascript-post");
    }

    @Test
    void bashPostKeepsTheShellsFolderAndFunctions() {
        browser.driver.get(server.postUrl("bash-artifacts"));
        var counter = new Runner(browser.driver, "bash-artifacts/counter");
        assertThat(counter.run()).isEqualTo("ok");
        assertThat(counter.outputText()).contains("run this block 1 time(s)");
        assertThat(counter.run()).isEqualTo("ok");
        assertThat(counter.outputText()).contains("run this block 2 time(s), in /work");

        var setup = new Runner(browser.driver, "bash-artifacts/setup");
        assertThat(highlighted(setup)).isTrue();
        assertThat(setup.run()).isEqualTo("ok");
        assertThat(setup.outputText()).contains("mon.log").contains("wed.log");

        var count = new Runner(browser.driver, "bash-artifacts/count");
        assertThat(count.run()).isEqualTo("ok");
        assertThat(count.outputText()).startsWith("/work/logs\n").contains("/page0");

        var status = new Runner(browser.driver, "bash-artifacts/status");
        assertThat(status.run()).isEqualTo("error");
        assertThat(status.outputText()).contains("mon.log:0");
        browser.screenshot("bash-post");
    }

    @Test
    void sqlPostShowsTablesFromTheSameDatabase() {
        browser.driver.get(server.postUrl("sql-artifacts"));
        var schema = new Runner(browser.driver, "sql-artifacts/schema");
        assertThat(highlighted(schema)).isTrue();
        assertThat(schema.run()).isEqualTo("ok");
        assertThat(schema.output().findElements(By.cssSelector("table"))).hasSize(1);

        var query = new Runner(browser.driver, "sql-artifacts/query");
        assertThat(query.run()).isEqualTo("ok");
        var tables = query.output().findElements(By.cssSelector("table"));
        assertThat(tables).hasSize(2);
        assertThat(tables.get(1).getText()).contains("Ursula K. Le Guin");

        var mistake = new Runner(browser.driver, "sql-artifacts/mistake");
        assertThat(mistake.run()).isEqualTo("error");
        assertThat(mistake.outputText()).contains("line 3").contains("no such column: titel");
        browser.screenshot("sql-post");
    }

    @Test
    void javaPostKeepsDeclarationsBetweenRuns() {
        browser.driver.get(server.postUrl("java-artifacts"));
        var shapes = new Runner(browser.driver, "java-artifacts/shapes");
        assertThat(highlighted(shapes)).isTrue();
        assertThat(shapes.run()).isEqualTo("ok");
        assertThat(shapes.outputText()).contains("3 rooms").contains("39.0");

        var largest = new Runner(browser.driver, "java-artifacts/largest");
        assertThat(largest.run()).isEqualTo("ok");
        assertThat(largest.outputText()).contains("Rect[w=5.0, h=4.0], 51% of the floor");
        assertThat(largest.run()).isEqualTo("ok");
        assertThat(largest.statusText()).endsWith("run 2");

        var oops = new Runner(browser.driver, "java-artifacts/oops");
        assertThat(oops.run()).isEqualTo("error");
        assertThat(oops.outputText())
                .contains("java.lang.ArithmeticException: / by zero")
                .contains("at perRoom (run-1.java:2)");
        browser.screenshot("java-post");
    }

    /** Whether the runner's code shows syntax highlighting (keyword spans). */
    private static boolean highlighted(Runner runner) {
        return !runner.element.findElements(By.cssSelector("[class*='tok-keyword']")).isEmpty();
    }
}
