package dev.livepost.exec;

import java.time.Duration;

/**
 * Every {@code notice} that {@link Sessions} sends on its own account, worded in one place from the
 * facts executors report. Stateless.
 */
final class Notices {
    private Notices() {}

    /** The session's state did not survive; {@code replaysSetup}: its setup chain runs again. */
    static String stateLost(StateLoss why, Duration timeout, boolean replaysSetup) {
        String cause;
        if (why instanceof StateLoss.TimedOut) {
            cause =
                    "The run passed its time limit of "
                            + seconds(timeout)
                            + " and did not stop when interrupted, so it was killed";
        } else if (why instanceof StateLoss.OutOfMemory m) {
            cause =
                    "The code used more than the memory limit of "
                            + (m.limitBytes() >> 20)
                            + " MB, so its sandbox was killed";
        } else if (why instanceof StateLoss.SandboxStopped) {
            cause = "The sandbox of this session stopped";
        } else if (why instanceof StateLoss.Evicted) {
            cause = "This session was idle while the server needed its sandbox for other readers";
        } else if (why instanceof StateLoss.ContainerReplaced) {
            cause = "The code execution container of this session expired or was reset";
        } else {
            cause = "The interpreter in the code execution container was restarted";
        }
        return cause
                + "; the session was restarted, so "
                + (why.filesKept()
                        ? "variables from earlier runs were lost (files were kept)"
                        : "variables and files from earlier runs were lost")
                + (replaysSetup ? ". The artifact's setup code runs again first." : ".");
    }

    static String serverStopping() {
        return "The server is stopping or restarting, so this run was stopped before it ended;"
                + " run it again in a moment (earlier state is gone).";
    }

    static String timedOut(Duration timeout) {
        return "The run passed its time limit of " + seconds(timeout) + " and was interrupted.";
    }

    static String setupDidNotFinish(RunStatus status) {
        return "The setup code of this artifact did not finish (" + status.wire() + ").";
    }

    static String outputLimit(long bytes) {
        return "Output passed the limit of "
                + bytes
                + " bytes; the run was stopped and the rest of its output dropped.";
    }

    static String fileTooLarge(String name, long size, long maxBytes) {
        return "The file "
                + name
                + " ("
                + size
                + " bytes) is larger than the limit of "
                + maxBytes
                + " bytes and was not kept.";
    }

    static String tooManyFiles(int max) {
        return "This run produced more than "
                + max
                + " files; only the first "
                + max
                + " are kept.";
    }

    static String sessionDiskFull(String name, long quota) {
        return "The files of this session passed the limit of "
                + (quota >> 20)
                + " MB, so "
                + name
                + " was not kept.";
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
