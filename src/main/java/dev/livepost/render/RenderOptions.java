package dev.livepost.render;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of {@code livepost render} that {@code serve} does not have; the others ({@code
 * --posts}, {@code --data}, {@code --executor}, {@code --model}) are left for {@link
 * dev.livepost.Config}.
 *
 * @param out the folder to write the site to
 * @param server a live Livepost the pages' runners talk to ({@code server=} of the component), or
 *     null: the copy then shows the precomputed outputs and runs nothing
 * @param strict whether an artifact whose precompute failed fails the render
 * @param withAnthropic whether prompt artifacts are precomputed too (they call the Anthropic API)
 * @param rest the arguments left for {@link dev.livepost.Config#parse}
 */
public record RenderOptions(
        Path out, String server, boolean strict, boolean withAnthropic, List<String> rest) {

    public RenderOptions {
        rest = List.copyOf(rest);
    }

    /**
     * @throws IllegalArgumentException naming the flag, for the user
     */
    public static RenderOptions parse(List<String> args) {
        Path out = null;
        String server = null;
        boolean strict = false;
        boolean withAnthropic = false;
        var rest = new ArrayList<String>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            switch (name) {
                case "--out", "--server" -> {
                    String value;
                    if (a.contains("=")) {
                        value = a.substring(a.indexOf('=') + 1);
                    } else if (i + 1 < args.size()) {
                        value = args.get(++i);
                    } else {
                        throw new IllegalArgumentException(name + " needs a value");
                    }
                    if (name.equals("--out")) {
                        out = Path.of(value).toAbsolutePath().normalize();
                    } else {
                        server = server(value);
                    }
                }
                case "--strict" -> strict = true;
                case "--with-anthropic" -> withAnthropic = true;
                case "--port", "--host" ->
                        throw new IllegalArgumentException(
                                name
                                        + " is a serve option; render writes files and listens on"
                                        + " nothing");
                default -> rest.add(a);
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("render needs --out DIR, the folder to write to");
        }
        return new RenderOptions(out, server, strict, withAnthropic, rest);
    }

    /** An {@code http(s)://host[:port][/path]} URL without a trailing slash. */
    private static String server(String value) {
        try {
            URI u = new URI(value.strip());
            if ((!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()))
                    || u.getHost() == null
                    || u.getQuery() != null
                    || u.getFragment() != null) {
                throw new URISyntaxException(value, "not an http(s) URL");
            }
            return u.toString().replaceAll("/+$", "");
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "--server must be the http(s) address of a Livepost server, e.g."
                            + " https://blog.example, not '"
                            + value
                            + "'");
        }
    }
}
