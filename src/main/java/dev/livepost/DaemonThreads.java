package dev.livepost;

import java.util.concurrent.ThreadFactory;

/**
 * Threads for the server's own background work (expiry sweeps, heartbeats, pool refills): named,
 * and daemons so they never keep the JVM alive after {@link App#close}.
 */
public final class DaemonThreads {
    private DaemonThreads() {}

    /** A factory of daemon threads all called {@code name}. */
    public static ThreadFactory named(String name) {
        return r -> {
            var t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
