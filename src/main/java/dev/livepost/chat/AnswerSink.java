package dev.livepost.chat;

import dev.livepost.exec.EventSink;
import dev.livepost.exec.RunEvent;
import java.util.List;

/**
 * Where an answer streams to the reader: the run's events as they are, and besides them each
 * artifact whole with its output, and each finished stretch of text as safe HTML. Called from one
 * thread at a time, like {@link EventSink}.
 */
public interface AnswerSink extends EventSink {

    /** A piece of code Claude ran, with what it printed, displayed and wrote, in order. */
    void artifact(ChatArtifact artifact, List<RunEvent> output);

    /** The stretch of text since the last artifact is complete; {@code html} is it rendered. */
    void markdown(String html);
}
