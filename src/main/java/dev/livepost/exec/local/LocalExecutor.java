package dev.livepost.exec.local;

import dev.livepost.Config;
import dev.livepost.LivepostException;
import dev.livepost.exec.Executor;
import dev.livepost.exec.ExecutorHealth;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.SessionSpec;

/** Placeholder until the local executor issue lands. */
public final class LocalExecutor implements Executor {
    public LocalExecutor(Config config) {}

    public String name() {
        return "local";
    }

    public ExecutorHealth health() {
        return ExecutorHealth.unavailable("not built yet");
    }

    public ExecutorSession open(SessionSpec spec) {
        throw LivepostException.unavailable("not built yet");
    }

    public void close() {}
}
