package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.LivepostException;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Everything that can go wrong on Anthropic's side ends the run with a clear {@code error} or
 * {@code done} event, and the session survives where it can.
 */
class AnthropicUpstreamErrorsTest extends FakeApiTest {
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
            if (what.equals("error")) {
                assertThat(sink.stderr()).isNotBlank(); // the timeout is worded by Sessions
            }
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
        fake.enqueue(new FakeAnthropic.StreamError("overloaded_error", "Overloaded", false));

        var outcome = run(s, "print(1)", new RecordingSink());

        assertThat(((RunOutcome.Failed) outcome).code()).isEqualTo("upstream_overloaded");
        assertThat(((RunOutcome.Failed) outcome).message()).contains("Overloaded");
    }

    @Test
    void aDroppedConnectionEndsTheRun() {
        var s = session(CODE);
        fake.enqueue(new FakeAnthropic.Drop(false));

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
        assertThat(sink.notices()).isEmpty(); // Sessions words the timeout for the reader
        var next = new RecordingSink();
        assertThat(run(s, "print('next')", next)).isEqualTo(RunOutcome.ok());
        assertThat(next.stdout()).isEqualTo("next\n");
    }

    @Test
    void aClosedExecutorOpensNoSessions() {
        var e = executor(FakeAnthropic.KEY);
        e.close();

        assertThatThrownBy(() -> e.open(CODE))
                .isInstanceOfSatisfying(
                        LivepostException.class, x -> assertThat(x.status()).isEqualTo(503));
        assertThat(fake.requests).isEmpty();
    }

    @Test
    void aFailureAfterTheResultStillEndsTheRunAsTheCodeDid() {
        var s = session(CODE);
        run(s, "v = 3", new RecordingSink());
        fake.enqueue(new FakeAnthropic.StreamError("overloaded_error", "Overloaded", true));
        var first = new RecordingSink();
        var one = run(s, "print(v)", first);
        fake.enqueue(new FakeAnthropic.Drop(true));
        var second = new RecordingSink();
        var two = run(s, "print(v * 2)", second);
        var third = new RecordingSink();

        var three = run(s, "print(v * 3)", third);

        assertThat(one).isEqualTo(RunOutcome.ok());
        assertThat(first.events).containsExactly(new RunEvent.Stdout("3\n"));
        assertThat(two).isEqualTo(RunOutcome.ok());
        assertThat(second.events).containsExactly(new RunEvent.Stdout("6\n"));
        assertThat(three).isEqualTo(RunOutcome.ok());
        assertThat(third.events).containsExactly(new RunEvent.Stdout("9\n"));
        assertThat(fake.containerCount()).isEqualTo(1);
    }
}
