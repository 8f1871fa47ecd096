package dev.livepost.exec.anthropic;

import dev.livepost.exec.FileNames;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunSink;
import dev.livepost.exec.TokenUsage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** Keeps every event and file of a run, in order, for assertions; a test can wait for one. */
final class RecordingSink implements RunSink {
    final List<RunEvent> events = new CopyOnWriteArrayList<>();
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final List<TokenUsage> usage = new CopyOnWriteArrayList<>();

    @Override
    public void usage(TokenUsage u) {
        usage.add(u);
    }

    @Override
    public void emit(RunEvent event) {
        add(event);
    }

    @Override
    public void file(String name, String mime, byte[] content) {
        files.put(name, content);
        String type = mime == null ? FileNames.mimeOf(name) : mime;
        add(new RunEvent.File(name, name, type, content.length));
    }

    @Override
    public void fileTooLarge(String name, long size) {
        add(new RunEvent.Notice("too large: " + name + " (" + size + " bytes)"));
    }

    private synchronized void add(RunEvent event) {
        events.add(event);
        notifyAll();
    }

    /** Waits until an event matches; fails the test if none did within {@code within}. */
    synchronized RunEvent await(Predicate<RunEvent> matches, Duration within)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            for (RunEvent e : events) {
                if (matches.test(e)) {
                    return e;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no such event within " + within + ": " + events);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    String stdout() {
        return events.stream()
                .filter(e -> e instanceof RunEvent.Stdout)
                .map(e -> ((RunEvent.Stdout) e).text())
                .collect(Collectors.joining());
    }

    String stderr() {
        return events.stream()
                .filter(e -> e instanceof RunEvent.Stderr)
                .map(e -> ((RunEvent.Stderr) e).text())
                .collect(Collectors.joining());
    }

    String text() {
        return events.stream()
                .filter(e -> e instanceof RunEvent.Text)
                .map(e -> ((RunEvent.Text) e).text())
                .collect(Collectors.joining());
    }

    List<String> notices() {
        return events.stream()
                .filter(e -> e instanceof RunEvent.Notice)
                .map(e -> ((RunEvent.Notice) e).message())
                .toList();
    }

    <T extends RunEvent> List<T> all(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
