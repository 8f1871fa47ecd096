package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.StateLoss;
import dev.livepost.exec.TokenUsage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the owner pays for code mode, against {@link FakeAnthropic}: the kernel and long code go by
 * upload so Claude types short commands, with the inline fallback when uploads fail; the usage of
 * every run is reported, priced and counted; and the daily budget stops runs until the next UTC
 * day.
 */
class AnthropicCostTest extends FakeApiTest {
    private static final String FIB =
            "a, b = 0, 1\nfor _ in range(15):\n    print(a)\n    a, b = b, a + b";
    private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-01T23:59:00Z"));

    /** A clock the test moves on. */
    static final class MovableClock extends Clock {
        volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private AnthropicSession session(Map<String, String> env) {
        return session(executor(env, metrics, clock), CODE);
    }

    @Test
    void theFirstRunCopiesTheUploadedKernelAndLaterRunsOnlyTheCode() {
        var executor = executor(Map.of(), metrics, clock);
        var s = session(executor, CODE);
        var first = new RecordingSink();
        var later = new RecordingSink();

        assertThat(run(s, FIB, first)).isEqualTo(RunOutcome.ok());
        assertThat(run(s, FIB, later)).isEqualTo(RunOutcome.ok());

        assertThat(later.stdout()).startsWith("0\n1\n1\n2\n").endsWith("377\n");
        var requests = fake.messageRequests();
        assertThat(command(requests.get(0))).hasSizeLessThanOrEqualTo(400).doesNotContain("def ");
        assertThat(command(requests.get(1))).hasSizeLessThanOrEqualTo(200 + FIB.length());
        assertThat(uploads(requests.get(0))).hasSize(1);
        assertThat(fake.files.uploads.get()).isEqualTo(1);
        // Another session of the same server reuses the uploaded kernel.
        var other = session(executor, CODE);
        assertThat(run(other, "print(2)", new RecordingSink())).isEqualTo(RunOutcome.ok());
        assertThat(fake.files.uploads.get()).isEqualTo(1);
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void everyRunReportsItsTokensAndCostAndTheyAreCounted() {
        var s = session(Map.of());
        var first = new RecordingSink();
        var later = new RecordingSink();

        run(s, FIB, first);
        run(s, FIB, later);

        TokenUsage a = first.usage.get(0);
        TokenUsage b = later.usage.get(0);
        // The tool input Claude typed is output; the cached system prompt is written, then read.
        assertThat(a.outputTokens())
                .isGreaterThan(FakeStream.tokens(command(fake.messageRequests().get(0)).length()));
        assertThat(a.cacheWriteTokens()).isPositive();
        assertThat(b.cacheReadTokens()).isEqualTo(a.cacheWriteTokens());
        assertThat(b.cacheWriteTokens()).isZero();
        assertThat(a.costUsd()).isPositive(); // the default model is a Sonnet: priced
        assertThat(b.costUsd()).isLessThan(a.costUsd());
        assertThat(metrics.counter("livepost_anthropic_tokens", "kind", "output").count())
                .isEqualTo((double) a.outputTokens() + b.outputTokens());
        assertThat(metrics.counter("livepost_anthropic_cost_usd_total").count())
                .isCloseTo(a.costUsd() + b.costUsd(), org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theDailyBudgetStopsRunsUntilTheNextUtcDay() {
        var s = session(Map.of("LIVEPOST_ANTHROPIC_DAILY_BUDGET", "100"));
        assertThat(run(s, "x = 1", new RecordingSink())).isEqualTo(RunOutcome.ok());
        int requests = fake.messageRequests().size();

        var refused = run(s, "print(x)", new RecordingSink());

        assertThat(refused).isInstanceOf(RunOutcome.Failed.class);
        assertThat(((RunOutcome.Failed) refused).code()).isEqualTo("budget_exhausted");
        assertThat(((RunOutcome.Failed) refused).message()).contains("00:00 UTC");
        assertThat(fake.messageRequests()).hasSize(requests); // no call was made
        clock.now = clock.now.plus(Duration.ofMinutes(2)); // past midnight UTC
        var sink = new RecordingSink();
        assertThat(run(s, "print(x)", sink)).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("1\n");
    }

    @Test
    void withoutTheFilesApiTheKernelGoesInline() {
        fake.files.uploadsEnabled = false;
        var s = session(Map.of());
        var sink = new RecordingSink();

        assertThat(run(s, "print('inline')", sink)).isEqualTo(RunOutcome.ok());

        assertThat(sink.stdout()).isEqualTo("inline\n");
        assertThat(command(fake.lastMessageRequest())).contains("def serve");
        assertThat(uploads(fake.lastMessageRequest())).isEmpty();
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void aContainerWithoutTheUploadGetsTheRunAgainInline() {
        fake.enqueue(new FakeAnthropic.NoStaging());
        var s = session(Map.of());
        var sink = new RecordingSink();

        assertThat(run(s, "print('again')", sink)).isEqualTo(RunOutcome.ok());

        assertThat(sink.stdout()).isEqualTo("again\n");
        assertThat(sink.stderr()).isEmpty();
        var requests = fake.messageRequests();
        assertThat(requests).hasSize(2);
        assertThat(command(requests.get(0))).contains("$INPUT_DIR/lp-");
        assertThat(command(requests.get(1))).contains("def serve");
    }

    @Test
    void anUploadTheApiForgotIsUploadedAgain() {
        var executor = executor(Map.of(), metrics, clock);
        run(session(executor, CODE), "print(1)", new RecordingSink());
        fake.files.delete(uploads(fake.lastMessageRequest()).get(0));
        var fresh = session(executor, CODE); // a new container needs the kernel again
        var sink = new RecordingSink();

        assertThat(run(fresh, "print(2)", sink)).isEqualTo(RunOutcome.ok());

        assertThat(sink.stdout()).isEqualTo("2\n");
        assertThat(fake.files.uploads.get()).isEqualTo(2);
        assertThat(command(fake.lastMessageRequest())).doesNotContain("def serve");
    }

    @Test
    void longCodeGoesByUploadAndTheCommandStaysShort() {
        var s = session(Map.of());
        var code = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            code.append("v").append(i).append(" = ").append(i).append(" * 2  # padding\n");
        }
        code.append("print(v199)\n");
        var sink = new RecordingSink();

        assertThat(run(s, code.toString(), sink)).isEqualTo(RunOutcome.ok());

        assertThat(sink.stdout()).isEqualTo("398\n");
        assertThat(code.length()).isGreaterThan(AnthropicSession.INLINE_CODE_MAX);
        assertThat(command(fake.lastMessageRequest())).hasSizeLessThan(400);
        assertThat(uploads(fake.lastMessageRequest())).hasSize(2);
    }

    @Test
    void aDeadContainerNamedWithAnUploadIsReplaced() {
        var s = session(Map.of());
        run(s, "x = 1", new RecordingSink());
        fake.expire(s.containerId());
        String longCode = "print('long')\n" + "#".repeat(AnthropicSession.INLINE_CODE_MAX);

        // The API answers 500 for a dead container named together with an upload.
        assertThat(run(s, longCode, new RecordingSink()))
                .isEqualTo(new RunOutcome.Lost(new StateLoss.ContainerReplaced()));
        var sink = new RecordingSink();
        assertThat(run(s, longCode, sink)).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("long\n");
    }

    @Test
    void aPassing500KeepsTheContainerAndItsState() {
        var s = session(Map.of());
        run(s, "x = 41", new RecordingSink());
        String container = s.containerId();
        fake.enqueue(new FakeAnthropic.HttpError(500, "api_error", "Internal server error", null));
        var sink = new RecordingSink();

        assertThat(run(s, "print(x + 1)", sink)).isEqualTo(RunOutcome.ok());

        assertThat(sink.stdout()).isEqualTo("42\n");
        assertThat(s.containerId()).isEqualTo(container);
    }

    @Test
    void theToolVersionIsConfigurable() {
        var s = session(Map.of("LIVEPOST_ANTHROPIC_TOOL", "code_execution_20260521"));

        assertThat(run(s, "print(1)", new RecordingSink())).isEqualTo(RunOutcome.ok());

        assertThat(fake.lastMessageRequest().body().path("tools").get(0).path("type").asText())
                .isEqualTo("code_execution_20260521");
    }
}
