package dev.livepost.exec.anthropic;

import com.anthropic.core.http.StreamResponse;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunSink;
import dev.livepost.exec.TokenUsage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The state of one run in progress, shared between the thread reading the response stream and the
 * threads that may end the run (interrupt, time limit, close). Thread-safe.
 */
final class ActiveRun {
    final CompletableFuture<RunOutcome> result = new CompletableFuture<>();
    final GuardedSink sink;
    private volatile StreamResponse<?> stream;
    volatile boolean stopped;
    private final AtomicReference<TokenUsage> spent = new AtomicReference<>(TokenUsage.NONE);
    private final AtomicInteger requests = new AtomicInteger();

    ActiveRun(RunSink sink) {
        this.sink = new GuardedSink(sink);
    }

    void attach(StreamResponse<?> s) {
        stream = s;
        if (stopped) {
            s.close();
        }
    }

    /** Counts one API request of this run and what it used. */
    void spent(TokenUsage usage) {
        requests.incrementAndGet();
        spent.accumulateAndGet(usage, TokenUsage::plus);
    }

    /** What the run's API requests used so far. */
    TokenUsage spent() {
        return spent.get();
    }

    int requests() {
        return requests.get();
    }

    void check() {
        if (stopped) {
            throw new Stopped();
        }
    }

    /** Stops forwarding events and cancels the stream being read, if any. */
    void stop() {
        stopped = true;
        sink.close();
        StreamResponse<?> s = stream;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException ignored) {
                // closing a stream that already failed
            }
        }
    }

    /** The run was stopped from outside (interrupt, time limit, close). */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super(null, null, false, false);
        }
    }

    /** Forwards events until the run has ended, so a late worker cannot write past {@code done}. */
    static final class GuardedSink implements RunSink {
        private final RunSink target;
        private volatile boolean open = true;

        GuardedSink(RunSink target) {
            this.target = target;
        }

        void close() {
            open = false;
        }

        @Override
        public void emit(RunEvent event) {
            if (open) {
                target.emit(event);
            }
        }

        @Override
        public void file(String name, String mime, byte[] content) {
            if (open) {
                target.file(name, mime, content);
            }
        }

        @Override
        public void fileTooLarge(String name, long size) {
            if (open) {
                target.fileTooLarge(name, size);
            }
        }
    }
}
