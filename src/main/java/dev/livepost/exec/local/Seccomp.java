package dev.livepost.exec.local;

import java.nio.file.Path;

/** The sandbox's system call filter (bwrap {@code --seccomp}). */
final class Seccomp {
    private Seccomp() {}

    /** Writes the compiled filter into {@code dir} and returns it, or null when there is none. */
    static Path write(Path dir) {
        return null;
    }
}
