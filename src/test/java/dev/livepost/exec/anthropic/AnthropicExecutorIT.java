package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.App;
import dev.livepost.Config;
import dev.livepost.LivepostException;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.SessionSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole server started with {@code --executor anthropic} and {@code ANTHROPIC_BASE_URL}
 * pointing at {@link FakeAnthropic}: health over HTTP, and runs through {@link
 * dev.livepost.exec.Sessions} (tokens, event order, file storage) into the fake's real containers.
 */
class AnthropicExecutorIT {
    @TempDir Path dir;
    private FakeAnthropic fake;
    private App app;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void stop() {
        if (app != null) {
            app.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    private App start(String key) throws Exception {
        fake = new FakeAnthropic();
        Files.createDirectories(dir.resolve("posts"));
        var env = new HashMap<String, String>();
        if (key != null) {
            env.put("ANTHROPIC_API_KEY", key);
        }
        env.put("ANTHROPIC_BASE_URL", fake.baseUrl().toString());
        var config =
                Config.parse(
                        List.of(
                                "--executor",
                                "anthropic",
                                "--port",
                                "0",
                                "--posts",
                                dir.resolve("posts").toString(),
                                "--data",
                                dir.resolve("data").toString()),
                        env,
                        dir);
        app = new App(config);
        app.start();
        return app;
    }

    private JsonNode healthz() throws Exception {
        var response =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + app.port() + "/healthz"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return json.readTree(response.body());
    }

    @Test
    void runsCodeThroughTheServerIntoTheContainer() throws Exception {
        start(FakeAnthropic.KEY);
        assertThat(healthz().path("executor").asText()).isEqualTo("anthropic");
        assertThat(healthz().path("executorAvailable").asBoolean()).isTrue();
        var sessions = app.sessions();
        var created =
                sessions.create(
                        new SessionSpec("demo/plot", "python", false, List.of()), null, null);
        var first = new CopyOnWriteArrayList<RunEvent>();
        var second = new CopyOnWriteArrayList<RunEvent>();

        sessions.prepare(created.session(), "n = 6\nprint(n * 7)").stream(first::add);
        sessions
                .prepare(
                        created.session(),
                        "import matplotlib.pyplot as plt\nplt.plot(range(n))\nprint(n)")
                .stream(second::add);

        assertThat(first.get(0)).isInstanceOf(RunEvent.Run.class);
        assertThat(((RunEvent.Run) first.get(0)).executor()).isEqualTo("anthropic");
        assertThat(first).contains(new RunEvent.Stdout("42\n"));
        assertThat(first.get(first.size() - 1)).isInstanceOf(RunEvent.Done.class);
        assertThat(((RunEvent.Done) first.get(first.size() - 1)).status()).isEqualTo(RunStatus.OK);
        assertThat(second).contains(new RunEvent.Stdout("6\n"));
        var file =
                second.stream()
                        .filter(e -> e instanceof RunEvent.File)
                        .map(RunEvent.File.class::cast)
                        .findFirst()
                        .orElseThrow();
        assertThat(file.name()).isEqualTo("figure-1.png");
        assertThat(file.mime()).isEqualTo("image/png");
        var served =
                http.send(
                        HttpRequest.newBuilder(
                                        URI.create("http://127.0.0.1:" + app.port() + file.url()))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("content-type")).hasValue("image/png");
        assertThat(served.body()).startsWith(0x89, 'P', 'N', 'G');
        assertThat(fake.containerCount()).isEqualTo(1);
        assertThat(fake.violations).isEmpty();
    }

    @Test
    void withoutAKeyTheServerStartsAndSaysWhy() throws Exception {
        start(null);

        var health = healthz();

        assertThat(health.path("status").asText()).isEqualTo("ok");
        assertThat(health.path("executorAvailable").asBoolean()).isFalse();
        assertThat(health.path("executorDetail").asText()).contains("ANTHROPIC_API_KEY");
        assertThatThrownBy(
                        () ->
                                app.sessions()
                                        .create(
                                                new SessionSpec(
                                                        "demo/x", "python", false, List.of()),
                                                null,
                                                null))
                .isInstanceOfSatisfying(
                        LivepostException.class, e -> assertThat(e.status()).isEqualTo(503));
        assertThat(fake.requests).isEmpty();
    }
}
