package dev.livepost.exec.anthropic;

import com.anthropic.models.beta.messages.BetaBashCodeExecutionToolResultBlock;
import com.anthropic.models.beta.messages.BetaTextEditorCodeExecutionToolResultBlock;
import com.fasterxml.jackson.databind.JsonNode;
import dev.livepost.exec.RunEvent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One assistant turn of a chat: what Claude says ({@code text}) as it streams, and each piece of
 * code it ran as an {@link RunEvent.Artifact} followed by its output. Claude often writes a file
 * with the text editor and then runs it with a bash command; the two become one artifact (the
 * file's code, with the command that ran it), so the reader edits the code and not the command. A
 * file written and never run becomes an artifact of its own at the end of the turn. Used by the one
 * thread reading the stream.
 */
final class ChatRun implements StreamReader.Listener {
    private final ToolOutput out;

    /** Files Claude wrote in this turn and has not run yet, by path, in order. */
    private final Map<String, Written> written = new LinkedHashMap<>();

    private record Written(String language, String code) {}

    ChatRun(ToolOutput out) {
        this.out = out;
    }

    @Override
    public void text(String delta) {
        out.sink().emit(new RunEvent.Text(delta));
    }

    @Override
    public void toolUse(String id, String name, JsonNode input) {
        switch (name) {
            case "bash_code_execution" -> ran(input.path("command").asText(""));
            case "code_execution" -> { // the older Python-only tool
                String code = input.path("code").asText("");
                if (!code.isEmpty()) {
                    out.sink().emit(new RunEvent.Artifact("python", code, null, null));
                }
            }
            case "text_editor_code_execution" -> edited(input);
            default -> {}
        }
    }

    private void ran(String command) {
        if (command.isEmpty()) {
            return;
        }
        String path = null;
        for (String p : written.keySet()) {
            if (runs(command, p)) {
                path = p; // the last file written that the command names
            }
        }
        if (path == null) {
            out.sink().emit(new RunEvent.Artifact("bash", command, null, command));
            return;
        }
        Written w = written.remove(path);
        out.sink().emit(new RunEvent.Artifact(w.language(), w.code(), path, command));
    }

    /** Whether {@code command} names the file: its path, or its name after a {@code cd}. */
    static boolean runs(String command, String path) {
        if (command.contains(path)) {
            return true;
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        return !name.isEmpty()
                && command.matches(
                        "(?s).*(^|[\\s/'\"])"
                                + java.util.regex.Pattern.quote(name)
                                + "($|[\\s'\";&|)]).*");
    }

    private void edited(JsonNode input) {
        String cmd = input.path("command").asText("");
        String path = input.path("path").asText("");
        if (path.isEmpty()) {
            return;
        }
        if (cmd.equals("create")) {
            written.remove(path); // re-created: it goes to the end of the order
            written.put(
                    path,
                    new Written(PromptRun.languageOf(path), input.path("file_text").asText("")));
        } else if (cmd.equals("str_replace") && written.containsKey(path)) {
            Written w = written.get(path);
            String old = input.path("old_str").asText("");
            String now = input.path("new_str").asText("");
            if (!old.isEmpty() && w.code().contains(old)) {
                written.put(path, new Written(w.language(), w.code().replace(old, now)));
            }
        }
    }

    @Override
    public void bashResult(BetaBashCodeExecutionToolResultBlock block) {
        var content = block.content();
        if (content.isBetaBashCodeExecutionToolResultError()) {
            String code = content.asBetaBashCodeExecutionToolResultError().errorCode().asString();
            out.sink().emit(new RunEvent.Stderr(ToolOutput.describe(code) + "\n"));
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
            out.notice(ToolOutput.describe(error.errorCode().asString()) + detail);
        }
    }

    /** The files Claude wrote and never ran in this turn, each an artifact of its own. */
    void finish() {
        written.forEach(
                (path, w) ->
                        out.sink().emit(new RunEvent.Artifact(w.language(), w.code(), path, null)));
        written.clear();
    }
}
