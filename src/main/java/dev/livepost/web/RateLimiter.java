package dev.livepost.web;

import dev.livepost.LivepostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per client address: {@code perMinute} requests a minute, in bursts of up to as
 * many. Thread-safe. Buckets of clients that have been quiet long enough to be full again are
 * dropped, so the map stays as small as the set of recently active clients.
 */
final class RateLimiter {
    private static final int PRUNE_ABOVE = 10_000;

    private final String what;
    private final double capacity;
    private final double perNano;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /**
     * @param what what is counted, for the error message ("runs")
     * @param nanoTime the clock, {@code System::nanoTime} outside tests
     */
    RateLimiter(String what, int perMinute, LongSupplier nanoTime) {
        this.what = what;
        this.capacity = perMinute;
        this.perNano = perMinute / 60e9;
        this.nanoTime = nanoTime;
    }

    /**
     * Takes one token for {@code client}.
     *
     * @throws LivepostException 429 {@code rate_limited}, with the seconds until a token is free
     */
    void acquire(String client) {
        long now = nanoTime.getAsLong();
        if (buckets.size() > PRUNE_ABOVE) {
            buckets.values().removeIf(b -> b.fullAt(now, capacity, perNano));
        }
        double missing =
                buckets.computeIfAbsent(client, c -> new Bucket(capacity, now))
                        .take(now, capacity, perNano);
        if (missing > 0) {
            throw LivepostException.rateLimited(what, (long) Math.ceil(missing / perNano / 1e9));
        }
    }

    private static final class Bucket {
        private double tokens;
        private long updated;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.updated = now;
        }

        /** Returns 0 when a token was taken, else how many tokens are missing. */
        synchronized double take(long now, double capacity, double perNano) {
            tokens = Math.min(capacity, tokens + (now - updated) * perNano);
            updated = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return 1 - tokens;
        }

        synchronized boolean fullAt(long now, double capacity, double perNano) {
            return tokens + (now - updated) * perNano >= capacity;
        }
    }
}
