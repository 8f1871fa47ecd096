package dev.livepost.chat;

import dev.livepost.exec.EventSink;
import dev.livepost.exec.RunEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the events of a message's run into an answer: text passes at once (and each stretch of it
 * is rendered as Markdown when it ends), and each {@link RunEvent.Artifact} is numbered, kept in
 * the conversation for re-runs, and sent whole once its output is complete (when the next piece of
 * the answer begins, or the run ends). When the run ends with {@code done} the answer joins the
 * conversation. Called from one thread at a time, as {@link EventSink} is.
 */
final class AnswerStream implements EventSink {
    private final Conversation conversation;
    private final String question;
    private final AnswerSink out;
    private final List<Answer.Part> parts = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private ChatArtifact artifact;
    private final List<RunEvent> output = new ArrayList<>();

    AnswerStream(Conversation conversation, String question, AnswerSink out) {
        this.conversation = conversation;
        this.question = question;
        this.out = out;
    }

    @Override
    public void send(RunEvent event) {
        if (event instanceof RunEvent.Artifact a) {
            endText();
            endArtifact();
            artifact = conversation.newArtifact(a.language(), a.code(), a.path(), a.command());
        } else if (artifact != null && isOutput(event)) {
            output.add(event);
        } else if (event instanceof RunEvent.Text t) {
            endArtifact();
            text.append(t.text());
            out.send(t);
        } else if (event instanceof RunEvent.Done d) {
            end();
            if (d.usage() != null) {
                conversation.tokens(d.usage().total());
            }
            conversation.addAnswer(new Answer(question, parts));
            out.send(d);
        } else if (event instanceof RunEvent.Error) {
            end();
            out.send(event);
        } else {
            out.send(event);
        }
    }

    private static boolean isOutput(RunEvent e) {
        return e instanceof RunEvent.Stdout
                || e instanceof RunEvent.Stderr
                || e instanceof RunEvent.Display
                || e instanceof RunEvent.File;
    }

    private void end() {
        endText();
        endArtifact();
    }

    private void endText() {
        if (text.length() > 0) {
            String markdown = text.toString();
            text.setLength(0);
            parts.add(new Answer.Part.Text(markdown));
            out.markdown(ChatMarkdown.html(markdown));
        }
    }

    private void endArtifact() {
        if (artifact != null) {
            parts.add(new Answer.Part.Code(artifact));
            out.artifact(artifact, List.copyOf(output));
            artifact = null;
            output.clear();
        }
    }

    @Override
    public void close() {
        out.close();
    }
}
