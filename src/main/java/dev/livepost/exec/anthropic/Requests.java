package dev.livepost.exec.anthropic;

import com.anthropic.models.beta.messages.BetaCacheControlEphemeral;
import com.anthropic.models.beta.messages.BetaCodeExecutionTool20250825;
import com.anthropic.models.beta.messages.BetaCodeExecutionTool20260120;
import com.anthropic.models.beta.messages.BetaCodeExecutionTool20260521;
import com.anthropic.models.beta.messages.BetaContainerParams;
import com.anthropic.models.beta.messages.BetaContainerUploadBlockParam;
import com.anthropic.models.beta.messages.BetaContentBlockParam;
import com.anthropic.models.beta.messages.BetaMessage;
import com.anthropic.models.beta.messages.BetaSkillParams;
import com.anthropic.models.beta.messages.BetaTextBlockParam;
import com.anthropic.models.beta.messages.MessageCreateParams;
import dev.livepost.Config;
import java.util.ArrayList;
import java.util.List;

/**
 * The Messages API requests of this executor: model, tool version, beta headers, the system prompt
 * marked for the prompt cache, uploads, and the container. Stateless; thread-safe.
 */
final class Requests {
    private final Config.Anthropic config;

    Requests(Config.Anthropic config) {
        this.config = config;
    }

    /** Code mode: Claude is to run {@code command}, which may copy {@code uploads}. */
    MessageCreateParams.Builder code(String command, List<Uploads.File> uploads) {
        long maxTokens = Math.min(64_000, 1024 + command.length() / 2);
        var blocks = new ArrayList<BetaContentBlockParam>();
        for (Uploads.File f : uploads) {
            blocks.add(
                    BetaContentBlockParam.ofContainerUpload(
                            BetaContainerUploadBlockParam.builder().fileId(f.id()).build()));
        }
        blocks.add(BetaContentBlockParam.ofText(Prompts.codeMessage(command)));
        return base(Prompts.CODE_SYSTEM, maxTokens).addUserMessageOfContentBlockParams(blocks);
    }

    /** Prompt mode: Claude does what the reader asks. */
    MessageCreateParams.Builder prompt(String request, long maxTokens) {
        return base(Prompts.PROMPT_SYSTEM, maxTokens).addUserMessage(request);
    }

    /**
     * Chat: the conversation so far (the reader's messages and Claude's whole answers, tool calls
     * and results included, as the API requires them back), then the reader's new message.
     */
    MessageCreateParams.Builder chat(List<Turn> history, String message, long maxTokens) {
        var b = base(Prompts.CHAT_SYSTEM, maxTokens);
        for (Turn t : history) {
            b.addUserMessage(t.message());
            t.answer().forEach(b::addMessage);
        }
        return b.addUserMessage(message);
    }

    /**
     * One finished exchange of a chat: the reader's message and Claude's answer, in one or more
     * assistant messages (more after {@code pause_turn} continuations). Immutable.
     */
    record Turn(String message, List<BetaMessage> answer) {
        Turn {
            answer = List.copyOf(answer);
        }
    }

    private MessageCreateParams.Builder base(String system, long maxTokens) {
        var b =
                MessageCreateParams.builder()
                        .model(config.model())
                        .maxTokens(maxTokens)
                        // The system prompt (after the tool definitions) is the same in every
                        // request of a mode: cached, later requests read it at a tenth of the
                        // price.
                        .systemOfBetaTextBlockParams(
                                List.of(
                                        BetaTextBlockParam.builder()
                                                .text(system)
                                                .cacheControl(
                                                        BetaCacheControlEphemeral.builder().build())
                                                .build()))
                        .addBeta(AnthropicExecutor.CODE_EXECUTION_BETA)
                        .addBeta(FileFetcher.FILES_BETA)
                        .addBeta(AnthropicExecutor.SKILLS_BETA);
        switch (config.tool()) { // one of Config.ANTHROPIC_TOOLS
            case "code_execution_20260120":
                return b.addTool(BetaCodeExecutionTool20260120.builder().build());
            case "code_execution_20260521":
                return b.addTool(BetaCodeExecutionTool20260521.builder().build());
            default:
                return b.addTool(BetaCodeExecutionTool20250825.builder().build());
        }
    }

    /**
     * Names the container to run in: the plain id string when there are no skills (the object form
     * has been refused there: "container must be a string"), else the object with the skills, which
     * must be given again with every request.
     */
    static void container(MessageCreateParams.Builder b, String id, List<String> skills) {
        if (skills.isEmpty()) {
            if (id != null) {
                b.container(id);
            }
            return;
        }
        var container = BetaContainerParams.builder();
        if (id != null) {
            container.id(id);
        }
        var list = new ArrayList<BetaSkillParams>();
        for (String s : skills) {
            list.add(
                    BetaSkillParams.builder()
                            .type(BetaSkillParams.Type.ANTHROPIC)
                            .skillId(s)
                            .version("latest")
                            .build());
        }
        b.container(container.skills(list).build());
    }
}
