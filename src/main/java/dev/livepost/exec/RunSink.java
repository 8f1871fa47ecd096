package dev.livepost.exec;

/**
 * Where an executor sends a run's events as they happen. Implementations are thread-safe; {@link
 * #emit} never blocks for long (a slow or gone client does not stall the sandbox).
 */
public interface RunSink {

    /**
     * Sends one event to the reader (not {@code run}, {@code done} or {@code error}: see {@link
     * RunOutcome}).
     */
    void emit(RunEvent event);

    /**
     * Stores a file the code produced and sends its {@code file} event.
     *
     * @param name the file's name as the code gave it (the sink sanitizes it)
     * @param mime the MIME type, or null to guess it from the name
     */
    void file(String name, String mime, byte[] content);

    /**
     * Reports a file the code produced that is too large to be kept (the sink tells the reader).
     *
     * @param size its size in bytes, as far as known
     */
    void fileTooLarge(String name, long size);

    /**
     * Reports what one call of a paid API cost this run ({@code anthropic} executor); the reports
     * of a run are summed into its {@code done} event. Does nothing by default.
     */
    default void usage(TokenUsage usage) {}
}
