package dev.livepost.exec.local;

/** Quoting for the few {@code sh -c} scripts the sandbox launch needs. */
final class Shell {
    private Shell() {}

    /** {@code s} as one single-quoted shell word. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
