package dev.livepost.exec.anthropic;

import com.anthropic.models.beta.messages.BetaBashCodeExecutionToolResultBlock;
import com.anthropic.models.beta.messages.BetaTextEditorCodeExecutionToolResultBlock;
import com.fasterxml.jackson.databind.JsonNode;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunStatus;
import java.util.Locale;

/**
 * Prompt mode: Claude writes and runs code; the reader sees what Claude says ({@code text}), each
 * command or file it runs ({@code code}) and what came out ({@code stdout}, {@code stderr}, {@code
 * file}), each as soon as the API delivers it. Used by the one thread reading the stream.
 */
final class PromptRun implements StreamReader.Listener {
    private final ToolOutput out;

    PromptRun(ToolOutput out) {
        this.out = out;
    }

    @Override
    public void text(String delta) {
        out.sink().emit(new RunEvent.Text(delta));
    }

    @Override
    public void toolUse(String id, String name, JsonNode input) {
        switch (name) {
            case "bash_code_execution":
                code("bash", input.path("command").asText(""));
                break;
            case "code_execution": // the older Python-only tool
                code("python", input.path("code").asText(""));
                break;
            case "text_editor_code_execution":
                String cmd = input.path("command").asText("");
                String path = input.path("path").asText("");
                if (cmd.equals("create")) {
                    code(languageOf(path), input.path("file_text").asText(""));
                } else if (cmd.equals("str_replace")) {
                    code(languageOf(path), input.path("new_str").asText(""));
                }
                break;
            default:
                break;
        }
    }

    private void code(String language, String code) {
        if (!code.isEmpty()) {
            out.sink().emit(new RunEvent.Code(language, code));
        }
    }

    static String languageOf(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        if (p.endsWith(".py")) {
            return "python";
        }
        if (p.endsWith(".sh")) {
            return "bash";
        }
        int dot = p.lastIndexOf('.');
        return dot < 0 || dot == p.length() - 1 ? "text" : p.substring(dot + 1);
    }

    @Override
    public void bashResult(BetaBashCodeExecutionToolResultBlock block) {
        var content = block.content();
        if (content.isBetaBashCodeExecutionToolResultError()) {
            String code = content.asBetaBashCodeExecutionToolResultError().errorCode().asString();
            out.notice(ToolOutput.describe(code));
            return;
        }
        var result = content.asBetaBashCodeExecutionResultBlock();
        out.emit(result.stdout(), result.stderr(), result);
    }

    @Override
    public void editorResult(BetaTextEditorCodeExecutionToolResultBlock block) {
        var content = block.content();
        if (content.isBetaTextEditorCodeExecutionToolResultError()) {
            var error = content.asBetaTextEditorCodeExecutionToolResultError();
            String detail = error.errorMessage().map(m -> ": " + m).orElse("");
            out.sink()
                    .emit(
                            new RunEvent.Stderr(
                                    ToolOutput.describe(error.errorCode().asString())
                                            + detail
                                            + "\n"));
        }
    }

    /** How the run ended, given the stop reason of Claude's last response. */
    RunOutcome outcome(String stopReason, int continuations) {
        if (stopReason == null) {
            return RunOutcome.ok();
        }
        switch (stopReason) {
            case "pause_turn":
                out.notice(
                        "Claude paused after "
                                + continuations
                                + " continuations; the answer may be incomplete.");
                return RunOutcome.ok();
            case "max_tokens":
                out.notice("Claude's answer was cut off at its length limit.");
                return RunOutcome.ok();
            case "refusal":
                out.notice("Claude declined this request.");
                return new RunOutcome.Finished(RunStatus.ERROR, null);
            default:
                return RunOutcome.ok();
        }
    }
}
