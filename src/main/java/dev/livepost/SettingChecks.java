package dev.livepost;

import dev.livepost.SettingsReader.Rejected;
import dev.livepost.web.ClientAddress;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the settings that are not numbers, switches or choices accept; each check returns the parsed
 * value or throws {@link Rejected} saying what is accepted. Stateless.
 */
final class SettingChecks {
    private static final Pattern API_VERSION = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/-]*");

    private SettingChecks() {}

    /** A bind address: an IP literal or a host name that resolves (no bind is tried here). */
    static String host(String text) {
        try {
            InetAddress.getByName(text.startsWith("[") ? text.replaceAll("^\\[|]$", "") : text);
            return text;
        } catch (UnknownHostException | SecurityException e) {
            throw new Rejected(
                    "must be an address of this machine (127.0.0.1, 0.0.0.0, ::) or a host name"
                            + " that resolves");
        }
    }

    /** A folder, made absolute; a missing one is fine (it is created, or read as empty). */
    static Path folder(String text) {
        Path p;
        try {
            p = Path.of(text).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new Rejected("must be a path to a folder");
        }
        if (Files.exists(p) && !Files.isDirectory(p)) {
            throw new Rejected("must be a folder (this is a file)");
        }
        return p;
    }

    /** An identifier such as a model id: no spaces. */
    /** {@code auto} or a whole number of sandboxes up to {@link Config.Pool#AUTO_MOST}. */
    static Config.Pool pool(String text) {
        if (text.equals("auto")) {
            return Config.Pool.sizedByMemory();
        }
        String rule = "must be 'auto' or 0.." + Config.Pool.AUTO_MOST + " sandboxes";
        try {
            int n = Integer.parseInt(text.replace("_", ""));
            if (n >= 0 && n <= Config.Pool.AUTO_MOST) {
                return Config.Pool.of(n);
            }
        } catch (NumberFormatException e) {
            // the rule below says what is accepted
        }
        throw new Rejected(rule);
    }

    static String word(String text) {
        if (!WORD.matcher(text).matches()) {
            throw new Rejected("must be a model id such as " + Config.DEFAULT_MODEL);
        }
        return text;
    }

    /** An {@code http(s)://host[:port][/path]} address. */
    static URI httpUrl(String text) {
        try {
            URI u = new URI(text);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
                    && u.getHost() != null
                    && u.getQuery() == null
                    && u.getFragment() == null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // the message below says what is expected
        }
        throw new Rejected("must be an http(s) address such as https://api.anthropic.com");
    }

    /** The address as {@code --print-config} shows it: a password in it is never printed. */
    static String withoutUserInfo(URI u) {
        return u.getRawUserInfo() == null
                ? u.toString()
                : u.toString().replace(u.getRawUserInfo() + "@", "***@");
    }

    /** An {@code anthropic-version} date. */
    static String apiVersion(String text) {
        if (!API_VERSION.matcher(text).matches()) {
            throw new Rejected("must be a date such as 2023-06-01");
        }
        return text;
    }

    /** {@code *} or an origin, {@code scheme://host[:port]}, as a browser sends it. */
    static String origin(String text) {
        if (text.equals("*")) {
            return text;
        }
        try {
            URI u = new URI(text);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
                    && u.getHost() != null
                    && u.getUserInfo() == null
                    && (u.getRawPath() == null || u.getRawPath().isEmpty())
                    && u.getQuery() == null
                    && u.getFragment() == null) {
                return text;
            }
        } catch (URISyntaxException e) {
            // the message below says what is expected
        }
        throw new Rejected(
                "must be an origin such as https://blog.example or http://localhost:3000 (no"
                        + " path), or *");
    }

    /** A proxy's IP address or a CIDR range. */
    static String skill(String text) {
        if (!text.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
            throw new Rejected("must be skill ids such as pdf, xlsx, docx or pptx");
        }
        return text;
    }

    static String proxy(String text) {
        try {
            ClientAddress.trusting(List.of(text));
            return text;
        } catch (IllegalArgumentException e) {
            throw new Rejected(
                    "must be an IP address or a CIDR range such as 10.0.0.0/8 or fd00::/8");
        }
    }
}
