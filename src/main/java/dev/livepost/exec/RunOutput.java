package dev.livepost.exec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The sink {@link Sessions} hands to the executor for one run: sanitizes rich values, stores files,
 * and stops a run whose output passes the limit (the reader is told with a {@code notice}).
 * Thread-safe: events reach {@code out} one at a time.
 */
final class RunOutput implements RunSink {
    private final ReaderSession session;
    private final Sessions.Settings settings;
    private final RandomIds ids;
    private final Consumer<RunEvent> out;
    private final boolean quiet;
    private long outputBytes;
    private boolean truncated;

    RunOutput(
            ReaderSession session,
            Sessions.Settings settings,
            RandomIds ids,
            Consumer<RunEvent> out) {
        this(session, settings, ids, out, false);
    }

    private RunOutput(
            ReaderSession session,
            Sessions.Settings settings,
            RandomIds ids,
            Consumer<RunEvent> out,
            boolean quiet) {
        this.session = session;
        this.settings = settings;
        this.ids = ids;
        this.out = out;
        this.quiet = quiet;
    }

    /** The setup block's sink: only its errors and notices reach the reader. */
    RunOutput setup() {
        return new RunOutput(session, settings, ids, out, true);
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
            out.accept(new RunEvent.Display(HtmlSanitizer.cleanBundle(d.mime())));
        } else {
            out.accept(event);
        }
    }

    private void text(RunEvent event, String text) {
        if (truncated) {
            return;
        }
        long room = settings.outputBytes() - outputBytes;
        outputBytes += text.length();
        if (text.length() <= room) {
            out.accept(event);
            return;
        }
        truncated = true;
        if (room > 0) {
            String head = text.substring(0, (int) room);
            out.accept(
                    event instanceof RunEvent.Stdout
                            ? new RunEvent.Stdout(head)
                            : new RunEvent.Stderr(head));
        }
        out.accept(new RunEvent.Notice(Notices.outputLimit(settings.outputBytes())));
        session.backend.interrupt();
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
        if (content.length > settings.maxFileBytes()) {
            fileTooLarge(name, content.length);
            return;
        }
        String safe = FileNames.sanitize(name);
        String type = mime == null || mime.isBlank() ? FileNames.mimeOf(safe) : mime;
        String id = ids.hex(12);
        Path path = session.filesDir.resolve(id);
        try {
            Files.createDirectories(session.filesDir);
            Files.write(path, content);
        } catch (IOException e) {
            throw new UncheckedIOException("could not store " + safe, e);
        }
        var stored = new StoredFile(id, safe, type, content.length, path);
        session.files.put(id, stored);
        synchronized (this) {
            out.accept(new RunEvent.File(id, safe, type, content.length));
        }
    }
}
