package dev.livepost.exec.anthropic;

import com.anthropic.models.beta.messages.BetaMessage;
import com.anthropic.models.beta.messages.MessageCreateParams;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.RunSink;
import dev.livepost.exec.RunStatus;
import dev.livepost.exec.SessionSpec;
import dev.livepost.exec.StateLoss;
import dev.livepost.exec.TokenUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One reader session on Anthropic's code execution: one container, reused by every run (its id
 * comes back with the first response), and in code mode one long-lived kernel inside it. {@link
 * #run} reads the response stream on a worker thread so that {@link #interrupt}, the time limit and
 * {@link #close} can end a run at once from any thread. Runs never overlap (see {@link
 * dev.livepost.exec.Sessions}).
 */
final class AnthropicSession implements ExecutorSession {
    private static final Logger log = LoggerFactory.getLogger(AnthropicSession.class);

    /**
     * Longer code goes by upload, not in the command: Claude would type each character of it
     * (output tokens, time, and chances to mistype it).
     */
    static final int INLINE_CODE_MAX = 1500;

    private final AnthropicExecutor.Context ctx;
    private final SessionSpec spec;
    private volatile String containerId;

    /** Whether the kernel script is in the container; touched only by the running run. */
    private volatile boolean kernelShipped;

    /**
     * A conversation's finished exchanges, sent back with every message; replaced (never changed)
     * by the running run.
     */
    private volatile List<Requests.Turn> history = List.of();

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
        RunOutcome outcome;
        try {
            outcome = active.result.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // No answer from the API in time; the kernel interrupts an abandoned cell at the
            // next run.
            outcome = new RunOutcome.Finished(RunStatus.TIMEOUT, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = new RunOutcome.Finished(RunStatus.INTERRUPTED, null);
        } catch (ExecutionException e) {
            outcome = failure(e.getCause(), active);
        } finally {
            active.stop();
            current = null;
        }
        TokenUsage spent = active.spent();
        if (active.requests() > 0) {
            sink.usage(spent);
        }
        ctx.billing().logRun(request.runId(), describe(outcome), active.requests(), spent);
        return outcome;
    }

