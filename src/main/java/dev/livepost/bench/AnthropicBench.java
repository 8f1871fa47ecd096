package dev.livepost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.App;
import dev.livepost.Config;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code livepost bench} rows for the {@code anthropic} executor, against the test suite's fake
 * Anthropic API ({@code scripts/fake-anthropic}) streaming its output at 50 tokens per second, as a
 * Sonnet model does: the characters Claude must copy into its tool call on a session's first and
 * later runs, the output tokens they cost, and the time from the request to the first output of a
 * new session. The anchor, measured in the same run, is the seed's way: the whole kernel in the
 * first command (the fake's Files API is switched off, so the executor falls back to it). Needs
 * Maven and the sources (the fake is test code); without them the rows are left out with a line
 * saying why.
 */
final class AnthropicBench {
    static final int TOKENS_PER_SECOND = 50;
    private static final String FIB =
            "a, b = 0, 1\nfor _ in range(15):\n    print(a)\n    a, b = b, a + b";
    private static final String POST =
            """
            ---
            title: Bench
            date: 2026-01-01
            ---
            ::code-runner{id=fib}
            ```python
            print(1)
            ```
            """;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final int sessions;
    private final URI fake;

    private AnthropicBench(URI fake, int sessions) {
        this.fake = fake;
        this.sessions = sessions;
    }

    /** What one mode measured: per session, its first and its later run. */
    private record Samples(
            List<Double> firstChars,
            List<Double> laterChars,
            List<Double> firstTokens,
            List<Double> laterTokens,
            List<Double> firstOutputMs) {
        Samples() {
            this(
                    new ArrayList<>(),
                    new ArrayList<>(),
                    new ArrayList<>(),
                    new ArrayList<>(),
                    new ArrayList<>());
        }
    }

    /** The rows, or none (with a line on stderr) when the fake cannot be started. */
    static List<Bench.Row> rows(Path home, boolean quick) {
        Process process;
        URI url;
        try {
            progress("starting the fake Anthropic API (scripts/fake-anthropic) ...");
            process =
                    new ProcessBuilder(
                                    home.resolve("scripts/fake-anthropic").toString(),
                                    "--tokens-per-second",
                                    String.valueOf(TOKENS_PER_SECOND))
                            .directory(home.toFile())
                            .redirectError(ProcessBuilder.Redirect.INHERIT)
                            .start();
            url = address(process);
        } catch (IOException | RuntimeException e) {
            progress("anthropic rows left out: the fake Anthropic API did not start (" + e + ")");
            return List.of();
        }
        try {
            // One unmeasured session first: the fake starts its sandboxes on first use.
            new AnthropicBench(url, 1).measure(home, true);
            var bench = new AnthropicBench(url, quick ? 2 : 4);
            Samples upload = bench.measure(home, true);
            Samples inline = bench.measure(home, false);
            String at = "anthropic, fake at " + TOKENS_PER_SECOND + " tokens/s: ";
            return List.of(
                    new Bench.Row(
                            at + "characters Claude must copy, first run",
                            upload.firstChars(),
                            inline.firstChars()),
                    new Bench.Row(
                            at + "characters Claude must copy, later run",
                            upload.laterChars(),
                            inline.laterChars()),
                    new Bench.Row(
                            at + "output tokens, first run",
                            upload.firstTokens(),
                            inline.firstTokens()),
                    new Bench.Row(
                            at + "output tokens, later run",
                            upload.laterTokens(),
                            inline.laterTokens()),
                    new Bench.Row(
                            at + "first output of a new session (ms)",
                            upload.firstOutputMs(),
                            inline.firstOutputMs()));
        } catch (Exception e) {
            progress("anthropic rows left out: " + e);
            return List.of();
        } finally {
            process.destroy();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads the fake's address from its first line; it may first compile the test classes. */
    private static URI address(Process process) throws IOException {
        var reader =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        var line =
                CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                String l;
                                while ((l = reader.readLine()) != null) {
                                    if (l.startsWith("fake Anthropic API on ")) {
                                        return l.substring("fake Anthropic API on ".length());
                                    }
                                }
                                return null;
                            } catch (IOException e) {
                                return null;
                            }
                        });
        try {
            String found = line.get(10, TimeUnit.MINUTES);
            if (found == null) {
                throw new IOException("it ended without saying its address");
            }
            return URI.create(found.trim());
        } catch (Exception e) {
            process.destroy();
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Runs {@link #sessions} new sessions, each with a first and a later run of Fibonacci. */
    private Samples measure(Path home, boolean uploads) throws Exception {
        control("POST", "/fake/uploads/" + (uploads ? "on" : "off"));
        Path tmp = Files.createTempDirectory("livepost-bench-anthropic");
        Path posts = Files.createDirectories(tmp.resolve("posts"));
        Files.writeString(posts.resolve("bench.md"), POST);
        var env = new HashMap<>(System.getenv());
        env.put("ANTHROPIC_API_KEY", "bench");
        env.put("ANTHROPIC_BASE_URL", fake.toString());
        env.put("LIVEPOST_ANTHROPIC_DAILY_BUDGET", "0");
        env.put("LIVEPOST_PRECOMPUTE", "false"); // no runs but the measured ones
        // The anchor's first command takes minutes to type at this pace: give both modes room,
        // so that the figure is the time it takes, not the time limit.
        env.put("LIVEPOST_RUN_TIMEOUT", "300");
        Config config =
                Config.parse(
                        List.of(
                                "--port",
                                "0",
                                "--executor",
                                "anthropic",
                                "--posts",
                                posts.toString(),
                                "--data",
                                tmp.resolve("data").toString()),
                        env,
                        home);
        var samples = new Samples();
        progress(
                "anthropic executor, kernel "
                        + (uploads ? "by upload" : "inline (the anchor)")
                        + ": "
                        + sessions
                        + " new sessions ...");
        try (var app = new App(config)) {
            var api = new ApiClient(URI.create("http://127.0.0.1:" + app.start()));
            for (int i = 0; i < sessions; i++) {
                String token = api.createSession("bench/fib");
                control("DELETE", "/fake/answered");
                long start = System.nanoTime();
                var first = api.run(token, FIB);
                check(first);
                samples.firstOutputMs().add((first.firstOutputNanos() - start) / 1e6);
                add(samples.firstChars(), samples.firstTokens());
                control("DELETE", "/fake/answered");
                check(api.run(token, FIB));
                add(samples.laterChars(), samples.laterTokens());
                api.deleteSession(token);
            }
        }
        return samples;
    }

    private static void check(ApiClient.Timing t) throws IOException {
        if (!t.status().equals("ok")) {
            throw new IOException("a run against the fake ended with " + t.status());
        }
    }

    /** Adds what the fake answered since it last forgot: characters of commands, output tokens. */
    private void add(List<Double> chars, List<Double> tokens) throws Exception {
        JsonNode answered = json.readTree(control("GET", "/fake/answered"));
        double c = 0;
        double t = 0;
        for (JsonNode a : answered) {
            c += a.path("command").asText("").length();
            t += a.path("outputTokens").asDouble();
        }
        chars.add(c);
        tokens.add(t);
    }

    private String control(String method, String path) throws Exception {
        var res =
                http.send(
                        HttpRequest.newBuilder(fake.resolve(path))
                                .method(method, HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IOException(method + " " + path + " on the fake: " + res.statusCode());
        }
        return res.body();
    }

    private static void progress(String message) {
        System.err.println("bench: " + message);
    }
}
