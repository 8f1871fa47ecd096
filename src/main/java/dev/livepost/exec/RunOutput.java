package dev.livepost.exec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The sink {@link Sessions} hands to the executor for one run. Everything the sandbox sends is
 * untrusted, so the limits are counted here, outside it: stdout, stderr, notices and displayed
 * values share the run's output limit (a display is counted before and after sanitizing), files are
 * capped per run and per session on the server's disk, and each file's type is the server's own
 * choice. A run past its output limit is stopped, and the reader told with a {@code notice}.
 * Thread-safe: events reach {@code out} one at a time.
 */
final class RunOutput implements RunSink {
    static final int MAX_FILES_PER_RUN = 20;

    private final ReaderSession session;
    private final String runId;
    private final Sessions.Settings settings;
    private final RandomIds ids;
    private final Consumer<RunEvent> out;
    private final boolean quiet;
    private long outputBytes; // guarded by this
    private boolean stopped; // guarded by this
    private int files; // guarded by this

    RunOutput(
            ReaderSession session,
            String runId,
            Sessions.Settings settings,
            RandomIds ids,
            Consumer<RunEvent> out) {
        this(session, runId, settings, ids, out, false);
    }

    private RunOutput(
            ReaderSession session,
            String runId,
            Sessions.Settings settings,
            RandomIds ids,
            Consumer<RunEvent> out,
            boolean quiet) {
        this.session = session;
        this.runId = runId;
        this.settings = settings;
        this.ids = ids;
        this.out = out;
        this.quiet = quiet;
    }

    /** The setup code's sink: only its errors and notices reach the reader. */
    RunOutput setup() {
        return new RunOutput(session, runId, settings, ids, out, true);
    }

    /** A notice of the server's own (not the sandbox's): never counted, never dropped. */
    synchronized void notice(String message) {
        out.accept(new RunEvent.Notice(message));
    }

    @Override
    public synchronized void emit(RunEvent event) {
        if (quiet && !(event instanceof RunEvent.Stderr || event instanceof RunEvent.Notice)) {
            return;
        }
        // Java 17: no pattern matching for switch yet.
        if (event instanceof RunEvent.Stdout o) {
            text(event, o.text());
        } else if (event instanceof RunEvent.Stderr e) {
            text(event, e.text());
        } else if (event instanceof RunEvent.Display d) {
            display(d);
        } else if (event instanceof RunEvent.Notice n) {
            // Reader code can forge a notice as well as print: it counts like output.
            if (!stopped && charge(n.message().length())) {
                out.accept(event);
            }
        } else {
            out.accept(event);
        }
    }

    private void text(RunEvent event, String text) {
        if (stopped) {
            return;
        }
        long room = settings.outputBytes() - outputBytes;
        if (text.length() <= room) {
            outputBytes += text.length();
            out.accept(event);
            return;
        }
        if (room > 0) {
            String head = text.substring(0, (int) room);
            out.accept(
                    event instanceof RunEvent.Stdout
                            ? new RunEvent.Stdout(head)
                            : new RunEvent.Stderr(head));
        }
        stop();
    }

    /** A value is counted as sent, then again if sanitizing made it larger (escaped text). */
    private void display(RunEvent.Display d) {
        if (stopped) {
            return;
        }
        long raw = size(d.mime());
        if (!charge(raw)) {
            return;
        }
        Map<String, String> clean = HtmlSanitizer.cleanBundle(d.mime());
        long grown = size(clean) - raw;
        if (grown > 0 && !charge(grown)) {
            return;
        }
        out.accept(new RunEvent.Display(clean));
    }

    private boolean charge(long bytes) {
        if (bytes > settings.outputBytes() - outputBytes) {
            stop();
            return false;
        }
        outputBytes += bytes;
        return true;
    }

    /** The output limit is reached: the rest of the run's output is dropped and the run stopped. */
    private void stop() {
        stopped = true;
        out.accept(new RunEvent.Notice(Notices.outputLimit(settings.outputBytes())));
        session.backend().interrupt();
    }

    private static long size(Map<String, String> bundle) {
        return bundle.values().stream().mapToLong(String::length).sum();
    }

    @Override
    public void fileTooLarge(String name, long size) {
        if (!quiet) {
            emit(
                    new RunEvent.Notice(
                            Notices.fileTooLarge(
                                    FileNames.sanitize(name), size, settings.maxFileBytes())));
        }
    }

    @Override
    public void file(String name, String mime, byte[] content) {
        if (quiet) {
            return;
        }
        String safe = FileNames.sanitize(name);
        synchronized (this) {
            if (++files > MAX_FILES_PER_RUN) {
                if (files == MAX_FILES_PER_RUN + 1) {
                    out.accept(new RunEvent.Notice(Notices.tooManyFiles(MAX_FILES_PER_RUN)));
                }
                return;
            }
        }
        if (content.length > settings.maxFileBytes()) {
            fileTooLarge(safe, content.length);
            return;
        }
        // The sandbox's word on the type (mime) is not taken: the server decides.
        String type = FileTypes.of(safe, content);
        String id = ids.hex(12);
        var stored = store(id, safe, type, content);
        synchronized (this) {
            out.accept(
                    stored
                            ? new RunEvent.File(id, safe, type, content.length)
                            : new RunEvent.Notice(
                                    Notices.sessionDiskFull(safe, settings.sessionDiskBytes())));
        }
    }

    private boolean store(String id, String safe, String type, byte[] content) {
        try {
            return session.store(runId, id, safe, type, content, settings.sessionDiskBytes())
                    .isPresent();
        } catch (IOException e) {
            throw new UncheckedIOException("could not store " + safe, e);
        }
    }
}
