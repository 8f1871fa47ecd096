package dev.livepost.exec.local;

import dev.livepost.exec.EventSink;
import dev.livepost.exec.RunEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Collects a run's events with the time each arrived, and lets a test wait for one. Thread-safe.
 */
final class Recorder implements EventSink {
    record Timed(RunEvent event, long nanos) {}

    private final List<Timed> events = new ArrayList<>();
    private boolean closed;

    @Override
    public synchronized void send(RunEvent event) {
        events.add(new Timed(event, System.nanoTime()));
        notifyAll();
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** Waits until an event matches; fails the test if none did within {@code within}. */
    synchronized RunEvent await(Predicate<RunEvent> matches, Duration within)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        for (int seen = 0; ; ) {
            for (; seen < events.size(); seen++) {
                if (matches.test(events.get(seen).event())) {
                    return events.get(seen).event();
                }
            }
            long left = deadline - System.nanoTime();
            if (closed || left <= 0) {
                throw new AssertionError("no such event within " + within + ": " + events);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Waits until the run's stream was closed after its last event; returns this. */
    synchronized Recorder finished(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("the run did not end within " + within + ": " + events);
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return this;
    }

    /** Waits until the code printed {@code text} (within one stdout event). */
    RunEvent awaitStdout(String text) throws InterruptedException {
        return await(
                e -> e instanceof RunEvent.Stdout o && o.text().contains(text),
                Duration.ofSeconds(30));
    }

    synchronized List<Timed> timed() {
        return List.copyOf(events);
    }

    synchronized List<RunEvent> events() {
        return events.stream().map(Timed::event).toList();
    }

    List<String> names() {
        return events().stream().map(RunEvent::event).toList();
    }

    String stdout() {
        return events().stream()
                .filter(e -> e instanceof RunEvent.Stdout)
                .map(e -> ((RunEvent.Stdout) e).text())
                .collect(Collectors.joining());
    }

    String stderr() {
        return events().stream()
                .filter(e -> e instanceof RunEvent.Stderr)
                .map(e -> ((RunEvent.Stderr) e).text())
                .collect(Collectors.joining());
    }

    String notices() {
        return events().stream()
                .filter(e -> e instanceof RunEvent.Notice)
                .map(e -> ((RunEvent.Notice) e).message())
                .collect(Collectors.joining("\n"));
    }

    RunEvent.Done done() {
        List<RunEvent> all = events();
        RunEvent last = all.get(all.size() - 1);
        if (!(last instanceof RunEvent.Done d)) {
            throw new AssertionError("last event is not done: " + all);
        }
        return d;
    }

    <T extends RunEvent> List<T> all(Class<T> type) {
        return events().stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Override
    public String toString() {
        return events().toString();
    }
}
