package dev.livepost;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Everything the server is told at startup, built once from flags and environment (a flag wins over
 * its variable) and passed by constructor to whatever needs it. Immutable.
 *
 * @param host bind address
 * @param port TCP port; 0 picks a free one
 * @param posts folder of {@code *.md} posts
 * @param data caches, precomputed outputs, generated files
 * @param executor {@code local} or {@code anthropic}
 * @param anthropic settings of the {@code anthropic} executor
 * @param limits what untrusted code may use
 * @param sessionIdle idle time after which a session and its sandbox are discarded
 * @param poolSize pre-started sandboxes kept ready for new sessions
 * @param allowedOrigins origins allowed to call the API from other sites (CORS)
 * @param reloadPosts whether posts are re-read when their files change
 * @param web the web server's defences against floods, and the proxies it trusts
 * @param zygote whether the local executor forks sandboxes from a warm parent where it can ({@code
 *     LIVEPOST_ZYGOTE}, default true; false: one bubblewrap launch per sandbox)
 * @param precompute whether and how code artifacts are run ahead of readers
 * @param chat the limits of the {@code /chat} page's conversations with Claude
 */
public record Config(
        String host,
        int port,
        Path posts,
        Path data,
        String executor,
        Anthropic anthropic,
        Limits limits,
        Duration sessionIdle,
        int poolSize,
        List<String> allowedOrigins,
        boolean reloadPosts,
        Web web,
        boolean zygote,
        Precompute precompute,
        Chat chat) {

    public static final String DEFAULT_MODEL = "claude-sonnet-4-5";

    /** The code execution tool versions the {@code anthropic} executor can ask for. */
    public static final List<String> ANTHROPIC_TOOLS =
            List.of(
                    "code_execution_20250825",
                    "code_execution_20260120",
                    "code_execution_20260521");

    /**
     * Settings of the {@code anthropic} executor; {@code apiKey} may be null (not configured).
     *
     * @param tool the code execution tool version ({@code LIVEPOST_ANTHROPIC_TOOL})
     * @param dailyBudget input + output tokens per UTC day, 0 for no cap ({@code
     *     LIVEPOST_ANTHROPIC_DAILY_BUDGET})
     */
    public record Anthropic(
            String apiKey,
            URI baseUrl,
            String model,
            String apiVersion,
            String tool,
            long dailyBudget) {
        public Anthropic {
            if (!ANTHROPIC_TOOLS.contains(tool)) {
                throw new IllegalArgumentException(
                        "LIVEPOST_ANTHROPIC_TOOL must be one of "
                                + String.join(", ", ANTHROPIC_TOOLS)
                                + ", not '"
                                + tool
                                + "'");
            }
            if (dailyBudget < 0) {
                throw new IllegalArgumentException(
                        "LIVEPOST_ANTHROPIC_DAILY_BUDGET must be a number of tokens >= 0 (0: no"
                                + " budget), not "
                                + dailyBudget);
            }
        }

        @Override
        public String toString() {
            // Never print the key.
            return "Anthropic[baseUrl="
                    + baseUrl
                    + ", model="
                    + model
                    + ", apiVersion="
                    + apiVersion
                    + ", tool="
                    + tool
                    + ", dailyBudget="
                    + dailyBudget
                    + "]";
        }
    }

    /**
     * @param trustedProxies addresses or CIDR ranges whose {@code X-Forwarded-For} is believed
     * @param maxConnections open connections at most; more wait to be accepted
     * @param maxRequestsPerClient API requests in flight per client address (open streams count)
     * @param connectionsPerClient open connections per peer address (trusted proxies aside); more
     *     are refused at once
     * @param requestReadTimeout time a client has to send a request head (from its first byte, or
     *     from connecting), and then its body
     */
    public record Web(
            List<String> trustedProxies,
            int maxConnections,
            int maxRequestsPerClient,
            int connectionsPerClient,
            Duration requestReadTimeout) {
        public Web {
            trustedProxies = List.copyOf(trustedProxies);
            dev.livepost.web.ClientAddress.trusting(trustedProxies); // names the bad entry
            positive("LIVEPOST_MAX_CONNECTIONS", maxConnections);
            positive("LIVEPOST_MAX_REQUESTS_PER_CLIENT", maxRequestsPerClient);
            positive("LIVEPOST_CONNECTIONS_PER_CLIENT", connectionsPerClient);
            if (requestReadTimeout.compareTo(Duration.ofSeconds(1)) < 0
                    || requestReadTimeout.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException(
                        "LIVEPOST_REQUEST_READ_TIMEOUT must be 1..300 seconds, not "
                                + requestReadTimeout.toSeconds());
            }
        }

        static Web parse(Map<String, String> env) {
            return new Web(
                    splitList(env.getOrDefault("LIVEPOST_TRUSTED_PROXIES", "")),
                    integer(
                            "LIVEPOST_MAX_CONNECTIONS",
                            env.getOrDefault("LIVEPOST_MAX_CONNECTIONS", "1000")),
                    integer(
                            "LIVEPOST_MAX_REQUESTS_PER_CLIENT",
                            env.getOrDefault("LIVEPOST_MAX_REQUESTS_PER_CLIENT", "32")),
                    integer(
                            "LIVEPOST_CONNECTIONS_PER_CLIENT",
                            env.getOrDefault("LIVEPOST_CONNECTIONS_PER_CLIENT", "100")),
                    Duration.ofSeconds(
                            integer(
                                    "LIVEPOST_REQUEST_READ_TIMEOUT",
                                    env.getOrDefault("LIVEPOST_REQUEST_READ_TIMEOUT", "10"))));
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be > 0, not " + value);
            }
        }
    }

    /**
     * @param enabled whether the server precomputes outputs ({@code LIVEPOST_PRECOMPUTE}, default
     *     true)
     * @param concurrency precomputed runs at once ({@code LIVEPOST_PRECOMPUTE_CONCURRENCY}, default
     *     1: readers keep the rest of the machine)
     */
    public record Precompute(boolean enabled, int concurrency) {
        public Precompute {
            if (concurrency < 1 || concurrency > 64) {
                throw new IllegalArgumentException(
                        "LIVEPOST_PRECOMPUTE_CONCURRENCY must be 1..64, not " + concurrency);
            }
        }

        static Precompute parse(Map<String, String> env) {
            return new Precompute(
                    bool("LIVEPOST_PRECOMPUTE", env.getOrDefault("LIVEPOST_PRECOMPUTE", "true")),
                    integer(
                            "LIVEPOST_PRECOMPUTE_CONCURRENCY",
                            env.getOrDefault("LIVEPOST_PRECOMPUTE_CONCURRENCY", "1")));
        }
    }

    /**
     * The conversations of the {@code /chat} page (with the {@code anthropic} executor).
     *
     * @param skills document skills of every conversation's container ({@code
     *     LIVEPOST_CHAT_SKILLS}, comma-separated, default none)
     * @param maxMessages the reader's messages in one conversation ({@code
     *     LIVEPOST_CHAT_MAX_MESSAGES}, default 20)
     * @param maxTokens how long a conversation may grow: no new message once Claude's last request
     *     read and wrote this many tokens ({@code LIVEPOST_CHAT_MAX_TOKENS}, default 100000)
     * @param messagesPerMinute messages one client address may send a minute, over all its
     *     conversations ({@code LIVEPOST_CHAT_MESSAGES_PER_MINUTE}, default 10)
     */
    public record Chat(
            List<String> skills, int maxMessages, long maxTokens, int messagesPerMinute) {
        public Chat {
            skills = List.copyOf(skills);
            if (maxMessages < 1) {
                throw new IllegalArgumentException(
                        "LIVEPOST_CHAT_MAX_MESSAGES must be 1 or more, not " + maxMessages);
            }
            if (maxTokens < 1000) {
                throw new IllegalArgumentException(
                        "LIVEPOST_CHAT_MAX_TOKENS must be 1000 or more, not " + maxTokens);
            }
            if (messagesPerMinute < 1) {
                throw new IllegalArgumentException(
                        "LIVEPOST_CHAT_MESSAGES_PER_MINUTE must be 1 or more, not "
                                + messagesPerMinute);
            }
        }

        static Chat parse(Map<String, String> env) {
            return new Chat(
                    splitList(env.getOrDefault("LIVEPOST_CHAT_SKILLS", "")),
                    integer(
                            "LIVEPOST_CHAT_MAX_MESSAGES",
                            env.getOrDefault("LIVEPOST_CHAT_MAX_MESSAGES", "20")),
                    integer(
                            "LIVEPOST_CHAT_MAX_TOKENS",
                            env.getOrDefault("LIVEPOST_CHAT_MAX_TOKENS", "100000")),
                    integer(
                            "LIVEPOST_CHAT_MESSAGES_PER_MINUTE",
                            env.getOrDefault("LIVEPOST_CHAT_MESSAGES_PER_MINUTE", "10")));
        }
    }

    public Config {
        allowedOrigins = List.copyOf(allowedOrigins);
        if (!executor.equals("local") && !executor.equals("anthropic")) {
            throw new IllegalArgumentException(
                    "--executor must be 'local' or 'anthropic', not '" + executor + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535, not " + port);
        }
    }

    public Config withPoolSize(int newPoolSize) {
        return new Config(
                host,
                port,
                posts,
                data,
                executor,
                anthropic,
                limits,
                sessionIdle,
                newPoolSize,
                allowedOrigins,
                reloadPosts,
                web,
                zygote,
                precompute,
                chat);
    }

    /**
     * Parses {@code serve}-style flags over environment variables.
     *
     * @param home the installation folder (holds the bundled {@code posts/})
     * @throws IllegalArgumentException with a message for the user on a bad flag or value
     */
    public static Config parse(List<String> args, Map<String, String> env, Path home) {
        var flags = new Flags(args);
        String host = flags.value("--host", env.getOrDefault("LIVEPOST_HOST", "127.0.0.1"));
        int port =
                integer("--port", flags.value("--port", env.getOrDefault("LIVEPOST_PORT", "8080")));
        Path posts =
                Path.of(
                        flags.value(
                                "--posts",
                                env.getOrDefault(
                                        "LIVEPOST_POSTS", home.resolve("posts").toString())));
        Path data =
                Path.of(
                        flags.value(
                                "--data",
                                env.getOrDefault(
                                        "LIVEPOST_DATA",
                                        Path.of(System.getProperty("user.home"), ".livepost")
                                                .toString())));
        String executor = flags.value("--executor", env.getOrDefault("LIVEPOST_EXECUTOR", "local"));
        String model = flags.value("--model", env.getOrDefault("LIVEPOST_MODEL", DEFAULT_MODEL));
        flags.rejectUnknown();

        var anthropic =
                new Anthropic(
                        blankToNull(env.get("ANTHROPIC_API_KEY")),
                        URI.create(
                                env.getOrDefault(
                                        "ANTHROPIC_BASE_URL", "https://api.anthropic.com")),
                        model,
                        env.getOrDefault("LIVEPOST_ANTHROPIC_VERSION", "2023-06-01"),
                        env.getOrDefault("LIVEPOST_ANTHROPIC_TOOL", "code_execution_20250825")
                                .trim(),
                        tokens(
                                "LIVEPOST_ANTHROPIC_DAILY_BUDGET",
                                env.getOrDefault("LIVEPOST_ANTHROPIC_DAILY_BUDGET", "0")));
        var d = Limits.defaults();
        var limits =
                new Limits(
                        Duration.ofSeconds(
                                integer(
                                        "LIVEPOST_RUN_TIMEOUT",
                                        env.getOrDefault(
                                                "LIVEPOST_RUN_TIMEOUT",
                                                String.valueOf(d.runTimeout().toSeconds())))),
                        d.killGrace(),
                        megabytes("LIVEPOST_MEMORY_MB", env, d.memoryBytes()),
                        d.maxProcesses(),
                        d.fileSizeBytes(),
                        d.openFiles(),
                        d.outputBytes(),
                        d.codeBytes(),
                        d.workDiskBytes(),
                        d.maxFileBytes(),
                        integer(
                                "LIVEPOST_SESSIONS_PER_MINUTE",
                                env.getOrDefault(
                                        "LIVEPOST_SESSIONS_PER_MINUTE",
                                        String.valueOf(d.sessionsPerMinute()))),
                        integer(
                                "LIVEPOST_RUNS_PER_MINUTE",
                                env.getOrDefault(
                                        "LIVEPOST_RUNS_PER_MINUTE",
                                        String.valueOf(d.runsPerMinute()))),
                        integer(
                                "LIVEPOST_SESSIONS_PER_CLIENT",
                                env.getOrDefault(
                                        "LIVEPOST_SESSIONS_PER_CLIENT",
                                        String.valueOf(d.sessionsPerClient()))));
        Duration idle =
                Duration.ofSeconds(
                        integer(
                                "LIVEPOST_SESSION_IDLE",
                                env.getOrDefault("LIVEPOST_SESSION_IDLE", "900")));
        int pool = integer("LIVEPOST_POOL_SIZE", env.getOrDefault("LIVEPOST_POOL_SIZE", "4"));
        List<String> origins = splitList(env.getOrDefault("LIVEPOST_ALLOWED_ORIGINS", ""));
        boolean reload = !"false".equals(env.getOrDefault("LIVEPOST_RELOAD", "true"));
        String zygote = env.getOrDefault("LIVEPOST_ZYGOTE", "true").trim();
        if (!zygote.equals("true") && !zygote.equals("false")) {
            throw new IllegalArgumentException(
                    "LIVEPOST_ZYGOTE must be 'true' or 'false', not '" + zygote + "'");
        }
        return new Config(
                host,
                port,
                posts.toAbsolutePath().normalize(),
                data.toAbsolutePath().normalize(),
                executor,
                anthropic,
                limits,
                idle,
                pool,
                origins,
                reload,
                Web.parse(env),
                zygote.equals("true"),
                Precompute.parse(env),
                Chat.parse(env));
    }

    private static long megabytes(String name, Map<String, String> env, long fallback) {
        String v = env.get(name);
        return v == null ? fallback : ((long) integer(name, v)) << 20;
    }

    private static int integer(String name, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    name + " must be a whole number, not '" + value + "'");
        }
    }

    private static long tokens(String name, String value) {
        try {
            long n = Long.parseLong(value.trim().replace("_", ""));
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new IllegalArgumentException(
                name + " must be a number of tokens >= 0 (0: no budget), not '" + value + "'");
    }

    private static boolean bool(String name, String value) {
        String v = value.trim();
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(
                    name + " must be 'true' or 'false', not '" + value + "'");
        }
        return v.equals("true");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static List<String> splitList(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    /** {@code --name value} and {@code --name=value} flags. */
    private static final class Flags {
        private final List<String> args;
        private final List<String> used = new ArrayList<>();

        Flags(List<String> args) {
            this.args = args;
        }

        String value(String name, String fallback) {
            used.add(name);
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (a.equals(name)) {
                    if (i + 1 >= args.size()) {
                        throw new IllegalArgumentException(name + " needs a value");
                    }
                    return args.get(i + 1);
                }
                if (a.startsWith(name + "=")) {
                    return a.substring(name.length() + 1);
                }
            }
            return fallback;
        }

        void rejectUnknown() {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                if (!used.contains(name)) {
                    throw new IllegalArgumentException("unknown option '" + a + "'");
                }
                if (!a.contains("=")) {
                    i++; // skip the value
                }
            }
        }
    }
}
