package dev.livepost.exec;

import java.util.Map;

/**
 * One event of a run's stream, as the contract names it (interfaces.md, "Run event stream"). Each
 * record's components are the JSON fields of its {@code data:} line ({@link File} gains its {@code
 * url} in the web layer).
 */
public sealed interface RunEvent {

    /** The SSE {@code event:} name. */
    String event();

    /** Always first. */
    record Run(String runId, String session, String executor) implements RunEvent {
        public String event() {
            return "run";
        }
    }

    record Stdout(String text) implements RunEvent {
        public String event() {
            return "stdout";
        }
    }

    record Stderr(String text) implements RunEvent {
        public String event() {
            return "stderr";
        }
    }

    /** A rich value by MIME type; any {@code text/html} has been sanitized before it gets here. */
    record Display(Map<String, String> mime) implements RunEvent {
        public Display {
            mime = Map.copyOf(mime);
        }

        public String event() {
            return "display";
        }
    }

    /**
     * A file the code produced, kept by the server under {@code id}. The wire event also carries
     * the file's {@code url}, which the web layer adds: addresses are its business.
     */
    record File(String id, String name, String mime, long size) implements RunEvent {
        public String event() {
            return "file";
        }
    }

    /** Prompt mode: what Claude says. */
    record Text(String text) implements RunEvent {
        public String event() {
            return "text";
        }
    }

    /** Prompt mode: the code Claude ran. */
    record Code(String language, String code) implements RunEvent {
        public String event() {
            return "code";
        }
    }

    /**
     * Chat: a piece of code Claude ran (or wrote) in the conversation's sandbox; the output that
     * follows until the next {@code Artifact}, {@code Text} or the end of the run is its output.
     * The web layer sends each one, with that output, as one {@code artifact} event.
     *
     * @param language e.g. {@code python}, {@code bash}
     * @param code what the reader sees and may edit: the file Claude wrote, or the command it ran
     * @param path the file Claude wrote the code to, or null when the code is the command itself
     * @param command the bash command Claude ran (which ran {@code path}, if any), or null when
     *     Claude only wrote the file, or the code ran as Python without a command
     */
    record Artifact(String language, String code, String path, String command) implements RunEvent {
        public String event() {
            return "artifact";
        }
    }

    /**
     * The run waits for a sandbox, every one being busy; {@code position} 1 is next. Sent when the
     * place changes; the run's output follows once it has one.
     */
    record Queued(int position) implements RunEvent {
        public String event() {
            return "queued";
        }
    }

    /**
     * The code waits for standard input ({@code input()}, a read of {@code sys.stdin}, a process
     * reading its stdin); {@code prompt} is what {@code input()} was given, else empty. Sent once
     * per wait; the reader answers through {@link Sessions#stdin}.
     */
    record Input(String prompt) implements RunEvent {
        public String event() {
            return "input";
        }
    }

    record Notice(String message) implements RunEvent {
        public String event() {
            return "notice";
        }
    }

    /**
     * Always last unless {@link Error}.
     *
     * @param usage what the run cost on a paid model API, or null (executors that call none)
     */
    record Done(RunStatus status, Integer exitCode, long durationMs, TokenUsage usage)
            implements RunEvent {
        public Done(RunStatus status, Integer exitCode, long durationMs) {
            this(status, exitCode, durationMs, null);
        }

        public String event() {
            return "done";
        }
    }

    /** A failure outside the user's code; ends the stream. */
    record Error(String code, String message) implements RunEvent {
        public String event() {
            return "error";
        }
    }
}
