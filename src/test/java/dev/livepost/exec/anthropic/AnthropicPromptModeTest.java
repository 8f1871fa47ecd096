package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Prompt mode through the real SDK against {@link FakeAnthropic}: what Claude says, the code it
 * runs and its output, as they arrive; {@code pause_turn}.
 */
class AnthropicPromptModeTest extends FakeApiTest {
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
        // The prompt tells Claude where files must go to come back: $OUTPUT_DIR, not a path.
        assertThat(fake.lastMessageRequest().body().path("system").get(0).path("text").asText())
                .contains("OUTPUT_DIR")
                .doesNotContain("/tmp/outputs");
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
        assertThat(fake.lastMessageRequest().body().path("container").asText())
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
    void eventsReachTheReaderWhileTheResponseIsStillComing() throws Exception {
        var s = session(PROMPT);
        var release = new java.util.concurrent.CountDownLatch(1);
        fake.enqueue(new FakeAnthropic.Hold(release));
        var sink = new RecordingSink();
        var running = CompletableFuture.supplyAsync(() -> run(s, "two words", sink));
        sink.await(e -> e instanceof RunEvent.Text, Duration.ofSeconds(10));

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
}
