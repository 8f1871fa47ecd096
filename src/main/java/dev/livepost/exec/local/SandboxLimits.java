package dev.livepost.exec.local;

import dev.livepost.Limits;
import java.util.List;

/**
 * How a sandbox's memory, process count and CPU are capped from outside: cgroups v2, cgroups v1
 * (root's, or a subtree delegated to the server's user), or, when no cgroup is writable, rlimits
 * only. Chosen once at startup ({@link #detect}); rlimits for file size, open files (and processes,
 * when the sandbox has a uid of its own) are always set on top. Thread-safe.
 */
interface SandboxLimits {

    /** One line for {@code /healthz} and the log, e.g. {@code cgroup v1 (memory 512 MB, ...)}. */
    String describe();

    /** Whether memory and process count are enforced for the sandbox as a whole. */
    boolean perSandbox();

    /** Whether the cgroups are in a subtree delegated to an unprivileged server. */
    default boolean delegated() {
        return false;
    }

    /**
     * Makes the limits of one sandbox.
     *
     * @param name unique among live sandboxes of this machine
     */
    Slot create(String name);

    /** The limits of one sandbox; {@link #close} removes them after killing what is left. */
    interface Slot extends AutoCloseable {

        /** Shell commands that put the shell ({@code $$}) under these limits before it execs. */
        List<String> joinCommands();

        /**
         * The {@code cgroup.procs} files a process writes its pid to, to join these limits: read
         * from {@link #joinCommands} ({@code echo $$ > 'file'}). Throws on any other command, so a
         * sandbox never starts outside limits it was meant to join.
         */
        default List<String> cgroupProcs() {
            String prefix = "echo $$ > '";
            return joinCommands().stream()
                    .map(
                            c -> {
                                if (!c.startsWith(prefix) || !c.endsWith("'")) {
                                    throw new IllegalStateException("unexpected join: " + c);
                                }
                                String file =
                                        c.substring(prefix.length(), c.length() - 1)
                                                .replace("'\\''", "'");
                                if (file.contains("'") && !c.contains("'\\''")) {
                                    throw new IllegalStateException("unexpected join: " + c);
                                }
                                return file;
                            })
                    .toList();
        }

        /** Whether the sandbox hit its memory limit and had a process killed for it. */
        boolean outOfMemory();

        /**
         * Stops ({@code true}) or resumes every process of the sandbox, so that what an idle
         * session left running uses no CPU. False where this slot cannot freeze.
         */
        default boolean freeze(boolean frozen) {
            return false;
        }

        /**
         * Gives the sandbox CPU only where others leave it ({@code true}: a pooled sandbox that
         * starts while readers run code), or its equal share again. No effect where the slot has no
         * CPU controller.
         */
        default void background(boolean background) {}

        /** The memory the sandbox uses now (tmpfs included), or -1 where unknown. */
        default long memoryBytes() {
            return -1;
        }

        /** Kills every process still in the slot and removes it. Idempotent. */
        @Override
        void close();
    }

    /**
     * Picks cgroups v2 where the unified hierarchy is writable (by root, or delegated), else v1,
     * else rlimits only.
     *
     * @param instance unique to this server process (cgroup folder names start with it)
     */
    static SandboxLimits detect(Limits limits, String instance) {
        SandboxLimits found = Cgroups.detect(limits, instance);
        return found != null ? found : new RlimitsOnly(limits);
    }

    /** No cgroup available: memory is capped by the address-space rlimit of each process. */
    final class RlimitsOnly implements SandboxLimits {
        private final Limits limits;

        RlimitsOnly(Limits limits) {
            this.limits = limits;
        }

        @Override
        public String describe() {
            return "rlimits only (no writable cgroup): address space "
                    + (addressSpace(limits) >> 20)
                    + " MB per process";
        }

        @Override
        public boolean perSandbox() {
            return false;
        }

        @Override
        public Slot create(String name) {
            return new Slot() {
                @Override
                public List<String> joinCommands() {
                    return List.of();
                }

                @Override
                public boolean outOfMemory() {
                    return false;
                }

                @Override
                public void close() {}
            };
        }

        /**
         * numpy, pandas and matplotlib reserve far more address space than they touch, so the cap
         * is the memory limit plus a fixed allowance for those reservations.
         */
        static long addressSpace(Limits limits) {
            return limits.memoryBytes() + (1L << 30);
        }
    }
}
