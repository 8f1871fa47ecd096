package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.SessionSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Conversations through the real SDK against {@link FakeAnthropic}: the history goes back with
 * every message, one container serves the whole conversation (messages and the reader's code), and
 * each piece of code Claude ran arrives as an artifact followed by its output.
 */
class AnthropicChatTest extends FakeApiTest {
    static final SessionSpec CHAT = SessionSpec.chat(List.of());

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

    @Test
    void aConversationSendsItsHistoryBackAndKeepsOneContainer() {
        var s = session(CHAT);

        assertThat(run(s, SAVE, new RecordingSink())).isEqualTo(RunOutcome.ok());
        var second = new RecordingSink();
        assertThat(run(s, SUM, second)).isEqualTo(RunOutcome.ok());
        var third = new RecordingSink();
        assertThat(run(s, "What did I ask first?", third)).isEqualTo(RunOutcome.ok());

        // The second message found the file the first one wrote: the same container.
        assertThat(second.stdout()).isEqualTo("55\n");
        assertThat(fake.containerCount()).isEqualTo(1);
        var requests = fake.messageRequests();
        assertThat(requests).hasSize(3);
        assertThat(requests.get(0).body().has("container")).isFalse();
        assertThat(requests.get(1).body().path("container").asText()).isEqualTo(s.containerId());
        assertThat(requests.get(2).body().path("container").asText()).isEqualTo(s.containerId());
        // The history: user, assistant, user, assistant, user, with Claude's tool calls and
        // results as they came (the fake checks they pair up).
        JsonNode messages = requests.get(2).body().path("messages");
        assertThat(roles(messages))
                .containsExactly("user", "assistant", "user", "assistant", "user");
        assertThat(types(messages.get(1)))
                .contains(
                        "text",
                        "server_tool_use",
                        "text_editor_code_execution_tool_result",
                        "bash_code_execution_tool_result");
        assertThat(messages.get(2).path("content").toString()).contains("Sum them");
        assertThat(third.text()).contains("You first asked").contains("Save the squares");
        assertThat(s.exchanges()).isEqualTo(3);
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void anAnswerStreamsTextThenEachArtifactWithItsOutput() {
        var s = session(CHAT);
        var sink = new RecordingSink();

        run(s, SUM.replace("json.load(open('squares.json'))", "[1, 4, 9]"), sink);

        var kinds = sink.events.stream().map(RunEvent::event).toList();
        assertThat(kinds.get(0)).isEqualTo("text");
        assertThat(kinds.subList(kinds.indexOf("artifact"), kinds.indexOf("artifact") + 2))
                .containsExactly("artifact", "stdout");
        assertThat(kinds.get(kinds.size() - 1)).isEqualTo("text");
        // The file Claude wrote and the command that ran it are one artifact: the code to edit.
        assertThat(sink.all(RunEvent.Artifact.class))
                .containsExactly(
                        new RunEvent.Artifact(
                                "python",
                                "import json\nprint(sum([1, 4, 9]))\n",
                                "/tmp/work/step1.py",
                                "cd /tmp/work && python3 step1.py"));
        assertThat(sink.stdout()).isEqualTo("14\n");
        assertThat(sink.all(RunEvent.Code.class)).isEmpty();
    }

    @Test
    void claudesWordsReachTheReaderWhileTheAnswerIsStillComing() throws Exception {
        var s = session(CHAT);
        var release = new java.util.concurrent.CountDownLatch(1);
        fake.enqueue(new FakeAnthropic.Hold(release));
        var sink = new RecordingSink();
        var answering = java.util.concurrent.CompletableFuture.supplyAsync(() -> run(s, SUM, sink));

        // The first text block, whole (its deltas may be cut anywhere), and nothing after it.
        sink.await(
                e -> sink.text().equals("**Message 1** of our conversation. "),
                java.time.Duration.ofSeconds(10));
        assertThat(sink.all(RunEvent.Artifact.class)).isEmpty();
        assertThat(answering).isNotDone();
        release.countDown();
        assertThat(answering.get(30, java.util.concurrent.TimeUnit.SECONDS))
                .isEqualTo(RunOutcome.ok());
        assertThat(sink.all(RunEvent.Artifact.class)).hasSize(1);
    }

    @Test
    void theReadersCodeRunsInTheConversationsContainer() {
        var s = session(CHAT);
        run(s, SAVE, new RecordingSink());
        String container = s.containerId();
        var sink = new RecordingSink();

        var outcome =
                s.run(
                        new RunRequest(
                                "r2",
                                "import json\nprint(max(json.load(open('/tmp/work/squares.json'))))",
                                TIMEOUT,
                                true),
                        sink);

        assertThat(outcome).isEqualTo(RunOutcome.ok());
        assertThat(sink.stdout()).isEqualTo("25\n");
        var code = fake.lastMessageRequest();
        assertThat(code.body().path("container").asText()).isEqualTo(container);
        assertThat(command(code)).contains("lp.py");
        assertThat(fake.containerCount()).isEqualTo(1);
        // Claude's next answer still has the conversation: the reader's run is not a message.
        run(s, "What did I ask first?", new RecordingSink());
        assertThat(roles(fake.lastMessageRequest().body().path("messages")))
                .containsExactly("user", "assistant", "user");
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void aPausedAnswerIsContinuedAndKeptWhole() {
        var s = session(CHAT);
        run(s, "pause, then " + SAVE, new RecordingSink());
        var sink = new RecordingSink();

        run(s, "What did I ask first?", sink);

        assertThat(fake.messageRequests()).hasSize(3);
        // Both assistant messages of the paused answer came back (the API joins them).
        assertThat(roles(fake.lastMessageRequest().body().path("messages")))
                .containsExactly("user", "assistant", "assistant", "user");
        assertThat(fake.violations).isEmpty();
    }

    private static List<String> roles(JsonNode messages) {
        var out = new ArrayList<String>();
        messages.forEach(m -> out.add(m.path("role").asText()));
        return out;
    }

    private static List<String> types(JsonNode message) {
        var out = new ArrayList<String>();
        message.path("content").forEach(b -> out.add(b.path("type").asText()));
        return out;
    }
}
