package dev.livepost.exec.anthropic;

import com.anthropic.models.beta.messages.BetaBashCodeExecutionToolResultBlock;
import com.anthropic.models.beta.messages.BetaTextEditorCodeExecutionToolResultBlock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.StateLoss;
import java.util.LinkedHashMap;

/**
 * Code mode, one attempt: checks that Claude runs exactly our kernel command, and turns its result
 * into the reader's events as soon as it arrives. Used by the one thread reading the stream.
 */
final class CodeRun implements StreamReader.Listener {
    private final String command;
    private final boolean bootstrap;
    private final ToolOutput out;
    private final ObjectMapper json;
    private String toolUseId;
    private RunOutcome outcome;
    private boolean missingKernel;
    private boolean missingUpload;

    CodeRun(String command, boolean bootstrap, ToolOutput out, ObjectMapper json) {
        this.command = command;
        this.bootstrap = bootstrap;
        this.out = out;
        this.json = json;
    }

    /** The container had no kernel script: it was reset, and the kernel must be shipped again. */
    boolean missingKernel() {
        return missingKernel;
    }

    /** An upload the command copies was not in {@code $INPUT_DIR}; nothing of the code ran. */
    boolean missingUpload() {
        return missingUpload;
    }

    /** Whether the kernel answered (so its script is in the container). */
    boolean answered() {
        return outcome instanceof RunOutcome.Finished || outcome instanceof RunOutcome.Lost;
    }

    /** How the run ended, once the response is read. */
    RunOutcome outcome() {
        if (outcome != null) {
            return outcome;
        }
        if (toolUseId == null) {
            return new RunOutcome.Failed(
                    "upstream_no_run", "Claude answered without running the code; try again.");
        }
        return new RunOutcome.Failed(
                "upstream_no_result",
                "The code was sent to Anthropic's code execution but no result came back; try"
                        + " again.");
    }

    @Override
    public void text(String delta) {
        // Code mode: what Claude says around the command is not the reader's output.
    }

    @Override
    public void toolUse(String id, String name, JsonNode input) {
        if (toolUseId != null) {
            return; // anything after our command is not ours; its result is ignored below
        }
        String asked = input.path("command").asText(null);
        if (!"bash_code_execution".equals(name) || asked == null || !same(asked, command)) {
            throw new UpstreamException(
                    "upstream_changed_code",
                    "Claude did not run the code as written (it changed the command), so the run"
                            + " was stopped.");
        }
        toolUseId = id;
    }

    private static boolean same(String a, String b) {
        return a.stripTrailing().equals(b.stripTrailing());
    }

    @Override
    public void bashResult(BetaBashCodeExecutionToolResultBlock block) {
        if (toolUseId == null || !toolUseId.equals(block.toolUseId()) || outcome != null) {
            return;
        }
        var content = block.content();
        if (content.isBetaBashCodeExecutionToolResultError()) {
            outcome =
                    failed(content.asBetaBashCodeExecutionToolResultError().errorCode().asString());
            return;
        }
        var result = content.asBetaBashCodeExecutionResultBlock();
        if (!bootstrap && KernelCommand.missingKernel(result.returnCode(), result.stderr())) {
            missingKernel = true;
            outcome = null;
            return;
        }
        if (KernelCommand.missingUpload(result.returnCode(), result.stderr())) {
            missingUpload = true;
            outcome = null;
            return;
        }
        var split = KernelCommand.split(result.stderr(), json);
        if (split.status().isEmpty()) {
            out.emit(result.stdout(), split.stderr(), result);
            int rc = (int) result.returnCode();
            outcome = new RunOutcome.Finished(rc == 0 ? RunStatus.OK : RunStatus.ERROR, rc);
            return;
        }
        var status = split.status().get();
        if (status.status().equals("not_run")) {
            // The session's interpreter was gone, so the kernel did not run the code in a new one.
            outcome = new RunOutcome.Lost(new StateLoss.InterpreterRestarted());
            return;
        }
        out.emit(result.stdout(), split.stderr(), result);
        for (JsonNode display : status.displays()) {
            var mime = new LinkedHashMap<String, String>();
            display.fields().forEachRemaining(e -> mime.put(e.getKey(), e.getValue().asText()));
            out.sink().emit(new RunEvent.Display(mime));
        }
        outcome = finished(status);
    }

    private static RunOutcome finished(KernelCommand.Status status) {
        if ("timeout".equals(status.lost())) {
            return new RunOutcome.Finished(
                    RunStatus.TIMEOUT, status.exitCode(), new StateLoss.TimedOut());
        }
        RunStatus s = status(status.status());
        return new RunOutcome.Finished(
                s,
                status.exitCode(),
                status.lost() != null || s == RunStatus.KILLED
                        ? new StateLoss.InterpreterRestarted()
                        : null);
    }

    private RunOutcome failed(String code) {
        String message = ToolOutput.describe(code);
        switch (code) {
            case "execution_time_exceeded":
                return new RunOutcome.Finished(RunStatus.TIMEOUT, null);
            case "output_file_too_large":
                out.sink().emit(new RunEvent.Stderr(message + "\n"));
                return new RunOutcome.Finished(RunStatus.ERROR, null);
            case "too_many_requests":
                return new RunOutcome.Failed("rate_limited", message);
            case "unavailable":
                return new RunOutcome.Failed("upstream_unavailable", message);
            case "invalid_tool_input":
                return new RunOutcome.Failed("upstream_rejected", message);
            default:
                return new RunOutcome.Failed("upstream_error", message);
        }
    }

    private static RunStatus status(String s) {
        switch (s) {
            case "ok":
                return RunStatus.OK;
            case "timeout":
                return RunStatus.TIMEOUT;
            case "interrupted":
                return RunStatus.INTERRUPTED;
            case "killed":
                return RunStatus.KILLED;
            default:
                return RunStatus.ERROR;
        }
    }

    @Override
    public void editorResult(BetaTextEditorCodeExecutionToolResultBlock block) {
        // Code mode never asks for the text editor.
    }
}
