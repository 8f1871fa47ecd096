package dev.livepost.exec.local;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The process a {@link Sandbox} talks to: a bubblewrap launch ({@link #of(Process)}) or a child of
 * the {@link Zygote}. Its stdin takes commands, its stdout is the protocol channel, its stderr the
 * sandbox's own errors. {@link #kill} ends the sandbox's whole pid namespace. Thread-safe.
 */
interface SandboxProcess {
    /** The host pid of the process whose death ends the sandbox. */
    long pid();

    OutputStream stdin();

    InputStream stdout();

    InputStream stderr();

    boolean alive();

    /** SIGKILL to the sandbox's pid 1 or its launcher: everything in its pid namespace dies. */
    void kill();

    /** Waits until it has exited; false if it is still running after {@code within}. */
    boolean waitFor(Duration within) throws InterruptedException;

    static SandboxProcess of(Process process) {
        return new SandboxProcess() {
            @Override
            public long pid() {
                return process.pid();
            }

            @Override
            public OutputStream stdin() {
                return process.getOutputStream();
            }

            @Override
            public InputStream stdout() {
                return process.getInputStream();
            }

            @Override
            public InputStream stderr() {
                return process.getErrorStream();
            }

            @Override
            public boolean alive() {
                return process.isAlive();
            }

            @Override
            public void kill() {
                process.destroyForcibly();
            }

            @Override
            public boolean waitFor(Duration within) throws InterruptedException {
                return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
            }
        };
    }
}
