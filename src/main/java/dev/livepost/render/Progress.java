package dev.livepost.render;

import dev.livepost.precompute.Precomputed;
import dev.livepost.precompute.Precomputer;
import java.io.PrintStream;

/**
 * Shows how precomputing goes: a bar redrawn in place on a terminal, one plain line per artifact
 * otherwise (a log, a CI job). Calls come one at a time ({@link Precomputer#runAll} serializes
 * them).
 */
final class Progress implements Precomputer.Progress {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;

    Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void started(int total, int cached) {
        out.println(
                "precomputing "
                        + (total - cached)
                        + " of "
                        + total
                        + " artifacts ("
                        + cached
                        + " unchanged since they last ran)");
        if (terminal && total > cached) {
            bar(cached, total, "");
        }
    }

    @Override
    public void finished(Precomputer.Result r, int done, int total) {
        Precomputed p = r.output();
        String line = r.artifact().address() + ": " + Precomputer.describe(p);
        if (terminal) {
            if (!p.ok()) {
                out.print("\r\033[K");
                out.println(line);
            }
            bar(done, total, r.artifact().address());
            if (done == total) {
                out.println();
            }
        } else {
            out.println("[" + done + "/" + total + "] " + line);
        }
        out.flush();
    }

    private void bar(int done, int total, String label) {
        int filled = total == 0 ? WIDTH : done * WIDTH / total;
        out.print(
                "\r\033[K["
                        + "#".repeat(filled)
                        + " ".repeat(WIDTH - filled)
                        + "] "
                        + done
                        + "/"
                        + total
                        + " "
                        + label);
        out.flush();
    }
}
