package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.TestApp;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Posts change while the real server runs: new, edited, deleted, drafts. */
class PostReloadIT {
    @TempDir Path posts;
    TestApp app;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(
                posts.resolve("first.md"), "---\ntitle: First\ndate: 2026-01-01\n---\nOne.\n");
        app = TestApp.start(posts, Map.of());
    }

    @AfterEach
    void stop() {
        app.close();
    }

    HttpResponse<String> get(String path) throws Exception {
        return app.send(app.request(path).timeout(Duration.ofSeconds(10)));
    }

    /** Longer than the blog's check interval (one second). */
    static void afterACheck() throws InterruptedException {
        Thread.sleep(1_200);
    }

    @Test
    void postsAppearChangeAndDisappear() throws Exception {
        assertThat(get("/posts/fresh").statusCode()).isEqualTo(404);
        Path file = posts.resolve("fresh.md");
        Files.writeString(file, "---\ntitle: Fresh\ndate: 2026-02-01\n---\nHello.\n");
        afterACheck();
        assertThat(get("/posts/fresh").body()).contains("<p>Hello.</p>");
        assertThat(get("/").body()).contains("Fresh");

        Files.writeString(file, "---\ntitle: Fresh\ndate: 2026-02-01\n---\nHello again, world.\n");
        afterACheck();
        assertThat(get("/posts/fresh").body()).contains("<p>Hello again, world.</p>");

        Files.delete(file);
        afterACheck();
        assertThat(get("/posts/fresh").statusCode()).isEqualTo(404);
        assertThat(get("/posts/first").statusCode()).isEqualTo(200);
    }

    @Test
    void aBrokenEditIsReportedAndTheServerKeepsServing() throws Exception {
        Path file = posts.resolve("first.md");
        Files.writeString(file, "---\ntitle: [oops\n---\nOne.\n");
        afterACheck();
        assertThat(get("/posts/first").statusCode()).isEqualTo(404);
        assertThat(get("/").statusCode()).isEqualTo(200);
        assertThat(app.app().blog().problems())
                .extracting(Object::toString)
                .anySatisfy(
                        p -> assertThat(p).startsWith(file + ":3: front matter is not valid YAML"));
    }

    @Test
    void draftsAreInvisible() throws Exception {
        Files.writeString(
                posts.resolve("secret.md"),
                "---\ntitle: Secret\ndate: 2030-01-01\ndraft: true\n---\n::code-runner\n```\n1\n```\n");
        afterACheck();
        assertThat(get("/posts/secret").statusCode()).isEqualTo(404);
        assertThat(get("/").body()).doesNotContain("Secret");
        assertThat(get("/feed.xml").body()).doesNotContain("Secret");
        var created = app.post("/api/sessions", "{\"artifact\":\"secret/1\"}");
        assertThat(created.statusCode()).isEqualTo(404);
        assertThat(created.body()).contains("artifact_not_found");
    }
}
