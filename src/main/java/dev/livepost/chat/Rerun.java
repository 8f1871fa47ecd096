package dev.livepost.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Python the conversation's kernel runs when the reader runs an artifact again, doing what
 * Claude did with the reader's version of the code: a file Claude wrote is written again with it
 * and the command that ran it runs again (or, for a file Claude never ran, the file is run by its
 * interpreter); a command runs as the reader wrote it; Python Claude ran as such runs in the kernel
 * itself. Commands run with bash in a child process, whose output is passed on; their working
 * folder is the kernel's, so files they write there come back like the kernel's own. Stateless.
 */
public final class Rerun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Rerun() {}

    /** What to run for {@code artifact} with the reader's {@code code}. */
    public static String source(ChatArtifact artifact, String code) {
        if (artifact.path() == null && artifact.command() == null) {
            return code; // Python Claude ran in the older Python-only tool: it is the code
        }
        String command;
        if (artifact.path() == null) {
            command = code; // the command itself, as the reader edited it
        } else if (artifact.command() != null) {
            command = artifact.command();
        } else {
            command = interpreter(artifact.language(), artifact.path());
        }
        var py =
                new StringBuilder(
                        "import os as _os, pathlib as _pl, subprocess as _sp, sys as _sys\n");
        if (artifact.path() != null) {
            // Written only when the reader changed it (the editor drops a final newline): the
            // kernel reports a changed file of its folder as the run's output, which for an edit
            // is true (Claude's next command runs the reader's version) and otherwise noise.
            String text = code.endsWith("\n") ? code : code + "\n";
            py.append("_p = _pl.Path(")
                    .append(literal(artifact.path()))
                    .append(")\n")
                    .append("_c = ")
                    .append(literal(text))
                    .append("\n")
                    .append("if not _p.is_file() or _p.read_text().rstrip() != _c.rstrip():\n")
                    .append("    _p.parent.mkdir(parents=True, exist_ok=True)\n")
                    .append("    _p.write_text(_c)\n");
        }
        if (command == null) {
            py.append("print('saved ' + str(_p))\n");
            return py.toString();
        }
        py.append("_r = _sp.run(")
                .append(literal(command))
                .append(
                        ", shell=True, executable='/bin/bash', capture_output=True, text=True,"
                                + " env=dict(_os.environ, OUTPUT_DIR=_os.getcwd()))\n")
                .append("_sys.stdout.write(_r.stdout)\n")
                .append("_sys.stderr.write(_r.stderr)\n")
                .append("if _r.returncode:\n    _sys.exit(_r.returncode)\n");
        return py.toString();
    }

    /** How a file Claude wrote but never ran is run, or null when it is not a program. */
    private static String interpreter(String language, String path) {
        String quoted = "'" + path.replace("'", "'\\''") + "'";
        return switch (language) {
            case "python" -> "python3 " + quoted;
            case "bash" -> "bash " + quoted;
            default -> null;
        };
    }

    /** A Python string literal: JSON's string syntax is valid Python. */
    private static String literal(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