    private static String describe(RunOutcome o) {
        if (o instanceof RunOutcome.Finished f) {
            return f.status().wire();
        }
        if (o instanceof RunOutcome.Failed f) {
            return "error " + f.code();
        }
        return "state lost (" + ((RunOutcome.Lost) o).why().getClass().getSimpleName() + ")";
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
            ctx.billing().check();
            if (spec.conversation()) {
                return request.code() ? code(request, active) : chat(request, active);
            }
            return spec.prompt() ? prompt(request, active) : code(request, active);
        } catch (UpstreamException e) {
            return active.stopped
                    ? new RunOutcome.Finished(RunStatus.INTERRUPTED, null)
                    : e.outcome();
        }
    }

    /**
     * Code mode. The kernel goes by upload on a container's first run, and code longer than {@link
     * #INLINE_CODE_MAX} always does; when the Files API fails, or the container did not get the
     * upload, the run is sent again with everything inline (and a log line says why). An upload the
     * API no longer knows is uploaded again, once.
     */
    private RunOutcome code(RunRequest request, ActiveRun active) {
        var out = new ToolOutput(active.sink, ctx.files());
        boolean inline = false;
        boolean reuploaded = false;
        for (int attempt = 0; ; attempt++) {
            var uploads = new ArrayList<Uploads.File>();
            KernelCommand.Kernel kernel = kernel(inline, uploads);
            KernelCommand.Code code = code(request.source(), inline, uploads);
            String command = KernelCommand.command(kernel, code, request.timeout());
            boolean warm = kernel instanceof KernelCommand.Kernel.Present;
            var listener = new CodeRun(command, !warm, out, ctx.json());
            try {
                exchange(
                        ctx.requests().code(command, uploads),
                        listener,
                        active,
                        !uploads.isEmpty());
            } catch (UpstreamException e) {
                if (!reuploaded
                        && !uploads.isEmpty()
                        && !listener.answered()
                        && ApiErrors.fileGone(e.getCause())) {
                    uploads.forEach(ctx.uploads()::forget);
                    reuploaded = true;
                    continue;
                }
                if (!listener.answered()
                        && !listener.missingKernel()
                        && !listener.missingUpload()) {
                    throw e;
                }
                // The code ran and its whole result arrived; what failed after it was only
                // Claude's closing words, so the run is over as the code ended it.
            } catch (ContainerGone gone) {
                return containerLost();
            }
            if (listener.missingUpload() && !inline && attempt < 2) {
                log.warn(
                        "the container {} had no {} in $INPUT_DIR; sending the run again with"
                                + " everything inline",
                        containerId,
                        uploads.stream().map(Uploads.File::name).toList());
                inline = true;
                continue;
            }
            if (listener.missingKernel()) {
                return containerLost(); // a reset container: neither our script nor the files left
            }
            if (listener.answered()) {
                kernelShipped = true;
            }
            return listener.outcome();
        }
    }

    /** Where the kernel comes from in this run's command; adds its upload to {@code uploads}. */
    private KernelCommand.Kernel kernel(boolean inline, List<Uploads.File> uploads) {
        if (kernelShipped) {
            return new KernelCommand.Kernel.Present();
        }
        Uploads.File f = inline ? null : upload(Uploads.kernelName(), KernelCommand.KERNEL_SOURCE);
        if (f == null) {
            return new KernelCommand.Kernel.Inline();
        }
        uploads.add(f);
        return new KernelCommand.Kernel.Upload(f.name());
    }

    /** How the reader's code travels in this run's command; adds its upload to {@code uploads}. */
    private KernelCommand.Code code(String source, boolean inline, List<Uploads.File> uploads) {
        Uploads.File f =
                inline || source.length() <= INLINE_CODE_MAX
                        ? null
                        : upload(Uploads.codeName(source), source);
        if (f == null) {
            return new KernelCommand.Code.Verbatim(source);
        }
        uploads.add(f);
        return new KernelCommand.Code.Upload(f.name());
    }

    private Uploads.File upload(String name, String content) {
        try {
            return ctx.uploads().upload(name, content);
        } catch (Uploads.UploadFailed e) {
            return null; // logged by Uploads; the content goes inline
        }
    }

    private RunOutcome prompt(RunRequest request, ActiveRun active) {
        var out = new ToolOutput(active.sink, ctx.files());
        var listener = new PromptRun(out);
        Exchange result;
        try {
            result =
                    exchange(
                            ctx.requests().prompt(request.source(), ctx.tuning().promptMaxTokens()),
                            listener,
                            active,
                            false);
        } catch (ContainerGone gone) {
            return containerLost();
        }
        return listener.outcome(result.turn().stopReason(), result.continuations());
    }

    /**
     * A reader's message in a conversation: Claude gets the history and the message, and its whole
     * answer joins the history once it has arrived (an answer cut short does not: the next message
     * is sent as if this one had not been).
     */
    private RunOutcome chat(RunRequest request, ActiveRun active) {
        var out = new ToolOutput(active.sink, ctx.files());
        var listener = new ChatRun(out);
        Exchange result;
        try {
            result =
                    exchange(
                            ctx.requests()
                                    .chat(
                                            history,
                                            request.source(),
                                            ctx.tuning().promptMaxTokens()),
                            listener,
                            active,
                            false);
        } catch (ContainerGone gone) {
            return containerLost();
        }
        listener.finish();
        var longer = new ArrayList<>(history);
        longer.add(new Requests.Turn(request.source(), result.answer()));
        history = List.copyOf(longer);
        return new PromptRun(out).outcome(result.turn().stopReason(), result.continuations());
    }

    /** The number of finished exchanges of a conversation. */
    int exchanges() {
        return history.size();
    }

    /** The next request starts a new container; nothing of this run ran in the old one. */
    private RunOutcome containerLost() {
        containerId = null;
        kernelShipped = false;
        return new RunOutcome.Lost(new StateLoss.ContainerReplaced());
    }

    /** One request and its {@code pause_turn} continuations. */
    private record Exchange(StreamReader.Turn turn, int continuations, List<BetaMessage> answer) {}

    /**
     * @param withUpload whether the request carries uploads (a dead container named with one has
     *     been answered with a 500)
     */
    private Exchange exchange(
            MessageCreateParams.Builder request,
            StreamReader.Listener listener,
            ActiveRun active,
            boolean withUpload) {
        List<BetaMessage> paused = new ArrayList<>();
        boolean retried = false;
        boolean retriedServerError = false;
        while (true) {
            active.check();
            ctx.billing().check();
            MessageCreateParams.Builder b = request.build().toBuilder();
            paused.forEach(b::addMessage);
            Requests.container(b, containerId, spec.skills());
            StreamReader.Turn turn;
            var reader = new StreamReader(ctx.json(), listener);
            try (var stream = ctx.client().beta().messages().createStreaming(b.build())) {
                active.attach(stream);
                turn = reader.read(stream);
            } catch (RuntimeException e) {
                active.check();
                if (containerId != null
                        && ApiErrors.containerGone(e, withUpload || retriedServerError)) {
                    throw new ContainerGone(e);
                }
                if (containerId != null && !retriedServerError && ApiErrors.serverError(e)) {
                    // A dead container has been answered with a bare 500: once may be a passing
                    // failure, twice in a row it is taken as gone.
                    retriedServerError = true;
                    continue;
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
            } finally {
                var t = reader.tokens();
                active.spent(
                        ctx.billing().charge(t.input(), t.output(), t.cacheRead(), t.cacheWrite()));
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
            var answer = new ArrayList<>(paused);
            answer.add(turn.message());
            return new Exchange(turn, paused.size(), answer);
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
