package dev.livepost.exec.local;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When readers last ran code or took a sandbox, so that a deep pool is refilled in the quiet
 * between them and not with the CPU their runs need. Thread-safe.
 */
final class ReaderActivity {
    private final AtomicLong last = new AtomicLong(System.nanoTime());

    /** A reader runs code or takes a sandbox now. */
    void saw() {
        last.set(System.nanoTime());
    }

    /** Whether no reader was seen for {@code quiet}. */
    boolean quietFor(Duration quiet) {
        return System.nanoTime() - last.get() >= quiet.toNanos();
    }
}
