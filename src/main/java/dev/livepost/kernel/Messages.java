package dev.livepost.kernel;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * JSON lines to the kernel on the driver's out pipe: displays, output and a run's end. Thread-safe
 * (user code may print from several threads).
 */
final class Messages {
    private final OutputStream out;

    Messages(OutputStream out) {
        this.out = out;
    }

    synchronized void send(String json) {
        try {
            out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            System.exit(70); // the kernel is gone
        }
    }

    void stream(String name, String text) {
        send("{\"stream\":\"" + name + "\",\"text\":" + quote(text) + "}");
    }

    void display(String text) {
        send("{\"display\":{\"text/plain\":" + quote(text) + "}}");
    }

    void done(boolean ok) {
        send("{\"status\":\"" + (ok ? "ok" : "error") + "\",\"exit\":" + (ok ? 0 : 1) + "}");
    }

    static String quote(String s) {
        var sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
