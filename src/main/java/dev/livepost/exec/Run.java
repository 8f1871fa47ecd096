package dev.livepost.exec;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One run of a reader session, from its slot to its last event. {@link Sessions#start} makes it
 * once the request passed its checks, and it holds the session's only run slot until it ends:
 * {@link #stream} frees the slot just before the last event (so a next run sent as soon as {@code
 * done} arrives is not refused), and {@link #close} frees the slot of a run that never streamed.
 * {@link #completion} completes after the last event was sent and the stream closed, so shutdown,
 * closed tabs and tests wait on it instead of polling. Thread-safe: {@link #interrupt} may come
 * from any thread, at any time, also before the code started.
 */
public final class Run implements AutoCloseable {
    private final ReaderSession session;
    private final String id;
    private final String source;
    private final boolean code;
    private final SessionRuns runs;
    private final Runnable ended;
    private final CompletableFuture<RunEvent> completion = new CompletableFuture<>();
    private final AtomicBoolean began = new AtomicBoolean();
    private volatile boolean interrupted;
    private volatile boolean stoppedByServer;
    private final AtomicLong stdinBytes = new AtomicLong();

    /**
     * @param ended called once the slot is free again
     */
    Run(
            ReaderSession session,
            String id,
            String source,
            boolean code,
            SessionRuns runs,
            Runnable ended) {
        this.session = session;
        this.id = id;
        this.source = source;
        this.code = code;
        this.runs = runs;
        this.ended = ended;
    }

    public String id() {
        return id;
    }

    /** The token of the session this run belongs to. */
    public String session() {
        return session.token;
    }

    String source() {
        return source;
    }

    /** Whether the source is code although the session is a conversation. */
    boolean code() {
        return code;
    }

    /**
     * Runs the code and sends every event to {@code out} in order, then closes it. Blocks until
     * then. A run streams at most once.
     */
    public void stream(EventSink out) {
        if (!began.compareAndSet(false, true)) {
            throw new IllegalStateException("run " + id + " has already begun or was closed");
        }
        RunEvent last = null;
        try {
            last = runs.execute(this, session, out::send);
        } finally {
            session.release(this);
            ended.run();
            try {
                if (last != null) {
                    out.send(last);
                }
                out.close();
            } finally {
                completion.complete(last);
            }
        }
    }

    /**
     * Stops the run like KeyboardInterrupt: the code if it runs, or before it starts if it has not
     * yet. The session and its state are kept.
     */
    public void interrupt() {
        interrupted = true;
        ExecutorSession backend = session.backend();
        if (session.current() == this && backend != null) {
            backend.interrupt(id);
        }
    }

    /**
     * Stops the run because the server is stopping: as {@link #interrupt}, and its stream then ends
     * with the {@code error} {@code server_stopping} whatever the code did.
     */
    void stopForShutdown() {
        stoppedByServer = true;
        interrupt();
    }

    /** Whether the server stopped this run on its way down. */
    boolean stoppedByServer() {
        return stoppedByServer;
    }

    /**
     * Counts {@code bytes} of standard input against {@code cap}; false (nothing counted) past it.
     */
    boolean chargeStdin(long bytes, long cap) {
        long before;
        do {
            before = stdinBytes.get();
            if (before + bytes > cap) {
                return false;
            }
        } while (!stdinBytes.compareAndSet(before, before + bytes));
        return true;
    }

    boolean interrupted() {
        return interrupted;
    }

    /**
     * Completes with the run's last event ({@code done} or {@code error}) once it was sent and the
     * stream closed; with null for a run closed without streaming. Never completes exceptionally.
     */
    public CompletableFuture<RunEvent> completion() {
        return completion;
    }

    /** Frees the slot of a run that never streamed (its client left first); else does nothing. */
    @Override
    public void close() {
        if (began.compareAndSet(false, true)) {
            session.release(this);
            ended.run();
            completion.complete(null);
        }
    }
}
