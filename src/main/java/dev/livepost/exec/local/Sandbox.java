package dev.livepost.exec.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livepost.LivepostException;
import dev.livepost.exec.KernelScripts;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running sandbox with our kernel in it: sends it commands on stdin and turns the JSON lines of
 * its protocol channel (the process's stdout) into run events. One run at a time (the caller makes
 * sure); {@link #interrupt} and {@link #kill} may come from any thread.
 *
 * <p>One thread reads the channel. Its stderr has no thread: the kernel writes there only when it
 * fails, and it is drained when someone asks what it said and after every run. A server holds
 * thousands of sandboxes, and each of its garbage collections walks every thread's stack: with a
 * thread for each pipe, that walk took 85 ms of a pause with 650 sandboxes.
 */
final class Sandbox {
    private static final Logger log = LoggerFactory.getLogger(Sandbox.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STDERR_LINE_BYTES = 300;

    /**
     * How a run ended as the kernel tells it, or {@code DIED} when the sandbox went away.
     *
     * @param exitCode the code's exit code as the kernel reports it (0 to 255)
     */
    record Ending(Kind kind, int exitCode) {
        enum Kind {
            OK,
            ERROR,
            INTERRUPTED,
            DIED
        }

        static final Ending DIED = new Ending(Kind.DIED, 137);
    }

    private final SandboxProcess process;
    private final SandboxLimits.Slot slot;
    private final Runnable onGone;
    private final long maxFileBytes;
    private final LineReader protocol;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Deque<String> stderrTail = new ArrayDeque<>(); // guarded by itself
    private final ByteArrayOutputStream stderrLine = new ByteArrayOutputStream(); // by stderrTail
    private final CompletableFuture<Void> exited = new CompletableFuture<>();
    private volatile RunSink sink;
    private volatile CompletableFuture<Ending> current;
    private volatile String currentRunId;
    private final Object runLock = new Object();
    private String
            pendingInterrupt; // a run's id interrupted before it was sent; guarded by runLock
    private volatile boolean started; // whether the kernel began the current run
    private final AtomicBoolean gone = new AtomicBoolean();
    private final Object writeLock = new Object();
    private volatile String language = "python";
    private volatile long memoryBytes;
    private volatile boolean frozen;

    Sandbox(SandboxProcess process, SandboxLimits.Slot slot, long maxFileBytes, Runnable onGone) {
        this.process = process;
        this.maxFileBytes = maxFileBytes;
        this.slot = slot;
        this.onGone = onGone;
        // The largest message is a file: base64 of the largest kept file, plus its JSON.
        this.protocol =
                new LineReader(
                        process.stdout(),
                        (int) Math.min(Integer.MAX_VALUE - 64, maxFileBytes * 4 / 3 + (1 << 16)));
        var reader = new Thread(this::readProtocol, "sandbox-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.alive() && !exited.isDone();
    }

    /** Waits for the kernel's {@code ready}; kills the sandbox and throws if it does not come. */
    void awaitReady(Duration within) {
        boolean ok;
        try {
            ok = ready.await(within.toMillis(), TimeUnit.MILLISECONDS) && alive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        if (!ok) {
            // Its stderr before the kill: destroying a process closes its streams.
            String why =
                    alive() ? "it did not start within " + within.toSeconds() + " s" : stderr();
            kill();
            throw LivepostException.unavailable("the sandbox did not start: " + why);
        }
    }

    /** The last lines the sandbox wrote to its stderr (bwrap's and the kernel's own errors). */
    String stderr() {
        waitForExit(Duration.ofMillis(500)); // a dying sandbox's last lines are then all there
        synchronized (stderrTail) {
            drainStderr();
            return stderrTail.isEmpty() ? "no error output" : String.join(" | ", stderrTail);
        }
    }

    /**
     * Makes this a sandbox of another language than Python: every run's code is that language's,
     * and the kernel starts what it needs (a shell, node) now rather than at the first run. Called
     * once, before the first run; does not block.
     *
     * @param memoryBytes the sandbox's memory limit, which sizes the language's own heap
     */
    void prepare(String lang, long memoryBytes) {
        this.language = lang;
        this.memoryBytes = memoryBytes;
        ObjectNode msg =
                JSON.createObjectNode()
                        .put("type", "prepare")
                        .put("lang", lang)
                        .put("memory", memoryBytes);
        if (lang.equals("java")) {
            ObjectNode classes = msg.putObject("classes");
            KernelScripts.jshellDriver().forEach(classes::put);
        }
        send(msg);
    }

    /** The language of this sandbox's runs ({@link #prepare}), {@code python} by default. */
    String language() {
        return language;
    }

    /**
     * Runs code and blocks until the kernel reports the end, the sandbox dies, or {@code within}
     * passes (then returns null and the run goes on).
     */
    Ending run(String runId, String code, RunSink runSink, Duration within) {
        var ending = new CompletableFuture<Ending>();
        this.sink = runSink;
        this.current = ending;
        this.started = false;
        if (!alive()) {
            return Ending.DIED;
        }
        ObjectNode msg = JSON.createObjectNode().put("type", "run").put("id", runId);
        msg.put("code", code);
        if (!language.equals("python")) {
            msg.put("lang", language).put("memory", memoryBytes);
        }
        synchronized (runLock) {
            // Under the lock, so an interrupt for this run is sent after it, never before.
            this.currentRunId = runId;
            send(msg);
            String pending = pendingInterrupt;
            if (pending != null && belongsTo(runId, pending)) {
                pendingInterrupt = null;
                send(JSON.createObjectNode().put("type", "interrupt").put("id", runId));
            }
        }
        return await(within);
    }

    /** Keeps waiting for the current run; null if it has not ended within {@code within}. */
    Ending await(Duration within) {
        CompletableFuture<Ending> ending = current;
        try {
            return ending.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            return Ending.DIED;
        }
    }

    /**
     * KeyboardInterrupt in the current run; names the run, so the kernel also stops one it has been
     * sent but not yet started, and ignores the interrupt once that run is over.
     */
    void interrupt() {
        String runId = currentRunId;
        if (runId != null) {
            send(JSON.createObjectNode().put("type", "interrupt").put("id", runId));
        }
    }

    /**
     * KeyboardInterrupt in the run {@code runId} or one of its setup steps ({@code runId-setup-N}),
     * now if it has been sent, else as soon as it is: the kernel drops an interrupt for a run it
     * has not heard of yet.
     */
    void interrupt(String runId) {
        synchronized (runLock) {
            String sent = currentRunId;
            if (sent != null && belongsTo(sent, runId)) {
                send(JSON.createObjectNode().put("type", "interrupt").put("id", sent));
            } else {
                pendingInterrupt = runId;
            }
        }
    }

    private static boolean belongsTo(String requestId, String runId) {
        return requestId.equals(runId) || requestId.startsWith(runId + "-");
    }

    /** Standard input for the current run (the kernel drops it for any other run). */
    void stdin(String text, boolean eof) {
        String runId = currentRunId;
        if (runId != null) {
            ObjectNode msg = JSON.createObjectNode().put("type", "stdin").put("id", runId);
            msg.put("text", text);
            if (eof) {
                msg.put("eof", true);
            }
            send(msg);
        }
    }

    /**
     * Whether the kernel said it began the current run. A sandbox that died before saying so did
     * not run the code (as far as the kernel can be believed: it only ever confuses this session).
     */
    boolean started() {
        return started;
    }

    boolean outOfMemory() {
        return slot.outOfMemory();
    }

    /** Stops every process of the sandbox until {@link #thaw}; false where it cannot. */
    boolean freeze() {
        frozen = slot.freeze(true);
        return frozen;
    }

    void thaw() {
        frozen = false;
        slot.freeze(false);
    }

    /** Whether it is frozen now (an idle session's, or one waiting in the pool). */
    boolean frozen() {
        return frozen && !gone.get();
    }

    /** Gives it CPU only where others leave it ({@code true}), or its equal share. */
    void background(boolean background) {
        slot.background(background);
    }

    /** What the sandbox uses now, or -1 where unknown. */
    long memoryBytes() {
        return slot.memoryBytes();
    }

    /** Kills the whole sandbox (its pid namespace dies with bwrap) and removes its limits. */
    void kill() {
        if (gone.getAndSet(true)) {
            return;
        }
        // A frozen process takes no signal, not even SIGKILL (cgroup v1): an idle session's
        // sandbox would otherwise die only when its slot is closed, seconds later.
        slot.freeze(false);
        process.kill();
        waitForExit(Duration.ofSeconds(2));
        synchronized (stderrTail) {
            drainStderr();
            closeQuietly(process.stderr());
        }
        slot.close();
        onGone.run();
    }

    private void waitForExit(Duration within) {
        try {
            process.waitFor(within);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes one command; a killed sandbox's pipe breaks, so this never blocks {@link #kill}. */
    private void send(JsonNode msg) {
        if (gone.get()) {
            return;
        }
        try {
            synchronized (writeLock) {
                OutputStream in = process.stdin();
                in.write(JSON.writeValueAsBytes(msg));
                in.write('\n');
                in.flush();
            }
        } catch (IOException e) {
            log.debug("sandbox {} does not take commands: {}", process.pid(), e.toString());
        }
    }

    private void readProtocol() {
        try {
            String line;
            while ((line = protocol.next(false)) != null) {
                JsonNode msg = JSON.readTree(line); // garbage ends the protocol: see catch
                try {
                    handle(msg);
                } catch (RuntimeException e) {
                    // A failing sink (e.g. a full disk) costs that event, not the sandbox.
                    log.warn("sandbox {}: could not handle a message", process.pid(), e);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Only code in the sandbox writing to our channel gets here; it loses its sandbox.
            log.info(
                    "sandbox {} broke its protocol ({}); stopping it", process.pid(), e.toString());
            process.kill();
        } finally {
            ended();
        }
    }

    /** The channel ended: the sandbox is gone, and so is any run in it. */
    private void ended() {
        closeQuietly(process.stdout());
        exited.complete(null);
        ready.countDown(); // whoever waits for a sandbox that died at startup stops waiting
        sink = null;
        CompletableFuture<Ending> ending = current;
        if (ending != null) {
            waitForExit(Duration.ofSeconds(1));
            ending.complete(Ending.DIED);
        }
    }

    private void handle(JsonNode msg) {
        String type = msg.path("type").asText();
        RunSink out = sink;
        switch (type) {
            case "ready" -> ready.countDown();
            case "started" -> {
                if (ofCurrentRun(msg)) {
                    started = true;
                }
            }
            case "stdout" -> emit(out, new RunEvent.Stdout(msg.path("text").asText()));
            case "stderr" -> emit(out, new RunEvent.Stderr(msg.path("text").asText()));
            case "display" -> {
                Map<String, String> mime = new LinkedHashMap<>();
                msg.path("mime")
                        .fields()
                        .forEachRemaining(e -> mime.put(e.getKey(), e.getValue().asText()));
                emit(out, new RunEvent.Display(mime));
            }
            case "file" -> file(out, msg);
            case "notice" -> emit(out, new RunEvent.Notice(msg.path("message").asText()));
            case "input" -> {
                // Untrusted like every message: a prompt is a line, not a way around the output
                // limit.
                String prompt = msg.path("prompt").asText("");
                emit(out, new RunEvent.Input(prompt.substring(0, Math.min(prompt.length(), 1000))));
            }
            case "done" -> {
                if (!ofCurrentRun(msg)) {
                    // A run that ended earlier (its done forged, its code frozen, then thawed).
                    log.debug("sandbox {}: a done of another run", process.pid());
                    return;
                }
                CompletableFuture<Ending> ending = current;
                sink = null; // output of threads the run left behind must not follow its done
                synchronized (stderrTail) {
                    drainStderr(); // so that the kernel never blocks on a full stderr pipe
                }
                if (ending != null) {
                    // Untrusted like every message: a status or code out of range is an error.
                    int exit = msg.path("exit").asInt(1);
                    int code = exit >= 0 && exit <= 255 ? exit : 1;
                    ending.complete(
                            switch (msg.path("status").asText()) {
                                case "ok" -> new Ending(Ending.Kind.OK, 0);
                                case "interrupted" -> new Ending(Ending.Kind.INTERRUPTED, 130);
                                default -> new Ending(Ending.Kind.ERROR, code == 0 ? 1 : code);
                            });
                }
            }
            default -> log.debug("sandbox {} sent unknown message {}", process.pid(), type);
        }
    }

    private boolean ofCurrentRun(JsonNode msg) {
        return msg.path("id").asText("").equals(currentRunId);
    }

    private static void emit(RunSink out, RunEvent event) {
        if (out != null) {
            out.emit(event);
        }
    }

    private static void file(RunSink out, JsonNode msg) {
        if (out == null) {
            return;
        }
        String name = msg.path("name").asText("file");
        JsonNode data = msg.path("data");
        if (!data.isTextual()) {
            out.fileTooLarge(name, msg.path("size").asLong());
            return;
        }
        String mime = msg.path("mime").isTextual() ? msg.path("mime").asText() : null;
        out.file(name, mime, Base64.getDecoder().decode(data.asText()));
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already closed
        }
    }

    /**
     * Reads what the sandbox's stderr holds now without waiting, keeping its last lines (each cut
     * to {@link #STDERR_LINE_BYTES}). Called with {@code stderrTail} held.
     */
    private void drainStderr() {
        try {
            InputStream err = process.stderr();
            byte[] chunk = null;
            int n;
            while ((n = err.available()) > 0) {
                chunk = chunk != null ? chunk : new byte[4096];
                int read = err.read(chunk, 0, Math.min(n, chunk.length));
                if (read < 0) {
                    break;
                }
                for (int i = 0; i < read; i++) {
                    if (chunk[i] == '\n') {
                        stderrLine(stderrLine.toString(StandardCharsets.UTF_8));
                        stderrLine.reset();
                    } else if (stderrLine.size() < STDERR_LINE_BYTES) {
                        stderrLine.write(chunk[i]);
                    }
                }
            }
            if (!alive() && stderrLine.size() > 0) { // its last line, without a newline
                stderrLine(stderrLine.toString(StandardCharsets.UTF_8));
                stderrLine.reset();
            }
        } catch (IOException e) {
            // closed: it said all it will
        }
    }

    private void stderrLine(String line) {
        log.debug("sandbox {}: {}", process.pid(), line);
        stderrTail.addLast(line);
        if (stderrTail.size() > 5) {
            stderrTail.removeFirst();
        }
    }
}
