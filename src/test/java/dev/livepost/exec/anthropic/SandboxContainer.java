package dev.livepost.exec.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livepost.exec.Executor;
import dev.livepost.exec.ExecutorSession;
import dev.livepost.exec.RunEvent;
import dev.livepost.exec.RunOutcome;
import dev.livepost.exec.RunRequest;
import dev.livepost.exec.RunSink;
import dev.livepost.exec.SessionSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A {@link FakeContainer} inside one session of the real local executor: each bash command runs
 * through the session's sandbox kernel as {@code subprocess.Popen(['bash', '-c', cmd])}. The
 * sandbox has its own {@code /tmp} and keeps background processes (the Livepost kernel) and files
 * between commands, like an Anthropic container.
 */
final class SandboxContainer implements FakeContainer {
    private static final String MARK = "LPFAKE-RESULT ";

    /** Runs one command in its own process group, so a timeout or cancel kills all of it. */
    private static final String RUNNER =
            """
            def _lpfake(cmd, limit, out_dir, in_dir):
                import base64, json, os, signal, subprocess
                os.makedirs(out_dir, exist_ok=True)
                os.makedirs(in_dir, exist_ok=True)
                def stamps():
                    d, r = out_dir, {}
                    if os.path.isdir(d):
                        for n in os.listdir(d):
                            p = os.path.join(d, n)
                            if os.path.isfile(p):
                                st = os.stat(p)
                                r[n] = [st.st_size, st.st_mtime_ns]
                    return r
                before = stamps()
                p = subprocess.Popen(['bash', '-c', base64.b64decode(cmd).decode()], cwd='/tmp',
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True,
                                     env={'PATH': '/usr/bin:/bin', 'HOME': '/tmp', 'LANG': 'C.UTF-8',
                                          'OUTPUT_DIR': out_dir, 'INPUT_DIR': in_dir})
                timed_out = False
                try:
                    out, err = p.communicate(timeout=limit)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    out, err = p.communicate()
                    timed_out = True
                except KeyboardInterrupt:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.communicate()
                    raise
                files = {}
                for n, s in stamps().items():
                    if before.get(n) != s:
                        with open(os.path.join(out_dir, n), 'rb') as f:
                            files[n] = base64.b64encode(f.read()).decode()
                print('%s' + json.dumps({'stdout': out.decode('utf-8', 'replace'),
                                         'stderr': err.decode('utf-8', 'replace'),
                                         'rc': p.returncode, 'timedOut': timed_out,
                                         'files': files}), flush=True)
            """
                    .formatted(MARK);

    /** Where Anthropic's containers had {@code $INPUT_DIR}, as far as recorded; ours is here. */
    static final String INPUT_DIR = "/tmp/files/input";

    /** Stages uploads: {@code $INPUT_DIR} emptied, then the files written. */
    private static final String STAGE =
            """
            def _lpstage(d, files):
                import base64, os, shutil
                shutil.rmtree(d, ignore_errors=True)
                os.makedirs(d)
                for n, b in files.items():
                    with open(os.path.join(d, n), 'wb') as f:
                        f.write(base64.b64decode(b))
                print('%s{}')
            """
                    .formatted(MARK);

    private final String id;
    private final String outputDir;
    private boolean staged; // guarded by this
    private final ExecutorSession session;
    private final ObjectMapper json = new ObjectMapper();

