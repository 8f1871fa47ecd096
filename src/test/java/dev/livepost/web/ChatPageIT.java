package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.exec.anthropic.FakeAnthropicApi;
import dev.livepost.testing.TestApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code /chat} page as the server renders it: linked from the site header and holding the
 * conversation's place with the {@code anthropic} executor; on a {@code local}-only server not
 * linked, and saying what it needs.
 */
class ChatPageIT {
    @TempDir Path posts;

    private void post() throws Exception {
        Files.writeString(
                posts.resolve("p.md"), "---\ntitle: P\ndate: 2026-12-01\n---\n\nA post.\n");
    }

    @Test
    void aLocalOnlyServerExplainsWhatChatNeedsAndDoesNotLinkIt() throws Exception {
        post();
        try (var app = TestApp.start(posts, Map.of("LIVEPOST_POOL_SIZE", "0"))) {
            assertThat(app.get("/").body()).doesNotContain("href=\"/chat\"");
            assertThat(app.get("/posts/p").body()).doesNotContain("href=\"/chat\"");
            var page = app.get("/chat");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body())
                    .contains("Chat is not available on this server")
                    .contains("--executor anthropic")
                    .contains("ANTHROPIC_API_KEY")
                    .doesNotContain("<livepost-chat");
            var create = app.post("/api/chat", "{}");
            assertThat(create.statusCode()).isEqualTo(503);
            assertThat(create.body()).contains("chat_unavailable").contains("anthropic executor");
        }
    }

    @Test
    void withTheAnthropicExecutorTheHeaderLinksTheChatAndThePageSaysWhatIsKept() throws Exception {
        post();
        try (var fake = new FakeAnthropicApi();
                var app =
                        TestApp.start(
                                posts,
                                merge(fake.env(), Map.of("LIVEPOST_CHAT_MAX_MESSAGES", "12")))) {
            assertThat(app.get("/").body()).contains("<a href=\"/chat\">Chat</a>");
            assertThat(app.get("/posts/p").body()).contains("<a href=\"/chat\">Chat</a>");
            String page = app.get("/chat").body();
            assertThat(page)
                    .contains("<livepost-chat")
                    .contains("Conversations are not stored")
                    .contains("15 minutes after its last message")
                    .containsPattern("at most\\s+12 messages");
        }
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        var m = new java.util.HashMap<>(a);
        m.putAll(b);
        return m;
    }
}
