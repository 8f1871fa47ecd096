package dev.livepost.exec.anthropic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A {@link FakeContainer} made of a host folder that bubblewrap mounts at {@code /tmp} for each
 * command, so each container has its own {@code /tmp} (kernel, working folder, outputs). There is
 * no PID namespace, so the kernel a command starts in the background outlives it. Commands run on
 * the system Python ({@code PATH=/usr/bin:/bin}).
 */
final class BwrapContainer implements FakeContainer {
    private final String id;
    private final Path root;

    BwrapContainer(String id) {
        this.id = id;
        try {
            this.root = Files.createTempDirectory("fake-container-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String id() {
        return id;
    }

    private Path outputs() {
        return root.resolve("outputs");
    }

    @Override
    public Exec exec(String command, Duration limit, BooleanSupplier cancelled) {
        var before = outputStamps();
        try {
            Path out = Files.createTempFile("fake-exec-", ".out");
            Path err = Files.createTempFile("fake-exec-", ".err");
            try {
                var pb =
                        new ProcessBuilder(
                                "bwrap",
                                "--dev-bind",
                                "/",
                                "/",
                                "--bind",
                                root.toString(),
                                "/tmp",
                                "--chdir",
                                "/tmp",
                                "bash",
                                "-c",
                                command);
                pb.environment().put("PATH", "/usr/bin:/bin");
                pb.environment().put("HOME", "/tmp");
                pb.environment().remove("OUTPUT_DIR");
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                pb.redirectOutput(out.toFile()).redirectError(err.toFile());
                Process p = pb.start();
                long deadline = System.nanoTime() + limit.toNanos();
                boolean timedOut = false;
                boolean stopped = false;
                while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                    if (System.nanoTime() > deadline) {
                        timedOut = true;
                    } else if (cancelled.getAsBoolean()) {
                        stopped = true;
                    } else {
                        continue;
                    }
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor();
                    break;
                }
                return new Exec(
                        Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8),
                        p.exitValue(),
                        timedOut,
                        stopped,
                        changedOutputs(before));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Map<String, byte[]> changedOutputs(Map<Path, String> before) throws IOException {
        var changed = new HashMap<String, byte[]>();
        for (var e : outputStamps().entrySet()) {
            if (!e.getValue().equals(before.get(e.getKey()))) {
                changed.put(e.getKey().getFileName().toString(), Files.readAllBytes(e.getKey()));
            }
        }
        return changed;
    }

    /** Size and modification time of each file in the outputs folder. */
    private Map<Path, String> outputStamps() {
        var stamps = new HashMap<Path, String>();
        if (!Files.isDirectory(outputs())) {
            return stamps;
        }
        try (var files = Files.list(outputs())) {
            files.filter(Files::isRegularFile)
                    .forEach(
                            f -> {
                                try {
                                    stamps.put(
                                            f,
                                            Files.size(f)
                                                    + "/"
                                                    + Files.getLastModifiedTime(f).toMillis());
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return stamps;
    }

    private void killKernel() {
        Path pidFile = root.resolve(".livepost/kernel.pid");
        try {
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readString(pidFile).trim());
                ProcessHandle.of(pid)
                        .ifPresent(
                                h -> {
                                    h.destroyForcibly();
                                    h.onExit().join();
                                });
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    private void deleteContents() {
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder())
                    .filter(p -> !p.equals(root))
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        killKernel();
        deleteContents();
        try {
            Files.deleteIfExists(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
