package dev.livepost.precompute;

import dev.livepost.LivepostException;
import dev.livepost.blog.Artifact;
import dev.livepost.exec.EventSink;
import dev.livepost.exec.Run;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.Sessions;
import dev.livepost.exec.StoredFile;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Runs one artifact once in a fresh session of {@link Sessions}, with the same policies as a
 * reader's run (its setup chain first, limits, sanitizing), and stores what it printed, displayed
 * and wrote. The session is deleted afterwards. Stateless; blocks for the whole run.
 */
final class ArtifactRun {
    /** The client address precomputed runs count against (the per-client cap applies to it). */
    static final String CLIENT = "precompute";

    /** The {@code error} code of a run that found no free sandbox in time. */
    private static final String BUSY = "executor_busy";

    private final Sessions sessions;
    private final OutputStore store;
    private final Clock clock;

    ArtifactRun(Sessions sessions, OutputStore store, Clock clock) {
        this.sessions = sessions;
        this.store = store;
        this.clock = clock;
    }

    /**
     * Runs {@code a} and stores its output under {@code key}, unless it could not run at all.
     *
     * @return what it produced; {@link Precomputed#FAILED} when it could not run (not stored)
     * @throws LivepostException when the server has no room for a session now (429 or 503 with
     *     {@code Retry-After}: try again later) or cannot run code at all
     */
    Precomputed run(Artifact a, List<Artifact> chain, String key) throws IOException {
        var spec = new SessionSpec(a.address(), a.lang(), a.prompt(), a.skills());
        var created =
                sessions.create(
                        spec,
                        chain.stream().map(Artifact::code).toList(),
                        a.timeoutSeconds() == null ? null : Duration.ofSeconds(a.timeoutSeconds()),
                        CLIENT);
        String token = created.session();
        var collected = new Collector();
        // Whole seconds: the page shows minutes, and the stored JSON stays tidy.
        var started = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        try {
            try (Run run = sessions.start(token, a.code())) {
                run.stream(collected);
            }
            if (BUSY.equals(collected.errorCode)) {
                // It waited in line for a sandbox and gave up: readers come first; later.
                throw LivepostException.retryLater(503, BUSY, collected.message, 30);
            }
            var files = new LinkedHashMap<String, byte[]>();
            var items = new ArrayList<Precomputed.Item>();
            for (Precomputed.Item item : collected.items) {
                if (item.kind().equals("file")) {
                    StoredFile f = sessions.file(token, item.file());
                    String stored = storedName(files.size() + 1, f.name());
                    files.put(stored, Files.readAllBytes(f.path()));
                    items.add(Precomputed.Item.file(f.name(), f.mime(), f.size(), stored));
                } else {
                    items.add(item);
                }
            }
            var out =
                    new Precomputed(
                            key,
                            a.address(),
                            started,
                            collected.status,
                            collected.message,
                            collected.durationMs,
                            items);
            if (!Precomputed.FAILED.equals(out.status())) {
                store.put(out, files);
            }
            return out;
        } finally {
            try {
                sessions.delete(token);
            } catch (LivepostException e) {
                // Already gone (expired, server closing): nothing to free.
            }
        }
    }

    private static String storedName(int index, String name) {
        return OutputStore.storedName(index, name);
    }

    /** Collects a run's events; files by their session id until the run ends. */
    private static final class Collector implements EventSink {
        final List<Precomputed.Item> items = new ArrayList<>();
        String status = Precomputed.FAILED;
        String message = "The run ended without a result.";
        String errorCode;
        long durationMs;

        @Override
        public void send(RunEvent event) {
            if (event instanceof RunEvent.Stdout o) {
                stream("stdout", o.text());
            } else if (event instanceof RunEvent.Stderr e) {
                stream("stderr", e.text());
            } else if (event instanceof RunEvent.Text t) {
                stream("text", t.text());
            } else if (event instanceof RunEvent.Notice n) {
                items.add(Precomputed.Item.stream("notice", n.message()));
            } else if (event instanceof RunEvent.Display d) {
                items.add(Precomputed.Item.display(d.mime()));
            } else if (event instanceof RunEvent.Code c) {
                items.add(Precomputed.Item.code(c.language(), c.code()));
            } else if (event instanceof RunEvent.File f) {
                // Keeps the session's file id until the run is over and the file can be copied.
                items.add(Precomputed.Item.file(f.name(), f.mime(), f.size(), f.id()));
            } else if (event instanceof RunEvent.Done d) {
                status = d.status().wire();
                message = null;
                durationMs = d.durationMs();
            } else if (event instanceof RunEvent.Error e) {
                status = Precomputed.FAILED;
                errorCode = e.code();
                message = e.message() + " (" + e.code() + ")";
            }
        }

        private void stream(String kind, String text) {
            int last = items.size() - 1;
            if (last >= 0 && items.get(last).kind().equals(kind)) {
                items.set(last, Precomputed.Item.stream(kind, items.get(last).text() + text));
            } else {
                items.add(Precomputed.Item.stream(kind, text));
            }
        }

        @Override
        public void close() {}
    }
}
