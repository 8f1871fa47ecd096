package dev.livepost.precompute;

import dev.livepost.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs the code, as part of every {@link OutputKey}: a new Python or library version, or
 * another executor or model, makes every stored output stale. Stateless.
 */
public final class RuntimeId {
    private static final Logger log = LoggerFactory.getLogger(RuntimeId.class);

    /** Prints the versions that decide what sandboxed code does; runs no code of a post. */
    private static final String VERSIONS =
            "import sys\n"
                    + "v = ['python ' + sys.version.split()[0]]\n"
                    + "for m in ('numpy', 'pandas', 'matplotlib'):\n"
                    + "    try:\n"
                    + "        v.append(m + ' ' + __import__(m).__version__)\n"
                    + "    except Exception:\n"
                    + "        v.append(m + ' missing')\n"
                    + "print(' '.join(v))\n";

    private RuntimeId() {}

    /**
     * The runtime of the configured executor; for {@code local}, asks the system interpreter the
     * sandboxes use for its version and its libraries' (blocks for about a second).
     */
    public static String of(Config config) {
        if (config.executor().equals("anthropic")) {
            return "anthropic " + config.anthropic().model();
        }
        return "local " + pythonVersions();
    }

    private static String pythonVersions() {
        try {
            var pb = new ProcessBuilder("/usr/bin/python3", "-I", "-c", VERSIONS);
            pb.environment().clear();
            pb.environment().put("MPLBACKEND", "Agg");
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readNBytes(4096);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unknown";
            }
            String s = new String(out, StandardCharsets.UTF_8).strip();
            return p.exitValue() == 0 ? s : "unknown";
        } catch (IOException e) {
            log.warn("cannot ask /usr/bin/python3 for its version: {}", e.toString());
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
