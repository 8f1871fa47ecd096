package dev.livepost.exec;

/**
 * Where a {@link Run} sends the reader its events: the {@code run} event first, {@code done} or
 * {@code error} last, then {@link #close}. The web layer's event stream is one. Calls come from one
 * thread at a time; a reader who went away is normal, so neither method throws for it.
 */
public interface EventSink {

    void send(RunEvent event);

    /** Ends the stream after its last event. */
    void close();
}
