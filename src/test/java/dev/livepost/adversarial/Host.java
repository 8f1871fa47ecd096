package dev.livepost.adversarial;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What an attack did, measured from the host rather than taken from the sandbox's or the server's
 * word: processes by pid namespace, their CPU time, files and bytes on the server's disk, and the
 * server's own CPU time. Stateless; reads {@code /proc} and the file system.
 */
final class Host {
    private Host() {}

    /**
     * Processes of the host in the pid namespace named like {@code pid:[4026532...]} (what the
     * sandbox reads from {@code /proc/self/ns/pid}); not only this JVM's descendants, so that
     * processes orphaned by their parent's death are found too.
     */
    static List<ProcessHandle> inPidNamespace(String namespace) {
        return ProcessHandle.allProcesses()
                .filter(p -> namespace.strip().equals(pidNamespace(p.pid())))
                .toList();
    }

    /** The pid namespace of a process, or "" when it is gone or cannot be read. */
    static String pidNamespace(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "ns", "pid"))
                    .toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "";
        }
    }

    /** CPU time (user and system) the processes have used so far; a gone one counts 0. */
    static Duration cpu(List<ProcessHandle> processes) {
        return processes.stream()
                .map(p -> p.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    /** CPU time this JVM (the server, in these tests) has used so far. */
    static Duration serverCpu() {
        var os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        return Duration.ofNanos(os.getProcessCpuTime());
    }

    /** Waits until every one of {@code processes} has exited; fails past {@code within}. */
    static void awaitExit(List<ProcessHandle> processes, Duration within) throws Exception {
        CompletableFuture.allOf(
                        processes.stream()
                                .map(ProcessHandle::onExit)
                                .toArray(CompletableFuture[]::new))
                .get(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Regular files under {@code dir} (none if it does not exist). */
    static List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).toList();
        }
    }

    /** Bytes of the regular files under {@code dir}. */
    static long bytesUnder(Path dir) throws IOException {
        long total = 0;
        for (Path f : filesUnder(dir)) {
            try {
                total += Files.size(f);
            } catch (java.nio.file.NoSuchFileException e) {
                // removed meanwhile (a quota making room): it takes no room
            }
        }
        return total;
    }
}
