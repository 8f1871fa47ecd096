package dev.livepost.exec.anthropic;

import com.anthropic.models.beta.messages.BetaCodeExecutionTool20250825;
import com.anthropic.models.beta.messages.BetaContainerParams;
import com.anthropic.models.beta.messages.BetaMessage;
import com.anthropic.models.beta.messages.BetaSkillParams;
import com.anthropic.models.beta.messages.MessageCreateParams;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.RunSink;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.StateLoss;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One reader session on Anthropic's code execution: one container, reused by every run (its id
 * comes back with the first response), and in code mode one long-lived kernel inside it. {@link
 * #run} reads the response stream on a worker thread so that {@link #interrupt}, the time limit and
 * {@link #close} can end a run at once from any thread. Runs never overlap (see {@link
 * dev.livepost.exec.Sessions}).
 */
final class AnthropicSession implements ExecutorSession {
    private final AnthropicExecutor.Context ctx;
    private final SessionSpec spec;
    private volatile String containerId;

    /** Whether the kernel script is in the container; touched only by the running run. */
    private volatile boolean kernelShipped;

    private volatile ActiveRun current;
    private volatile boolean closed;

    AnthropicSession(AnthropicExecutor.Context ctx, SessionSpec spec) {
        this.ctx = ctx;
        this.spec = spec;
    }

    /** The container this session runs in, or null before the first response. */
    String containerId() {
        return containerId;
    }

