package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livepost.Config;
import dev.livepost.LivepostException;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.SessionSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The executor through the real SDK against {@link FakeAnthropic}, whose containers really run the
 * commands (and so the real kernel script).
 */
class AnthropicExecutorTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final SessionSpec CODE =
            new SessionSpec("post/code", "python", false, List.of());
    private static final SessionSpec PROMPT =
            new SessionSpec("post/ask", "python", true, List.of());

    @TempDir Path dir;
    private FakeAnthropic fake;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void start() {
        fake = new FakeAnthropic();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        fake.close();
    }

    private Config config(String key) {
        var env = new HashMap<String, String>();
        if (key != null) {
            env.put("ANTHROPIC_API_KEY", key);
        }
        env.put("ANTHROPIC_BASE_URL", fake.baseUrl().toString());
        return Config.parse(
                List.of("--executor", "anthropic", "--data", dir.resolve("data").toString()),
                env,
                dir);
    }

    private AnthropicExecutor executor(String key) {
        var e =
                new AnthropicExecutor(
                        config(key),
                        new AnthropicExecutor.Tuning(
                                Duration.ofSeconds(30), 5, Duration.ofSeconds(2), 4096));
        closeables.add(e);
        return e;
    }

    private AnthropicSession session(SessionSpec spec) {
        var s = (AnthropicSession) executor(FakeAnthropic.KEY).open(spec);
        closeables.add(s);
        return s;
    }

    private static RunOutcome run(AnthropicSession s, String source, RecordingSink sink) {
        return run(s, source, sink, TIMEOUT);
    }

    private static RunOutcome run(
            AnthropicSession s, String source, RecordingSink sink, Duration timeout) {
        return s.run(new RunRequest("r", source, timeout), sink);
    }

    private String command(FakeAnthropic.Recorded r) {
        String user = r.body().path("messages").get(0).path("content").asText();
        return user.substring("<command>\n".length(), user.length() - "\n</command>".length());
    }

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
        assertThat(command(request))
                .contains("print('hello')")
                .contains("cat > /tmp/.livepost/lp.py");
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
        assertThat(second.body().path("container").path("id").asText()).isEqualTo(s.containerId());
        assertThat(command(second))
                .doesNotContain("def serve")
                .startsWith("[ -f /tmp/.livepost/lp.py ]");
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
    void aRestoredContainerRestartsTheKernelWithANotice() {
        var s = session(CODE);
        run(s, "x = 1", new RecordingSink());
        fake.container(s.containerId()).killProcesses();
        var sink = new RecordingSink();

        var outcome = run(s, "print(x)", sink);

        assertThat(outcome).isEqualTo(new RunOutcome.Finished(RunStatus.ERROR, 1));
        assertThat(sink.notices()).singleElement().asString().contains("variables");
        assertThat(sink.stderr()).contains("NameError");
    }

    @Test
    void anExpiredContainerIsReplacedWithANotice() {
        var s = session(CODE);
        run(s, "x = 1", new RecordingSink());
        String old = s.containerId();
        fake.expire(old);
        int before = fake.messageRequests().size();
        var sink = new RecordingSink();

        var outcome = run(s, "print('again')", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("again\n");
        assertThat(sink.notices()).singleElement().asString().contains("expired");
        assertThat(s.containerId()).isNotEqualTo(old).isNotNull();
        var tries = fake.messageRequests().subList(before, fake.messageRequests().size());
        assertThat(tries).hasSize(2);
        assertThat(tries.get(0).body().path("container").path("id").asText()).isEqualTo(old);
        assertThat(tries.get(1).body().has("container")).isFalse();
        assertThat(command(tries.get(1))).contains("def serve");
    }

    @Test
    void aWipedContainerGetsTheKernelAgain() {
        var s = session(CODE);
        run(s, "x = 1", new RecordingSink());
        fake.container(s.containerId()).wipe();
        var sink = new RecordingSink();

        var outcome = run(s, "print('fresh')", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("fresh\n");
        assertThat(sink.stderr()).isEmpty();
        assertThat(sink.notices()).singleElement().asString().contains("reset");
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
        long waited = 0;
        while (fake.execs.get() == before && waited < 15_000) {
            Thread.sleep(50);
            waited += 50;
        }
        assertThat(fake.execs.get()).isGreaterThan(before);
        Thread.sleep(1500); // by now the code sleeps in the kernel
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

    @ParameterizedTest
    @CsvSource({
        "execution_time_exceeded, done, timeout",
        "output_file_too_large, done, error",
        "unavailable, error, upstream_unavailable",
        "too_many_requests, error, rate_limited",
        "invalid_tool_input, error, upstream_rejected",
    })
    void toolResultErrorsEndTheRunClearly(String errorCode, String end, String what) {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.ToolError(errorCode));
        var sink = new RecordingSink();

        var outcome = run(s, "print(1)", sink);

        if (end.equals("done")) {
            assertThat(outcome).isInstanceOf(RunOutcome.Finished.class);
            assertThat(((RunOutcome.Finished) outcome).status().wire()).isEqualTo(what);
            assertThat(sink.notices().size() + sink.stderr().length()).isPositive();
        } else {
            assertThat(outcome).isInstanceOf(RunOutcome.Failed.class);
            assertThat(((RunOutcome.Failed) outcome).code()).isEqualTo(what);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "401, authentication_error, upstream_unauthorized, The Anthropic API key was rejected",
        "403, permission_error, upstream_unauthorized, The Anthropic API key was rejected",
        "429, rate_limit_error, rate_limited, rate limiting",
        "500, api_error, upstream_overloaded, overloaded or failing",
        "529, overloaded_error, upstream_overloaded, overloaded or failing",
        "400, invalid_request_error, upstream_rejected, refused the request",
    })
    void httpErrorsEndTheRunWithAClearError(int status, String type, String code, String message) {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.HttpError(status, type, "fake " + type, "60"));
        var sink = new RecordingSink();

        var outcome = run(s, "print(1)", sink);

        assertThat(outcome).isInstanceOf(RunOutcome.Failed.class);
        var failed = (RunOutcome.Failed) outcome;
        assertThat(failed.code()).isEqualTo(code);
        assertThat(failed.message()).contains(message);
        assertThat(sink.stdout()).isEmpty();
        var next = new RecordingSink();
        assertThat(run(s, "print(2)", next)).isEqualTo(RunOutcome.ok());
        assertThat(next.stdout()).isEqualTo("2\n");
    }

    @Test
    void aWrongKeyIsRejected() {
        var s = (AnthropicSession) executor("sk-ant-wrong").open(CODE);

        var outcome = run(s, "print(1)", new RecordingSink());

        assertThat(outcome)
                .isEqualTo(
                        new RunOutcome.Failed(
                                "upstream_unauthorized",
                                "The Anthropic API key was rejected (HTTP 401); check"
                                        + " ANTHROPIC_API_KEY."));
    }

    @Test
    void aShortRetryAfterIsHonouredOnce() {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.HttpError(429, "rate_limit_error", "slow down", "1"));
        var sink = new RecordingSink();
        long t0 = System.nanoTime();

        var outcome = run(s, "print('after wait')", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("after wait\n");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofMillis(900));
        assertThat(fake.messageRequests()).hasSize(2);
    }

    @Test
    void aSecondRateLimitIsReported() {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.HttpError(429, "rate_limit_error", "slow down", "1"));
        fake.enqueue(new FakeAnthropic.HttpError(429, "rate_limit_error", "slow down", "1"));

        var outcome = run(s, "print(1)", new RecordingSink());

        assertThat(((RunOutcome.Failed) outcome).code()).isEqualTo("rate_limited");
    }

    @Test
    void anErrorEventMidStreamEndsTheRun() {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.StreamError("overloaded_error", "Overloaded"));

        var outcome = run(s, "print(1)", new RecordingSink());

        assertThat(((RunOutcome.Failed) outcome).code()).isEqualTo("upstream_overloaded");
        assertThat(((RunOutcome.Failed) outcome).message()).contains("Overloaded");
    }

    @Test
    void aDroppedConnectionEndsTheRun() {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.Drop());

        var outcome = run(s, "print(1)", new RecordingSink());

        assertThat(((RunOutcome.Failed) outcome).code()).isEqualTo("upstream_disconnected");
    }

    @Test
    void withoutAKeyTheExecutorSaysHowToFixIt() {
        var e = executor(null);

        assertThat(e.health().available()).isFalse();
        assertThat(e.health().detail()).contains("ANTHROPIC_API_KEY").doesNotContain("\n");
        assertThatThrownBy(() -> e.open(CODE))
                .isInstanceOfSatisfying(
                        LivepostException.class,
                        x -> {
                            assertThat(x.status()).isEqualTo(503);
                            assertThat(x.code()).isEqualTo("executor_unavailable");
                        });
        assertThat(fake.requests).isEmpty();
    }

    @Test
    void promptModeStreamsTextCodeAndResults() {
        var s = session(PROMPT);
        var sink = new RecordingSink();

        var outcome = run(s, "how many words are here", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.text())
                .isEqualTo(
                        "I'll count the words of your request with a small Python script."
                                + "Your request has 5 words.");
        var code = sink.all(RunEvent.Code.class);
        assertThat(code).hasSize(2);
        assertThat(code.get(0).language()).isEqualTo("python");
        assertThat(code.get(0).code()).startsWith("words = [\"how\",\"many\"");
        assertThat(code.get(1))
                .isEqualTo(new RunEvent.Code("bash", "cd /tmp/work && python3 count.py"));
        assertThat(sink.stdout()).isEqualTo("5\n");
        var kinds = sink.events.stream().map(RunEvent::event).distinct().toList();
        assertThat(kinds).containsExactly("text", "code", "stdout");
        assertThat(fake.lastMessageRequest().body().path("system").asText())
                .contains("/tmp/outputs");
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void promptModeContinuesAfterPauseTurnAndFetchesFiles() {
        var s = session(PROMPT);
        var sink = new RecordingSink();

        var outcome = run(s, "pause then plot", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(fake.messageRequests()).hasSize(2);
        JsonNode messages = fake.lastMessageRequest().body().path("messages");
        assertThat(messages.get(messages.size() - 1).path("role").asText()).isEqualTo("assistant");
        assertThat(fake.lastMessageRequest().body().path("container").path("id").asText())
                .isEqualTo(s.containerId());
        assertThat(sink.stdout()).isEqualTo("3\n");
        assertThat(sink.files).containsKey("words.png");
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void promptModeReportsAToolErrorAndFinishes() {
        var s = session(PROMPT);
        fake.enqueue(new FakeAnthropic.ToolError("unavailable"));
        var sink = new RecordingSink();

        var outcome = run(s, "count me", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.notices()).singleElement().asString().contains("unavailable");
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

    @Test
    void eventsReachTheReaderWhileTheResponseIsStillComing() throws Exception {
        var s = session(PROMPT);
        var release = new java.util.concurrent.CountDownLatch(1);
        fake.enqueue(new FakeAnthropic.Hold(release));
        var sink = new RecordingSink();
        var running = CompletableFuture.supplyAsync(() -> run(s, "two words", sink));
        long waited = 0;
        while (sink.all(RunEvent.Text.class).isEmpty() && waited < 10_000) {
            Thread.sleep(20);
            waited += 20;
        }

        assertThat(sink.text()).startsWith("I'll count");
        assertThat(sink.stdout()).isEmpty();
        assertThat(running).isNotDone();
        release.countDown();
        assertThat(running.get(20, TimeUnit.SECONDS)).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("2\n");
    }

    @Test
    void pauseTurnIsContinuedOnlySoOften() {
        var s = session(PROMPT);
        var sink = new RecordingSink();

        var outcome = run(s, "pause forever", sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(fake.messageRequests()).hasSize(6);
        assertThat(sink.notices()).singleElement().asString().contains("paused after 5");
    }

    @Test
    void anAnswerWithoutRunningTheCodeIsAnError() {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.NoTool());
        var sink = new RecordingSink();

        var outcome = run(s, "print(1)", sink);

        assertThat(((RunOutcome.Failed) outcome).code()).isEqualTo("upstream_no_run");
        assertThat(sink.events).isEmpty();
    }

    @Test
    void theTimeLimitIsEnforcedOnThisSideToo() {
        var e =
                new AnthropicExecutor(
                        config(FakeAnthropic.KEY),
                        new AnthropicExecutor.Tuning(
                                Duration.ofMillis(500), 5, Duration.ofSeconds(2), 4096));
        closeables.add(e);
        var s = (AnthropicSession) e.open(CODE);
        fake.enqueue(new FakeAnthropic.Stall());
        var sink = new RecordingSink();
        long t0 = System.nanoTime();

        var outcome = run(s, "print(1)", sink, Duration.ofSeconds(1));

        assertThat(outcome).isEqualTo(new RunOutcome.Finished(RunStatus.TIMEOUT, null));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(sink.notices()).singleElement().asString().contains("No answer");
        var next = new RecordingSink();
        assertThat(run(s, "print('next')", next)).isEqualTo(RunOutcome.ok());
        assertThat(next.stdout()).isEqualTo("next\n");
    }
}
