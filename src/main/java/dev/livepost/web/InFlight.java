package dev.livepost.web;

import dev.livepost.LivepostException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the API requests each client has in flight (an open run stream counts until it ends) and
 * refuses more than {@code max} at once, so that one client holding many slow requests open cannot
 * take every server thread. Thread-safe; a client's counter is dropped when it falls to zero.
 */
final class InFlight {
    private final int max;
    private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    InFlight(int max) {
        this.max = max;
    }

    /** A request's slot; closing it frees the slot. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes a slot for {@code client}.
     *
     * @throws LivepostException 429 {@code too_many_requests} when the client already has {@code
     *     max} requests in flight
     */
    Slot acquire(String client) {
        boolean[] taken = {false};
        counts.compute(
                client,
                (c, n) -> {
                    AtomicInteger count = n == null ? new AtomicInteger() : n;
                    if (count.get() < max) {
                        count.incrementAndGet();
                        taken[0] = true;
                    }
                    return count.get() == 0 ? null : count;
                });
        if (!taken[0]) {
            throw LivepostException.rateLimited("requests at once", 1);
        }
        return () -> counts.computeIfPresent(client, (c, n) -> n.decrementAndGet() == 0 ? null : n);
    }

    /** Requests in flight for {@code client}. */
    int count(String client) {
        AtomicInteger n = counts.get(client);
        return n == null ? 0 : n.get();
    }
}
