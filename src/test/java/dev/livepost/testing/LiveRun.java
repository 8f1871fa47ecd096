package dev.livepost.testing;

import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A run's event stream read as it arrives, so a test can wait for an event (e.g. the code's first
 * line) before it acts, instead of sleeping. Thread-safe.
 */
public final class LiveRun {
    private final List<Sse.Event> events = new ArrayList<>();
    private final CompletableFuture<List<Sse.Event>> all = new CompletableFuture<>();

    private LiveRun() {}

    /** Sends a run request and reads its stream on the client's threads; fails unless 200. */
    public static LiveRun start(HttpClient http, HttpRequest request) {
        var live = new LiveRun();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                .thenAcceptAsync(live::read)
                .exceptionally(
                        e -> {
                            live.all.completeExceptionally(e);
                            return null;
                        });
        return live;
    }

    private void read(HttpResponse<Stream<String>> response) {
        if (response.statusCode() != 200) {
            all.completeExceptionally(
                    new AssertionError(
                            "run: "
                                    + response.statusCode()
                                    + " "
                                    + String.join("\n", response.body().toList())));
            return;
        }
        try (var lines = response.body()) {
            Sse.read(lines, this::add);
        } catch (UncheckedIOException e) {
            // the server cut the stream: what arrived is what there is
        }
        synchronized (this) {
            all.complete(List.copyOf(events));
            notifyAll();
        }
    }

    private synchronized void add(Sse.Event event) {
        events.add(event);
        notifyAll();
    }

    /** Waits for the first event that matches; fails if the stream ends or time runs out first. */
    public synchronized Sse.Event await(Predicate<Sse.Event> matches, Duration within)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        for (int seen = 0; ; ) {
            for (; seen < events.size(); seen++) {
                if (matches.test(events.get(seen))) {
                    return events.get(seen);
                }
            }
            long left = deadline - System.nanoTime();
            if (all.isDone() || left <= 0) {
                throw new AssertionError("no such event within " + within + ": " + events);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Waits until the code printed {@code text} in one stdout event. */
    public Sse.Event awaitStdout(String text) throws InterruptedException {
        return await(
                e -> e.name().equals("stdout") && e.text().contains(text), Duration.ofSeconds(30));
    }

    /** Every event, once the server ended the stream. */
    public List<Sse.Event> events(Duration within)
            throws InterruptedException, ExecutionException, TimeoutException {
        return all.get(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the stream has ended. */
    public boolean ended() {
        return all.isDone();
    }
}
