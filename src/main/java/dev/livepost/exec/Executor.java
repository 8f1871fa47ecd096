package dev.livepost.exec;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Where code runs. An executor makes one {@link ExecutorSession} per reader session; the generic
 * parts (tokens, expiry, one run at a time, the event stream, files) live in {@link Sessions}.
 * Implementations are thread-safe.
 */
public interface Executor extends AutoCloseable {

    /**
     * The name sent in the {@code run} event and {@code /healthz}: {@code local}, {@code
     * anthropic}.
     */
    String name();

    /** Cheap; called for every {@code /healthz} and before every new session. */
    ExecutorHealth health();

    /** What sessions use now and what is left; cheap enough to call before every new session. */
    default Capacity capacity() {
        return Capacity.unbounded();
    }

    /** Registers the executor's own meters (e.g. how its sandboxes are started); once, at start. */
    default void bindMetrics(MeterRegistry registry) {}

    /** Whether runs may carry a request to Claude ({@code mode=prompt}) instead of code. */
    default boolean supportsPrompts() {
        return false;
    }

    /**
     * Makes the state holder of one new reader session. May block briefly (e.g. to take a sandbox
     * from a pool).
     *
     * @throws dev.livepost.LivepostException {@code executor_unavailable} when code cannot run
     */
    ExecutorSession open(SessionSpec spec);

    /** Stops every sandbox and background thread; leaves no processes behind. */
    @Override
    void close();
}
