package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.StateLoss;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Code mode through the real SDK against {@link FakeAnthropic}, whose containers really run the
 * commands and so the real kernel script: output, state, files, containers, interrupts.
 */
class AnthropicCodeModeTest extends FakeApiTest {
    @Test
    void codeModeStreamsStdoutStderrAndExitCode() {
        var s = session(CODE);
        var sink = new RecordingSink();

        var outcome =
                run(
                        s,
                        "import sys\nprint('hello')\nprint('oops', file=sys.stderr)\nsys.exit(3)",
                        sink);

        assertThat(outcome).isEqualTo(new RunOutcome.Finished(RunStatus.ERROR, 3));
        assertThat(sink.stdout()).isEqualTo("hello\n");
        assertThat(sink.stderr()).isEqualTo("oops\n");
        assertThat(sink.notices()).isEmpty();
        assertThat(fake.violations).isEmpty();
        var request = fake.lastMessageRequest();
        assertThat(request.header("x-api-key")).isEqualTo(FakeAnthropic.KEY);
        assertThat(request.header("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(request.body().has("container")).isFalse();
        assertThat(request.body().path("tools").get(0).path("type").asText())
                .isEqualTo("code_execution_20250825");
        // The kernel came by upload: the command Claude types is short.
        assertThat(command(request))
                .contains("print('hello')")
                .contains("cp \"$INPUT_DIR/lp-")
                .hasSizeLessThan(400);
        assertThat(uploads(request)).hasSize(1);
        assertThat(request.body().path("system").get(0).path("cache_control").path("type").asText())
                .isEqualTo("ephemeral");
    }

    @Test
    void variablesAndFilesPersistInOneContainerAcrossRuns() {
        var s = session(CODE);
        assertThat(run(s, "x = 41\nopen('note.txt', 'w').write('kept')", new RecordingSink()))
                .isEqualTo(RunOutcome.ok());
        var sink = new RecordingSink();

        var outcome = run(s, "x += 1\nprint(x, open('note.txt').read())", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("42 kept\n");
        assertThat(sink.notices()).isEmpty();
        assertThat(fake.containerCount()).isEqualTo(1);
        var second = fake.lastMessageRequest();
        // Without skills the container is named by its id alone.
        assertThat(second.body().path("container").asText()).isEqualTo(s.containerId());
        assertThat(command(second))
                .doesNotContain("def serve")
                .startsWith("python3 /tmp/.livepost/lp.py run ");
        assertThat(uploads(second)).isEmpty();
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void anExceptionIsATracebackOnStderrAndStatusError() {
        var sink = new RecordingSink();

        var outcome = run(session(CODE), "a = 1\n1 / 0", sink);

        assertThat(outcome).isEqualTo(new RunOutcome.Finished(RunStatus.ERROR, 1));
        assertThat(sink.stderr())
                .contains("Traceback")
                .contains("1 / 0")
                .contains("ZeroDivisionError")
                .doesNotContain("LIVEPOST-STATUS")
                .doesNotContain("lp.py");
    }

    @Test
    void theLastExpressionIsDisplayed() {
        var sink = new RecordingSink();

        run(session(CODE), "import pandas as pd\npd.DataFrame({'a': [1, 2]})", sink);

        var display = sink.all(RunEvent.Display.class);
        assertThat(display).hasSize(1);
        assertThat(display.get(0).mime().get("text/plain")).contains("a");
        assertThat(display.get(0).mime().get("text/html")).contains("<table");
    }

    @Test
    void displayShowsValuesAndATrailingSemicolonHidesTheLast() {
        var sink = new RecordingSink();

        var outcome =
                run(
                        session(CODE),
                        "import pandas as pd\ndisplay(pd.DataFrame({'a': [1]}), 'two')\n"
                                + "print('printed')\n3;",
                        sink);

        // As on the local executor: display(...) is a builtin and `x;` shows nothing.
        assertThat(outcome).isEqualTo(new RunOutcome.Finished(RunStatus.OK, 0));
        var display = sink.all(RunEvent.Display.class);
        assertThat(display).hasSize(2);
        assertThat(display.get(0).mime().get("text/html")).contains("<table");
        assertThat(display.get(1).mime()).containsEntry("text/plain", "'two'");
        assertThat(sink.stdout()).isEqualTo("printed\n");
    }

    @Test
    void figuresAndNewFilesComeBackThroughTheFilesApi() {
        var sink = new RecordingSink();

        var outcome =
                run(
                        session(CODE),
                        "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\n"
                                + "open('data.csv', 'w').write('a,b\\n1,2\\n')",
                        sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.files).containsKeys("figure-1.png", "data.csv");
        assertThat(sink.files.get("figure-1.png")).startsWith(0x89, 'P', 'N', 'G');
        assertThat(new String(sink.files.get("data.csv"))).isEqualTo("a,b\n1,2\n");
        assertThat(sink.all(RunEvent.File.class))
                .anySatisfy(f -> assertThat(f.mime()).isEqualTo("image/png"));
        assertThat(fake.requests)
                .anySatisfy(r -> assertThat(r.path()).matches("/v1/files/file_[0-9a-f_]+/content"));
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void aRestoredContainerReportsTheLostInterpreterWithoutRunningTheCode() {
        var s = session(CODE);
        run(s, "x = 1", new RecordingSink());
        fake.container(s.containerId()).killProcesses();
        var sink = new RecordingSink();

        var outcome = run(s, "print(x)", sink);

        // A warm run that finds no kernel starts one and leaves the code to the caller's retry.
        assertThat(outcome).isEqualTo(new RunOutcome.Lost(new StateLoss.InterpreterRestarted()));
        assertThat(sink.events).isEmpty();
        var again = new RecordingSink();
        assertThat(run(s, "print('x' in globals())", again)).isEqualTo(RunOutcome.ok());
        assertThat(again.stdout()).isEqualTo("False\n");
    }

    @Test
    void anExpiredContainerIsReportedAndTheNextRunStartsANewOne() {
        var s = session(CODE);
        run(s, "x = 1", new RecordingSink());
        String old = s.containerId();
        fake.expire(old);
        int before = fake.messageRequests().size();

        assertThat(run(s, "print('again')", new RecordingSink()))
                .isEqualTo(new RunOutcome.Lost(new StateLoss.ContainerReplaced()));
        var sink = new RecordingSink();
        var outcome = run(s, "print('again')", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("again\n");
        assertThat(sink.notices()).isEmpty();
        assertThat(s.containerId()).isNotEqualTo(old).isNotNull();
        // The dead container is answered with a bare 500: tried once more, then taken as gone.
        var tries = fake.messageRequests().subList(before, fake.messageRequests().size());
        assertThat(tries).hasSize(3);
        assertThat(tries.get(0).body().path("container").asText()).isEqualTo(old);
        assertThat(tries.get(1).body().path("container").asText()).isEqualTo(old);
        assertThat(tries.get(2).body().has("container")).isFalse();
        assertThat(command(tries.get(2))).contains("cp \"$INPUT_DIR/lp-");
        assertThat(uploads(tries.get(2))).hasSize(1);
    }

    @Test
    void aWipedContainerIsReportedAndGetsTheKernelAgain() {
        var s = session(CODE);
        run(s, "x = 1", new RecordingSink());
        fake.container(s.containerId()).wipe();

        assertThat(run(s, "print('fresh')", new RecordingSink()))
                .isEqualTo(new RunOutcome.Lost(new StateLoss.ContainerReplaced()));
        var sink = new RecordingSink();
        var outcome = run(s, "print('fresh')", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("fresh\n");
        assertThat(sink.stderr()).isEmpty();
        assertThat(sink.notices()).isEmpty();
    }

    @Test
    void aChangedCommandIsRefused() {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.ChangeCommand());
        var sink = new RecordingSink();

        var outcome = run(s, "print('mine')", sink);

        assertThat(outcome).isInstanceOf(RunOutcome.Failed.class);
        assertThat(((RunOutcome.Failed) outcome).code()).isEqualTo("upstream_changed_code");
        assertThat(sink.stdout()).doesNotContain("tampered");
    }

    @Test
    void theRunTimeoutInterruptsTheCodeAndKeepsState() {
        var s = session(CODE);
        run(s, "y = 7", new RecordingSink());
        var sink = new RecordingSink();

        var outcome =
                run(
                        s,
                        "import time\nprint('start', flush=True)\ntime.sleep(30)",
                        sink,
                        Duration.ofSeconds(1));

        assertThat(outcome).isEqualTo(new RunOutcome.Finished(RunStatus.TIMEOUT, 130));
        assertThat(sink.stdout()).isEqualTo("start\n");
        assertThat(sink.stderr()).contains("KeyboardInterrupt");
        var after = new RecordingSink();
        assertThat(run(s, "print(y)", after)).isEqualTo(RunOutcome.ok());
        assertThat(after.events).containsExactly(new RunEvent.Stdout("7\n"));
    }

    @Test
    void interruptEndsTheRunAtOnceAndTheNextRunStopsTheAbandonedCode() throws Exception {
        var s = session(CODE);
        run(s, "z = 5", new RecordingSink());
        int before = fake.execs.get();
        var sink = new RecordingSink();
        var running =
                CompletableFuture.supplyAsync(() -> run(s, "import time\ntime.sleep(60)", sink));
        fake.awaitExecs(before + 1, Duration.ofSeconds(30)); // the container runs the command
        long t0 = System.nanoTime();

        s.interrupt();

        assertThat(running.get(5, TimeUnit.SECONDS))
                .isEqualTo(new RunOutcome.Finished(RunStatus.INTERRUPTED, null));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        var after = new RecordingSink();
        long t1 = System.nanoTime();
        assertThat(run(s, "print(z)", after)).isEqualTo(RunOutcome.ok());
        // Had the abandoned sleep(60) not been interrupted, the kernel would still be busy.
        assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(Duration.ofSeconds(15));
        assertThat(after.stdout()).isEqualTo("5\n");
        assertThat(after.notices()).isEmpty();
    }

    @Test
    void skillsAreAttachedToTheContainerEveryTime() {
        var s = session(new SessionSpec("post/pdf", "python", false, List.of("pdf", "xlsx")));
        run(s, "print(1)", new RecordingSink());
        run(s, "print(2)", new RecordingSink());

        var first = fake.messageRequests().get(0).body().path("container");
        var second = fake.messageRequests().get(1).body().path("container");
        assertThat(first.has("id")).isFalse();
        assertThat(first.path("skills").toString())
                .isEqualTo(
                        "[{\"skill_id\":\"pdf\",\"type\":\"anthropic\",\"version\":\"latest\"},"
                                + "{\"skill_id\":\"xlsx\",\"type\":\"anthropic\",\"version\":\"latest\"}]");
        assertThat(second.path("id").asText()).isEqualTo(s.containerId());
        assertThat(second.path("skills")).isEqualTo(first.path("skills"));
        assertThat(Map.of("v", fake.violations)).isEqualTo(Map.of("v", List.of()));
    }
}
