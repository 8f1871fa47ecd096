package dev.livepost.exec.local;

import dev.livepost.exec.RunEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** Collects a run's events with the time each arrived. Thread-safe. */
final class Recorder implements Consumer<RunEvent> {
    record Timed(RunEvent event, long nanos) {}

    private final List<Timed> events = new ArrayList<>();

    @Override
    public synchronized void accept(RunEvent event) {
        events.add(new Timed(event, System.nanoTime()));
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
