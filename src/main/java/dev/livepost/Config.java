package dev.livepost;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything the server is told at startup, built once from flags and environment (a flag wins over
 * its variable) and passed by constructor to whatever needs it. Immutable.
 *
 * <p>What each setting accepts is written in one place, {@link #parse} (through {@link Setting},
 * the list of every setting, and {@link SettingsReader}): the records below take their values as
 * given, so a test or a benchmark may build one freely, while a user's value is checked once, at
 * startup, with an error naming the flag or variable the user wrote.
 *
 * @param host bind address
 * @param port TCP port; 0 picks a free one
 * @param posts folder of {@code *.md} posts
 * @param data caches, precomputed outputs, generated files
 * @param executor {@code local} or {@code anthropic}
 * @param anthropic settings of the {@code anthropic} executor
 * @param limits what untrusted code may use
 * @param sessionIdle idle time after which a session and its sandbox are discarded
 * @param pool pre-started sandboxes kept ready for new sessions
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
        Pool pool,
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
        }
    }

    /**
     * @param enabled whether the server precomputes outputs ({@code LIVEPOST_PRECOMPUTE}, default
     *     true)
     * @param concurrency precomputed runs at once ({@code LIVEPOST_PRECOMPUTE_CONCURRENCY}, default
     *     1: readers keep the rest of the machine)
     */
    public record Precompute(boolean enabled, int concurrency) {}

    /**
     * How many pre-started sandboxes wait for new sessions ({@code LIVEPOST_POOL_SIZE}).
     *
     * @param auto whether the pool is sized by the machine's memory ({@code auto}, the default): as
     *     many as fit in a share of what is available, up to {@code size}
     * @param size the pool's size, or its most when {@code auto}
     */
    public record Pool(boolean auto, int size) {
        /** The most sandboxes an {@code auto} pool holds. */
        public static final int AUTO_MOST = 1024;

        public static Pool sizedByMemory() {
            return new Pool(true, AUTO_MOST);
        }

        public static Pool of(int size) {
            return new Pool(false, size);
        }

        @Override
        public String toString() {
            return auto ? "auto" : String.valueOf(size);
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
        }
    }

    /**
     * Values are checked once, by {@link #parse}, which names the flag or variable the user wrote;
     * a record built in code is taken as given.
     */
    public Config {
        allowedOrigins = List.copyOf(allowedOrigins);
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
                Pool.of(newPoolSize),
                allowedOrigins,
                reloadPosts,
                web,
                zygote,
                precompute,
                chat);
    }

    /**
     * Parses {@code serve}-style flags over environment variables, checking every setting.
     *
     * @param home the installation folder (holds the bundled {@code posts/})
     * @throws ConfigException listing every bad flag or value, each naming the flag or variable the
     *     user set and what it accepts
     */
    public static Config parse(List<String> args, Map<String, String> env, Path home) {
        var reader = new SettingsReader(args, env);
        Config config = read(reader, home);
        reader.failOnProblems();
        return config;
    }

    /**
     * The effective configuration as {@code serve --print-config} prints it: every setting, its
     * value and where it came from (default, variable or flag); secrets only as set or unset.
     *
     * @throws ConfigException as {@link #parse} does
     */
    public static String describe(List<String> args, Map<String, String> env, Path home) {
        var reader = new SettingsReader(args, env);
        read(reader, home);
        reader.failOnProblems();
        var rows = reader.effective();
        int nameWidth = "setting".length();
        int valueWidth = "value".length();
        for (var e : rows) {
            nameWidth = Math.max(nameWidth, label(e.setting()).length());
            valueWidth = Math.max(valueWidth, e.value().length());
        }
        String format = "%-" + nameWidth + "s  %-" + valueWidth + "s  %s%n";
        var out = new StringBuilder(String.format(format, "setting", "value", "from"));
        for (var e : rows) {
            out.append(String.format(format, label(e.setting()), e.value(), e.source()));
        }
        return out.toString();
    }

    private static String label(Setting s) {
        return s.flag() == null ? s.variable() : s.variable() + " (" + s.flag() + ")";
    }

    private static Config read(SettingsReader r, Path home) {
        var d = Limits.defaults();
        String host = r.read(Setting.HOST, "127.0.0.1", SettingChecks::host, x -> x);
        int port = r.integer(Setting.PORT, 8080, 0, 65535, "");
        Path posts =
                r.read(Setting.POSTS, home.resolve("posts"), SettingChecks::folder, Path::toString);
        Path data =
                r.read(
                        Setting.DATA,
                        Path.of(System.getProperty("user.home"), ".livepost"),
                        SettingChecks::folder,
                        Path::toString);
        String executor = r.oneOf(Setting.EXECUTOR, "local", List.of("local", "anthropic"));
        String model = r.read(Setting.MODEL, DEFAULT_MODEL, SettingChecks::word, x -> x);
        var anthropic =
                new Anthropic(
                        r.read(Setting.ANTHROPIC_API_KEY, null, key -> key, x -> x),
                        r.read(
                                Setting.ANTHROPIC_BASE_URL,
                                URI.create("https://api.anthropic.com"),
                                SettingChecks::httpUrl,
                                SettingChecks::withoutUserInfo),
                        model,
                        r.read(
                                Setting.ANTHROPIC_VERSION,
                                "2023-06-01",
                                SettingChecks::apiVersion,
                                x -> x),
                        r.oneOf(Setting.ANTHROPIC_TOOL, ANTHROPIC_TOOLS.get(0), ANTHROPIC_TOOLS),
                        r.whole(Setting.ANTHROPIC_DAILY_BUDGET, 0, 0, Long.MAX_VALUE, "tokens"));
        var limits =
                new Limits(
                        Duration.ofSeconds(
                                r.integer(
                                        Setting.RUN_TIMEOUT,
                                        (int) d.runTimeout().toSeconds(),
                                        1,
                                        3600,
                                        "seconds")),
                        d.killGrace(),
                        r.whole(Setting.MEMORY_MB, d.memoryBytes() >> 20, 128, 1 << 20, "MB") << 20,
                        d.maxProcesses(),
                        d.fileSizeBytes(),
                        d.openFiles(),
                        d.outputBytes(),
                        d.codeBytes(),
                        d.workDiskBytes(),
                        d.maxFileBytes(),
                        r.integer(
                                Setting.SESSIONS_PER_MINUTE,
                                d.sessionsPerMinute(),
                                1,
                                1_000_000,
                                "sessions"),
                        r.integer(Setting.RUNS_PER_MINUTE, d.runsPerMinute(), 1, 1_000_000, "runs"),
                        r.integer(
                                Setting.SESSIONS_PER_CLIENT,
                                d.sessionsPerClient(),
                                1,
                                100_000,
                                "sessions"));
        Duration idle =
                Duration.ofSeconds(r.integer(Setting.SESSION_IDLE, 900, 1, 86_400, "seconds"));
        Pool pool =
                r.read(
                        Setting.POOL_SIZE,
                        Pool.sizedByMemory(),
                        SettingChecks::pool,
                        Pool::toString);
        boolean zygote = r.bool(Setting.ZYGOTE, true);
        boolean reload = r.bool(Setting.RELOAD, true);
        var precompute =
                new Precompute(
                        r.bool(Setting.PRECOMPUTE, true),
                        r.integer(Setting.PRECOMPUTE_CONCURRENCY, 1, 1, 64, ""));
        List<String> origins = r.list(Setting.ALLOWED_ORIGINS, SettingChecks::origin);
        var chat =
                new Chat(
                        r.list(Setting.CHAT_SKILLS, SettingChecks::skill),
                        r.integer(Setting.CHAT_MAX_MESSAGES, 20, 1, 1000, "messages"),
                        r.whole(Setting.CHAT_MAX_TOKENS, 100_000, 1000, 10_000_000, "tokens"),
                        r.integer(Setting.CHAT_MESSAGES_PER_MINUTE, 10, 1, 10_000, "messages"));
        var web =
                new Web(
                        r.list(Setting.TRUSTED_PROXIES, SettingChecks::proxy),
                        r.integer(Setting.MAX_CONNECTIONS, 1000, 1, 1_000_000, "connections"),
                        r.integer(Setting.MAX_REQUESTS_PER_CLIENT, 32, 1, 100_000, "requests"),
                        r.integer(Setting.CONNECTIONS_PER_CLIENT, 100, 1, 100_000, "connections"),
                        Duration.ofSeconds(
                                r.integer(Setting.REQUEST_READ_TIMEOUT, 10, 1, 300, "seconds")));
        return new Config(
                host,
                port,
                posts,
                data,
                executor,
                anthropic,
                limits,
                idle,
                pool,
                origins,
                reload,
                web,
                zygote,
                precompute,
                chat);
    }
}