    SandboxContainer(String id, Executor local) {
        this.id = id;
        // Recorded real streams showed /files/output/<16 hex>, different every time; the sandbox
        // can write only under /tmp, so the fake's differs by that prefix.
        this.outputDir =
                "/tmp/files/output/"
                        + java.util.HexFormat.of()
                                .formatHex(
                                        java.nio.ByteBuffer.allocate(8)
                                                .putLong(
                                                        new java.security.SecureRandom().nextLong())
                                                .array());
        this.session = local.open(new SessionSpec("fake/" + id, "python", false, List.of()));
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String outputDir() {
        return outputDir;
    }

    @Override
    public synchronized void stage(Map<String, byte[]> uploads) {
        if (uploads.isEmpty() && !staged) {
            return; // nothing to take away: no need to wake the sandbox
        }
        staged = !uploads.isEmpty();
        var files = new StringBuilder("{");
        uploads.forEach(
                (name, bytes) ->
                        files.append('\'')
                                .append(name.replaceAll("[^A-Za-z0-9._-]", "_"))
                                .append("': '")
                                .append(Base64.getEncoder().encodeToString(bytes))
                                .append("', "));
        String code = STAGE + "_lpstage('" + INPUT_DIR + "', " + files + "})\n";
        RunOutcome o = session.run(new RunRequest("stage", code, Duration.ofSeconds(30)), QUIET);
        if (!(o instanceof RunOutcome.Finished f && f.status() == dev.livepost.exec.RunStatus.OK)) {
            throw new IllegalStateException("staging the uploads failed: " + o);
        }
    }

    private static final RunSink QUIET =
            new RunSink() {
                @Override
                public void emit(RunEvent event) {}

                @Override
                public void file(String name, String mime, byte[] content) {}

                @Override
                public void fileTooLarge(String name, long size) {}
            };

    @Override
    public synchronized Exec exec(String command, Duration limit, BooleanSupplier cancelled) {
        return exec(command, limit, cancelled, true);
    }

    /**
     * @param again whether a sandbox found lost before the command ran may be replaced once: to the
     *     client that is a restored container (its processes and files are gone), which Anthropic's
     *     containers can be too
     */
    private Exec exec(String command, Duration limit, BooleanSupplier cancelled, boolean again) {
        String b64 = Base64.getEncoder().encodeToString(command.getBytes(StandardCharsets.UTF_8));
        String code =
                RUNNER
                        + "_lpfake('"
                        + b64
                        + "', "
                        + limit.toMillis() / 1000.0
                        + ", '"
                        + outputDir
                        + "', '"
                        + INPUT_DIR
                        + "')\n";
        var out = new StringBuilder();
        var err = new StringBuilder();
        RunSink sink =
                new RunSink() {
                    @Override
                    public synchronized void emit(RunEvent event) {
                        if (event instanceof RunEvent.Stdout o) {
                            out.append(o.text());
                        } else if (event instanceof RunEvent.Stderr e) {
                            err.append(e.text());
                        }
                    }

                    @Override
                    public void file(String name, String mime, byte[] content) {}

                    @Override
                    public void fileTooLarge(String name, long size) {}
                };
        var run =
                CompletableFuture.supplyAsync(
                        () ->
                                session.run(
                                        new RunRequest("fake", code, limit.plusSeconds(30)), sink));
        boolean stopped = false;
        while (true) {
            try {
                run.get(100, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                if (!stopped && cancelled.getAsBoolean()) {
                    stopped = true;
                    session.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        String text;
        synchronized (sink) {
            text = out.toString();
        }
        int at = text.lastIndexOf(MARK);
        if (stopped) {
            return new Exec("", "", 137, false, true, java.util.Map.of());
        }
        RunOutcome outcome = run.join();
        if (at < 0 && again && outcome instanceof RunOutcome.Lost lost) {
            System.err.println("fake container " + id + ": its sandbox was lost (" + lost + ")");
            return exec(command, limit, cancelled, false);
        }
        if (at < 0) {
            throw new IllegalStateException(
                    "the sandbox did not run the command (" + outcome + "): " + text + err);
        }
        try {
            JsonNode r = json.readTree(text.substring(at + MARK.length()));
            var files = new HashMap<String, byte[]>();
            r.path("files")
                    .fields()
                    .forEachRemaining(
                            f ->
                                    files.put(
                                            f.getKey(),
                                            Base64.getDecoder().decode(f.getValue().asText())));
            return new Exec(
                    r.path("stdout").asText(),
                    r.path("stderr").asText(),
                    r.path("rc").asInt(),
                    r.path("timedOut").asBoolean(),
                    false,
                    files);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        session.close();
    }
}
