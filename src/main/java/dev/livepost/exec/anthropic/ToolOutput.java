package dev.livepost.exec.anthropic;

import com.anthropic.models.beta.messages.BetaBashCodeExecutionResultBlock;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunSink;

/** Sends what a bash call printed and wrote to the reader. Stateless apart from its targets. */
final class ToolOutput {
    private final RunSink sink;
    private final FileFetcher files;

    ToolOutput(RunSink sink, FileFetcher files) {
        this.sink = sink;
        this.files = files;
    }

    RunSink sink() {
        return sink;
    }

    void emit(String stdout, String stderr, BetaBashCodeExecutionResultBlock result) {
        if (!stdout.isEmpty()) {
            sink.emit(new RunEvent.Stdout(stdout));
        }
        if (!stderr.isEmpty()) {
            sink.emit(new RunEvent.Stderr(stderr));
        }
        result.content().forEach(out -> files.fetch(out.fileId(), sink));
    }

    void notice(String message) {
        sink.emit(new RunEvent.Notice(message));
    }

    /** What a code execution error code means, for the reader. */
    static String describe(String errorCode) {
        switch (errorCode) {
            case "execution_time_exceeded":
                return "The code ran past the time limit of Anthropic's code execution.";
            case "unavailable":
                return "Anthropic's code execution is unavailable right now; try again later.";
            case "too_many_requests":
                return "Anthropic's code execution is rate limiting this server; try again in a minute.";
            case "output_file_too_large":
                return "A file the code wrote is too large for Anthropic's code execution to return.";
            case "invalid_tool_input":
                return "Anthropic's code execution rejected the command as invalid.";
            case "file_not_found":
                return "The file was not found in the container.";
            case "container_expired":
                return "The code execution container expired.";
            default:
                return "Anthropic's code execution failed (" + errorCode + ").";
        }
    }
}
