package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigTest {
    private static final Path HOME = Path.of("/opt/livepost");

    /** A file that is surely there: the build's own, relative to the project folder. */
    private static final String A_FILE = Path.of("pom.xml").toAbsolutePath().toString();

    @Test
    void defaultsFollowTheContract() {
        var c = Config.parse(List.of(), Map.of(), HOME);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.posts()).isEqualTo(HOME.resolve("posts"));
        assertThat(c.executor()).isEqualTo("local");
        assertThat(c.anthropic().baseUrl().toString()).isEqualTo("https://api.anthropic.com");
        assertThat(c.anthropic().apiKey()).isNull();
        assertThat(c.sessionIdle()).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.limits()).isEqualTo(Limits.defaults());
        assertThat(c.precompute()).isEqualTo(new Config.Precompute(true, 1));
        assertThat(c.pool()).isEqualTo(Config.Pool.sizedByMemory());
        assertThat(c.web().connectionsPerClient()).isEqualTo(100);
        assertThat(c.web().requestReadTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aFlagWinsOverItsVariable() {
        var env =
                Map.of(
                        "LIVEPOST_PORT",
                        "9000",
                        "LIVEPOST_HOST",
                        "0.0.0.0",
                        "LIVEPOST_EXECUTOR",
                        "anthropic");
        var c = Config.parse(List.of("--port", "0", "--executor=local"), env, HOME);
        assertThat(c.port()).isZero();
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.executor()).isEqualTo("local");
        // The variable a flag overrides is not used, so it is not held against the user.
        assertThat(
                        Config.parse(List.of("--port", "81"), Map.of("LIVEPOST_PORT", "abc"), HOME)
                                .port())
                .isEqualTo(81);
    }

    @Test
    void anthropicSettingsComeFromTheEnvironment() {
        var env =
                Map.of(
                        "ANTHROPIC_API_KEY",
                        " sk-test ",
                        "ANTHROPIC_BASE_URL",
                        "http://127.0.0.1:9999",
                        "LIVEPOST_MODEL",
                        "claude-test");
        var c = Config.parse(List.of("--executor", "anthropic"), env, HOME);
        assertThat(c.anthropic().apiKey()).isEqualTo("sk-test");
        assertThat(c.anthropic().baseUrl().getPort()).isEqualTo(9999);
        assertThat(c.anthropic().model()).isEqualTo("claude-test");
        assertThat(c.anthropic().toString()).doesNotContain("sk-test");
        assertThat(c.anthropic().tool()).isEqualTo("code_execution_20250825");
        assertThat(c.anthropic().dailyBudget()).isZero();
    }

    /** One good value per setting, and where it lands in the configuration. */
    static Stream<Arguments> goodValues() {
        return Stream.of(
                good(Setting.HOST, "::1", Config::host, "::1"),
                good(Setting.PORT, "9000", Config::port, 9000),
                good(Setting.POSTS, "/srv/blog/posts", Config::posts, Path.of("/srv/blog/posts")),
                good(Setting.DATA, "/var/lib/livepost", Config::data, Path.of("/var/lib/livepost")),
                good(Setting.EXECUTOR, "anthropic", Config::executor, "anthropic"),
                good(
                        Setting.MODEL,
                        "claude-opus-4-1",
                        c -> c.anthropic().model(),
                        "claude-opus-4-1"),
                good(
                        Setting.ANTHROPIC_API_KEY,
                        "sk-ant-1",
                        c -> c.anthropic().apiKey(),
                        "sk-ant-1"),
                good(
                        Setting.ANTHROPIC_BASE_URL,
                        "http://127.0.0.1:9999/v",
                        c -> c.anthropic().baseUrl(),
                        URI.create("http://127.0.0.1:9999/v")),
                good(
                        Setting.ANTHROPIC_VERSION,
                        "2026-01-01",
                        c -> c.anthropic().apiVersion(),
                        "2026-01-01"),
                good(
                        Setting.ANTHROPIC_TOOL,
                        "code_execution_20260521",
                        c -> c.anthropic().tool(),
                        "code_execution_20260521"),
                good(
                        Setting.ANTHROPIC_DAILY_BUDGET,
                        "2_000_000",
                        c -> c.anthropic().dailyBudget(),
                        2_000_000L),
                good(
                        Setting.RUN_TIMEOUT,
                        "300",
                        c -> c.limits().runTimeout(),
                        Duration.ofMinutes(5)),
                good(Setting.MEMORY_MB, "256", c -> c.limits().memoryBytes(), 256L << 20),
                good(Setting.SESSIONS_PER_MINUTE, "2", c -> c.limits().sessionsPerMinute(), 2),
                good(Setting.RUNS_PER_MINUTE, "1000", c -> c.limits().runsPerMinute(), 1000),
                good(Setting.SESSIONS_PER_CLIENT, "5", c -> c.limits().sessionsPerClient(), 5),
                good(Setting.SESSION_IDLE, "2", Config::sessionIdle, Duration.ofSeconds(2)),
                good(Setting.POOL_SIZE, "0", Config::pool, Config.Pool.of(0)),
                good(Setting.POOL_SIZE, "auto", Config::pool, Config.Pool.sizedByMemory()),
                good(Setting.ZYGOTE, "false", Config::zygote, false),
                good(Setting.RELOAD, "false", Config::reloadPosts, false),
                good(Setting.PRECOMPUTE, "false", c -> c.precompute().enabled(), false),
                good(Setting.PRECOMPUTE_CONCURRENCY, "3", c -> c.precompute().concurrency(), 3),
                good(
                        Setting.ALLOWED_ORIGINS,
                        "https://blog.example, http://localhost:3000,*",
                        Config::allowedOrigins,
                        List.of("https://blog.example", "http://localhost:3000", "*")),
                good(
                        Setting.TRUSTED_PROXIES,
                        "10.0.0.1, fd00::/8",
                        c -> c.web().trustedProxies(),
                        List.of("10.0.0.1", "fd00::/8")),
                good(Setting.MAX_CONNECTIONS, "20", c -> c.web().maxConnections(), 20),
                good(Setting.MAX_REQUESTS_PER_CLIENT, "4", c -> c.web().maxRequestsPerClient(), 4),
                good(Setting.CONNECTIONS_PER_CLIENT, "8", c -> c.web().connectionsPerClient(), 8),
                good(
                        Setting.REQUEST_READ_TIMEOUT,
                        "3",
                        c -> c.web().requestReadTimeout(),
                        Duration.ofSeconds(3)),
                good(
                        Setting.CHAT_SKILLS,
                        "pdf, xlsx",
                        c -> c.chat().skills(),
                        List.of("pdf", "xlsx")),
                good(Setting.CHAT_MAX_MESSAGES, "5", c -> c.chat().maxMessages(), 5),
                good(Setting.CHAT_MAX_TOKENS, "2000", c -> c.chat().maxTokens(), 2000L),
                good(Setting.CHAT_MESSAGES_PER_MINUTE, "3", c -> c.chat().messagesPerMinute(), 3));
    }

    private static Arguments good(
            Setting s, String value, Function<Config, Object> field, Object expected) {
        return arguments(s, value, field, expected);
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("goodValues")
    void aGoodValueLandsInTheConfigurationAndIsShownAsTheUsersOwn(
            Setting s, String value, Function<Config, Object> field, Object expected) {
        var env = Map.of(s.variable(), value);
        assertThat(field.apply(Config.parse(List.of(), env, HOME))).isEqualTo(expected);
        assertThat(row(Config.describe(List.of(), env, HOME), s)).endsWith("variable");
        if (s.flag() != null) {
            var args = List.of(s.flag(), value);
            assertThat(field.apply(Config.parse(args, Map.of(), HOME))).isEqualTo(expected);
            assertThat(row(Config.describe(args, Map.of(), HOME), s)).endsWith("flag");
        }
    }

    @Test
    void everySettingHasAGoodValueAndABadOneInTheseTables() {
        var good = EnumSet.noneOf(Setting.class);
        goodValues().forEach(a -> good.add((Setting) a.get()[0]));
        assertThat(good).containsExactlyInAnyOrder(Setting.values());
        var bad = EnumSet.noneOf(Setting.class);
        badValues().forEach(a -> bad.add((Setting) a.get()[0]));
        // Any text is a key; only a blank one counts as unset (see aBlankVariableCountsAsUnset).
        assertThat(EnumSet.complementOf(bad)).containsExactly(Setting.ANTHROPIC_API_KEY);
    }

    /** Bad values of each setting and the exact message: the name the user wrote, the range. */
    static Stream<Arguments> badValues() {
        return Stream.of(
                bad(
                        Setting.PORT,
                        "abc",
                        "LIVEPOST_PORT must be a whole number 0..65535, not 'abc'"),
                bad(Setting.PORT, "70000", "LIVEPOST_PORT must be 0..65535, not 70000"),
                bad(
                        Setting.HOST,
                        "no such host.invalid",
                        "LIVEPOST_HOST must be an address of this machine (127.0.0.1, 0.0.0.0, ::)"
                                + " or a host name that resolves, not 'no such host.invalid'"),
                bad(
                        Setting.POSTS,
                        A_FILE,
                        "LIVEPOST_POSTS must be a folder (this is a file), not '" + A_FILE + "'"),
                bad(
                        Setting.DATA,
                        A_FILE,
                        "LIVEPOST_DATA must be a folder (this is a file), not '" + A_FILE + "'"),
                bad(
                        Setting.EXECUTOR,
                        "docker",
                        "LIVEPOST_EXECUTOR must be 'local' or 'anthropic', not 'docker'"),
                bad(
                        Setting.MODEL,
                        "claude sonnet",
                        "LIVEPOST_MODEL must be a model id such as claude-sonnet-4-5, not 'claude"
                                + " sonnet'"),
                bad(
                        Setting.ANTHROPIC_BASE_URL,
                        "api.anthropic.com",
                        "ANTHROPIC_BASE_URL must be an http(s) address such as"
                                + " https://api.anthropic.com, not 'api.anthropic.com'"),
                bad(
                        Setting.ANTHROPIC_VERSION,
                        "latest",
                        "LIVEPOST_ANTHROPIC_VERSION must be a date such as 2023-06-01, not"
                                + " 'latest'"),
                bad(
                        Setting.ANTHROPIC_TOOL,
                        "code_execution_2099",
                        "LIVEPOST_ANTHROPIC_TOOL must be 'code_execution_20250825',"
                                + " 'code_execution_20260120' or 'code_execution_20260521', not"
                                + " 'code_execution_2099'"),
                bad(
                        Setting.ANTHROPIC_DAILY_BUDGET,
                        "lots",
                        "LIVEPOST_ANTHROPIC_DAILY_BUDGET must be a whole number >= 0 tokens, not"
                                + " 'lots'"),
                bad(
                        Setting.ANTHROPIC_DAILY_BUDGET,
                        "-5",
                        "LIVEPOST_ANTHROPIC_DAILY_BUDGET must be >= 0 tokens, not -5"),
                bad(
                        Setting.RUN_TIMEOUT,
                        "0",
                        "LIVEPOST_RUN_TIMEOUT must be 1..3600 seconds, not 0"),
                bad(
                        Setting.RUN_TIMEOUT,
                        "30s",
                        "LIVEPOST_RUN_TIMEOUT must be a whole number 1..3600 seconds, not '30s'"),
                bad(Setting.MEMORY_MB, "64", "LIVEPOST_MEMORY_MB must be 128..1048576 MB, not 64"),
                bad(
                        Setting.SESSIONS_PER_MINUTE,
                        "0",
                        "LIVEPOST_SESSIONS_PER_MINUTE must be 1..1000000 sessions, not 0"),
                bad(
                        Setting.RUNS_PER_MINUTE,
                        "-1",
                        "LIVEPOST_RUNS_PER_MINUTE must be 1..1000000 runs, not -1"),
                bad(
                        Setting.SESSIONS_PER_CLIENT,
                        "0",
                        "LIVEPOST_SESSIONS_PER_CLIENT must be 1..100000 sessions, not 0"),
                bad(
                        Setting.SESSION_IDLE,
                        "-1",
                        "LIVEPOST_SESSION_IDLE must be 1..86400 seconds, not -1"),
                bad(
                        Setting.POOL_SIZE,
                        "-3",
                        "LIVEPOST_POOL_SIZE must be 'auto' or 0..1024 sandboxes, not -3"),
                bad(Setting.ZYGOTE, "yes", "LIVEPOST_ZYGOTE must be 'true' or 'false', not 'yes'"),
                bad(Setting.RELOAD, "no", "LIVEPOST_RELOAD must be 'true' or 'false', not 'no'"),
                bad(
                        Setting.PRECOMPUTE,
                        "yes",
                        "LIVEPOST_PRECOMPUTE must be 'true' or 'false', not 'yes'"),
                bad(
                        Setting.PRECOMPUTE_CONCURRENCY,
                        "0",
                        "LIVEPOST_PRECOMPUTE_CONCURRENCY must be 1..64, not 0"),
                bad(
                        Setting.ALLOWED_ORIGINS,
                        "https://ok.example, https://blog.example/posts",
                        "LIVEPOST_ALLOWED_ORIGINS: 'https://blog.example/posts' must be an origin"
                                + " such as https://blog.example or http://localhost:3000 (no"
                                + " path), or *"),
                bad(
                        Setting.TRUSTED_PROXIES,
                        "10.0.0.1, 10.0.0.0/40",
                        "LIVEPOST_TRUSTED_PROXIES: '10.0.0.0/40' must be an IP address or a CIDR"
                                + " range such as 10.0.0.0/8 or fd00::/8"),
                bad(
                        Setting.MAX_CONNECTIONS,
                        "-1",
                        "LIVEPOST_MAX_CONNECTIONS must be 1..1000000 connections, not -1"),
                bad(
                        Setting.MAX_REQUESTS_PER_CLIENT,
                        "0",
                        "LIVEPOST_MAX_REQUESTS_PER_CLIENT must be 1..100000 requests, not 0"),
                bad(
                        Setting.CONNECTIONS_PER_CLIENT,
                        "many",
                        "LIVEPOST_CONNECTIONS_PER_CLIENT must be a whole number 1..100000"
                                + " connections, not 'many'"),
                bad(
                        Setting.REQUEST_READ_TIMEOUT,
                        "301",
                        "LIVEPOST_REQUEST_READ_TIMEOUT must be 1..300 seconds, not 301"),
                bad(
                        Setting.CHAT_SKILLS,
                        "pdf, ../x",
                        "LIVEPOST_CHAT_SKILLS: '../x' must be skill ids such as pdf, xlsx, docx or"
                                + " pptx"),
                bad(
                        Setting.CHAT_MAX_MESSAGES,
                        "0",
                        "LIVEPOST_CHAT_MAX_MESSAGES must be 1..1000 messages, not 0"),
                bad(
                        Setting.CHAT_MAX_TOKENS,
                        "999",
                        "LIVEPOST_CHAT_MAX_TOKENS must be 1000..10000000 tokens, not 999"),
                bad(
                        Setting.CHAT_MESSAGES_PER_MINUTE,
                        "-1",
                        "LIVEPOST_CHAT_MESSAGES_PER_MINUTE must be 1..10000 messages, not -1"));
    }

    private static Arguments bad(Setting s, String value, String message) {
        return arguments(s, value, message);
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badValues")
    void aBadValueIsRefusedNamingWhatTheUserSet(Setting s, String value, String message) {
        assertThatThrownBy(() -> Config.parse(List.of(), Map.of(s.variable(), value), HOME))
                .isInstanceOfSatisfying(
                        ConfigException.class,
                        e -> assertThat(e.problems()).containsExactly(message));
        if (s.flag() != null) {
            // Given as a flag (over a good variable), the flag is named.
            var env = Map.of(s.variable(), goodValue(s));
            assertThatThrownBy(() -> Config.parse(List.of(s.flag(), value), env, HOME))
                    .isInstanceOfSatisfying(
                            ConfigException.class,
                            e ->
                                    assertThat(e.problems())
                                            .containsExactly(
                                                    message.replace(s.variable(), s.flag())));
        }
    }

    @Test
    void everyProblemIsReportedAtOnceInTheCatalogueOrder() {
        var env = new HashMap<String, String>();
        env.put("LIVEPOST_PORT", "abc");
        env.put("LIVEPOST_RUN_TIMEOUT", "0");
        env.put("LIVEPOST_POOL_SIZE", "-3");
        env.put("LIVEPOST_SESSION_IDLE", "-1");
        assertThatThrownBy(() -> Config.parse(List.of("--executor", "docker"), env, HOME))
                .isInstanceOfSatisfying(
                        ConfigException.class,
                        e ->
                                assertThat(e.problems())
                                        .containsExactly(
                                                "LIVEPOST_PORT must be a whole number 0..65535,"
                                                        + " not 'abc'",
                                                "--executor must be 'local' or 'anthropic', not"
                                                        + " 'docker'",
                                                "LIVEPOST_RUN_TIMEOUT must be 1..3600 seconds,"
                                                        + " not 0",
                                                "LIVEPOST_SESSION_IDLE must be 1..86400 seconds,"
                                                        + " not -1",
                                                "LIVEPOST_POOL_SIZE must be 'auto' or 0..1024 sandboxes,"
                                                        + " not -3"));
    }

    @Test
    void badFlagsAndUnknownVariablesAreProblemsToo() {
        assertThatThrownBy(() -> Config.parse(List.of("--prot", "1"), Map.of(), HOME))
                .hasMessage("unknown option '--prot'");
        assertThatThrownBy(() -> Config.parse(List.of("--port"), Map.of(), HOME))
                .hasMessage("--port needs a value");
        assertThatThrownBy(() -> Config.parse(List.of(), Map.of("LIVEPOST_RUNTIMEOUT", "60"), HOME))
                .hasMessage(
                        "LIVEPOST_RUNTIMEOUT is not a setting of Livepost (did you mean"
                                + " LIVEPOST_RUN_TIMEOUT?)");
        assertThatThrownBy(() -> Config.parse(List.of(), Map.of("LIVEPOST_COLOUR", "red"), HOME))
                .hasMessageStartingWith("LIVEPOST_COLOUR is not a setting of Livepost (see");
        // Variables of other programs are none of our business.
        assertThat(Config.parse(List.of(), Map.of("LIVEPOSTER", "x", "JAVA_HOME", "/"), HOME))
                .isNotNull();
    }

    @Test
    void aBlankVariableCountsAsUnset() {
        var env = Map.of("LIVEPOST_PORT", " ", "ANTHROPIC_API_KEY", "", "LIVEPOST_ZYGOTE", "");
        var c = Config.parse(List.of(), env, HOME);
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.anthropic().apiKey()).isNull();
        assertThat(c.zygote()).isTrue();
        assertThat(row(Config.describe(List.of(), env, HOME), Setting.PORT)).endsWith("default");
    }

    @Test
    void printConfigShowsEverySettingItsValueAndItsSourceButNoSecret() {
        var env = Map.of("ANTHROPIC_API_KEY", "sk-ant-secret", "LIVEPOST_PORT", "9000");
        String printed = Config.describe(List.of("--host", "0.0.0.0"), env, HOME);
        assertThat(printed).doesNotContain("sk-ant-secret");
        assertThat(printed.lines().skip(1)).hasSize(Setting.values().length);
        assertThat(row(printed, Setting.ANTHROPIC_API_KEY))
                .matches("ANTHROPIC_API_KEY +set +variable");
        assertThat(row(printed, Setting.PORT))
                .matches("LIVEPOST_PORT \\(--port\\) +9000 +variable");
        assertThat(row(printed, Setting.HOST)).matches("LIVEPOST_HOST \\(--host\\) +0.0.0.0 +flag");
        assertThat(row(printed, Setting.RUN_TIMEOUT))
                .matches("LIVEPOST_RUN_TIMEOUT +30 seconds +default");
        var proxied = Map.of("ANTHROPIC_BASE_URL", "https://me:pa55@proxy.example/anthropic");
        assertThat(row(Config.describe(List.of(), proxied, HOME), Setting.ANTHROPIC_BASE_URL))
                .matches("ANTHROPIC_BASE_URL +https://\\*\\*\\*@proxy.example/anthropic +variable");
        assertThat(row(Config.describe(List.of(), Map.of(), HOME), Setting.ANTHROPIC_API_KEY))
                .matches("ANTHROPIC_API_KEY +unset +default");
        assertThatThrownBy(() -> Config.describe(List.of(), Map.of("LIVEPOST_PORT", "abc"), HOME))
                .isInstanceOf(ConfigException.class);
    }

    private static String goodValue(Setting s) {
        return goodValues()
                .filter(a -> a.get()[0] == s)
                .map(a -> (String) a.get()[1])
                .findFirst()
                .orElseThrow();
    }

    /** The {@code --print-config} line of a setting. */
    private static String row(String printed, Setting s) {
        return printed.lines()
                .filter(l -> l.startsWith(s.variable() + " "))
                .findFirst()
                .orElseThrow()
                .strip();
    }
}