    @Override
    public RunOutcome run(RunRequest request, RunSink sink) {
        if (closed) {
            return new RunOutcome.Failed("executor_unavailable", "This session was closed.");
        }
        var active = new ActiveRun(sink);
        current = active;
        CompletableFuture.supplyAsync(() -> work(request, active), ctx.pool())
                .whenComplete((o, e) -> active.result.complete(o != null ? o : failure(e, active)));
        Duration limit =
                request.timeout()
                        .plus(ctx.tuning().apiGrace())
                        .plusSeconds(request.source().length() / 200);
        try {
            return active.result.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // No answer from the API in time; the kernel interrupts an abandoned cell at the
            // next run.
            return new RunOutcome.Finished(RunStatus.TIMEOUT, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new RunOutcome.Finished(RunStatus.INTERRUPTED, null);
        } catch (ExecutionException e) {
            return failure(e.getCause(), active);
        } finally {
            active.stop();
            current = null;
        }
    }

    @Override
    public void interrupt() {
        ActiveRun a = current;
        if (a != null) {
            a.result.complete(new RunOutcome.Finished(RunStatus.INTERRUPTED, null));
            a.stop();
        }
    }

    @Override
    public void close() {
        closed = true;
        interrupt();
    }

    private RunOutcome failure(Throwable e, ActiveRun active) {
        if (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (active.stopped || e instanceof ActiveRun.Stopped) {
            return new RunOutcome.Finished(RunStatus.INTERRUPTED, null);
        }
        if (e instanceof RuntimeException r) {
            return ApiErrors.translate(r).outcome();
        }
        return new RunOutcome.Failed("internal_error", String.valueOf(e));
    }

    private RunOutcome work(RunRequest request, ActiveRun active) {
        try {
            return spec.prompt() ? prompt(request, active) : code(request, active);
        } catch (UpstreamException e) {
            return active.stopped
                    ? new RunOutcome.Finished(RunStatus.INTERRUPTED, null)
                    : e.outcome();
        }
    }

    private RunOutcome code(RunRequest request, ActiveRun active) {
        var out = new ToolOutput(active.sink, ctx.files());
        boolean bootstrap = !kernelShipped;
        String command =
                bootstrap
                        ? KernelCommand.bootstrap(request.source(), request.timeout())
                        : KernelCommand.run(request.source(), request.timeout());
        var listener = new CodeRun(command, bootstrap, out, ctx.json());
        try {
            exchange(codeRequest(command), listener, active);
        } catch (UpstreamException e) {
            if (!listener.answered() && !listener.missingKernel()) {
                throw e;
            }
            // The code ran and its whole result arrived; what failed after it was only
            // Claude's closing words, so the run is over as the code ended it.
        } catch (ContainerGone gone) {
            return containerLost();
        }
        if (listener.missingKernel()) {
            return containerLost(); // a reset container: neither our script nor the files are left
        }
        if (listener.answered()) {
            kernelShipped = true;
        }
        return listener.outcome();
    }

    private RunOutcome prompt(RunRequest request, ActiveRun active) {
        var out = new ToolOutput(active.sink, ctx.files());
        var listener = new PromptRun(out);
        MessageCreateParams.Builder base =
                base(Prompts.PROMPT_SYSTEM, ctx.tuning().promptMaxTokens())
                        .addUserMessage(request.source());
        Exchange result;
        try {
            result = exchange(base, listener, active);
        } catch (ContainerGone gone) {
            return containerLost();
        }
        return listener.outcome(result.turn().stopReason(), result.continuations());
    }

    /** The next request starts a new container; nothing of this run ran in the old one. */
    private RunOutcome containerLost() {
        containerId = null;
        kernelShipped = false;
        return new RunOutcome.Lost(new StateLoss.ContainerReplaced());
    }

    private MessageCreateParams.Builder codeRequest(String command) {
        long maxTokens = Math.min(64_000, 1024 + command.length() / 2);
        return base(Prompts.CODE_SYSTEM, maxTokens).addUserMessage(Prompts.codeMessage(command));
    }

    private MessageCreateParams.Builder base(String system, long maxTokens) {
        return MessageCreateParams.builder()
                .model(ctx.config().model())
                .maxTokens(maxTokens)
                .system(system)
                .addTool(BetaCodeExecutionTool20250825.builder().build())
                .addBeta(AnthropicExecutor.CODE_EXECUTION_BETA)
                .addBeta(FileFetcher.FILES_BETA)
                .addBeta(AnthropicExecutor.SKILLS_BETA);
    }

    private void applyContainer(MessageCreateParams.Builder b) {
        String id = containerId;
        if (id == null && spec.skills().isEmpty()) {
            return;
        }
        var container = BetaContainerParams.builder();
        if (id != null) {
            container.id(id);
        }
        if (!spec.skills().isEmpty()) {
            List<BetaSkillParams> skills = new ArrayList<>();
            for (String s : spec.skills()) {
                skills.add(
                        BetaSkillParams.builder()
                                .type(BetaSkillParams.Type.ANTHROPIC)
                                .skillId(s)
                                .version("latest")
                                .build());
            }
            container.skills(skills);
        }
        b.container(container.build());
    }

    /** One request and its {@code pause_turn} continuations. */
    private record Exchange(StreamReader.Turn turn, int continuations) {}

    private Exchange exchange(
            MessageCreateParams.Builder request, StreamReader.Listener listener, ActiveRun active) {
        List<BetaMessage> paused = new ArrayList<>();
        boolean retried = false;
        while (true) {
            active.check();
            MessageCreateParams.Builder b = request.build().toBuilder();
            paused.forEach(b::addMessage);
            applyContainer(b);
            StreamReader.Turn turn;
            try (var stream = ctx.client().beta().messages().createStreaming(b.build())) {
                active.attach(stream);
                turn = new StreamReader(ctx.json(), listener).read(stream);
            } catch (RuntimeException e) {
                active.check();
                if (containerId != null && ApiErrors.containerGone(e)) {
                    throw new ContainerGone(e);
                }
                var wait = ApiErrors.retryAfter(e);
                if (!retried
                        && wait.isPresent()
                        && wait.get().compareTo(ctx.tuning().maxRetryAfter()) <= 0) {
                    retried = true;
                    sleep(wait.get(), active);
                    continue;
                }
                throw ApiErrors.translate(e);
            }
            active.check();
            if (!turn.complete()) {
                throw ApiErrors.disconnected(null);
            }
            if (turn.containerId() != null) {
                containerId = turn.containerId();
            }
            if ("pause_turn".equals(turn.stopReason())
                    && paused.size() < ctx.tuning().maxContinuations()) {
                paused.add(turn.message());
                continue;
            }
            return new Exchange(turn, paused.size());
        }
    }

    private static void sleep(Duration d, ActiveRun active) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ActiveRun.Stopped();
        }
        active.check();
    }

    /** The request named a container that is gone; the caller starts a new one. */
    private static final class ContainerGone extends RuntimeException {
        final RuntimeException cause;

        ContainerGone(RuntimeException cause) {
            super(null, null, false, false);
            this.cause = cause;
        }
    }
}
