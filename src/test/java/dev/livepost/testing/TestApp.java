package dev.livepost.testing;

import dev.livepost.App;
import dev.livepost.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The real Livepost server for integration tests: {@link App} on a free port (0) over a given posts
 * folder, with a temporary data folder (deleted on {@link #close}) and environment overrides, plus
 * the few HTTP calls the tests make. Thread-safe as far as {@link HttpClient} is.
 */
public final class TestApp implements AutoCloseable {
    private final Path data;
    private final App app;
    private final int port;
    private final String base;
    private final HttpClient http = HttpClient.newHttpClient();

    private TestApp(Path posts, Map<String, String> given) throws IOException {
        this.data = Files.createTempDirectory("livepost-data-");
        // Precomputing in the background would add sandboxes and sessions that most tests do not
        // expect; the tests of precomputed outputs turn it on. An auto pool would start hundreds
        // of sandboxes beside each test.
        var env = new java.util.HashMap<>(given);
        env.putIfAbsent("LIVEPOST_PRECOMPUTE", "false");
        env.putIfAbsent("LIVEPOST_POOL_SIZE", "4");
        Config config =
                Config.parse(
                        List.of(
                                "--port",
                                "0",
                                "--posts",
                                posts.toString(),
                                "--data",
                                data.toString()),
                        env,
                        Path.of("").toAbsolutePath());
        this.app = new App(config);
        this.port = app.start();
        this.base = "http://127.0.0.1:" + port;
    }

    /**
     * Starts the server on {@code posts} with {@code env} as its environment ({@code
     * LIVEPOST_PRECOMPUTE} is {@code false} and {@code LIVEPOST_POOL_SIZE} 4 unless {@code env}
     * says otherwise).
     */
    public static TestApp start(Path posts, Map<String, String> env) throws IOException {
        return new TestApp(posts, env);
    }

    /**
     * Copies the repository's bundled sample posts (tests run in the project folder) to {@code to}.
     */
    public static void copyBundledPosts(Path to) throws IOException {
        try (Stream<Path> bundled = Files.list(Path.of("posts"))) {
            for (Path p : bundled.filter(p -> p.toString().endsWith(".md")).toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    /** The server's data folder (deleted on {@link #close}). */
    public Path data() {
        return data;
    }

    public App app() {
        return app;
    }

    /** The port the server listens on (127.0.0.1). */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash. */
    public String base() {
        return base;
    }

    public HttpClient http() {
        return http;
    }

    /** A request for {@code path} on this server. */
    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path));
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).GET());
    }

    /** A JSON {@code POST}. */
    public HttpResponse<String> post(String path, String json)
            throws IOException, InterruptedException {
        return send(
                request(path)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return send(request(path).DELETE());
    }

    public HttpResponse<String> send(HttpRequest.Builder request)
            throws IOException, InterruptedException {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Stops the server and deletes its data folder. */
    @Override
    public void close() {
        try {
            app.close();
        } finally {
            deleteRecursively(data);
        }
    }

    /** Deletes a folder and everything in it. */
    public static void deleteRecursively(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
