package dev.livepost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    private static final Path HOME = Path.of("/opt/livepost");

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

    @Test
    void theAnthropicToolAndDailyBudgetAreValidatedNamingTheVariable() {
        var c =
                Config.parse(
                        List.of(),
                        Map.of(
                                "LIVEPOST_ANTHROPIC_TOOL", "code_execution_20260521",
                                "LIVEPOST_ANTHROPIC_DAILY_BUDGET", "2_000_000"),
                        HOME);
        assertThat(c.anthropic().tool()).isEqualTo("code_execution_20260521");
        assertThat(c.anthropic().dailyBudget()).isEqualTo(2_000_000);
        assertThatThrownBy(
                        () ->
                                Config.parse(
                                        List.of(),
                                        Map.of("LIVEPOST_ANTHROPIC_TOOL", "code_execution_2099"),
                                        HOME))
                .hasMessageContaining("LIVEPOST_ANTHROPIC_TOOL")
                .hasMessageContaining("code_execution_20250825");
        assertThatThrownBy(
                        () ->
                                Config.parse(
                                        List.of(),
                                        Map.of("LIVEPOST_ANTHROPIC_DAILY_BUDGET", "lots"),
                                        HOME))
                .hasMessageContaining("LIVEPOST_ANTHROPIC_DAILY_BUDGET")
                .hasMessageContaining("'lots'");
        assertThatThrownBy(
                        () ->
                                Config.parse(
                                        List.of(),
                                        Map.of("LIVEPOST_ANTHROPIC_DAILY_BUDGET", "-5"),
                                        HOME))
                .hasMessageContaining("LIVEPOST_ANTHROPIC_DAILY_BUDGET");
    }

    @Test
    void badInputIsRejectedWithAMessage() {
        assertThatThrownBy(() -> Config.parse(List.of("--port", "http"), Map.of(), HOME))
                .hasMessageContaining("--port")
                .hasMessageContaining("whole number");
        assertThatThrownBy(() -> Config.parse(List.of("--port", "70000"), Map.of(), HOME))
                .hasMessageContaining("0..65535");
        assertThatThrownBy(() -> Config.parse(List.of("--executor", "docker"), Map.of(), HOME))
                .hasMessageContaining("'local' or 'anthropic'");
        assertThatThrownBy(() -> Config.parse(List.of("--prot", "1"), Map.of(), HOME))
                .hasMessageContaining("unknown option '--prot'");
        assertThatThrownBy(() -> Config.parse(List.of("--port"), Map.of(), HOME))
                .hasMessageContaining("--port needs a value");
    }

    @Test
    void precomputeSettings() {
        var c = Config.parse(List.of(), Map.of(), HOME);
        assertThat(c.precompute()).isEqualTo(new Config.Precompute(true, 1));
        var off =
                Config.parse(
                        List.of(),
                        Map.of(
                                "LIVEPOST_PRECOMPUTE",
                                "false",
                                "LIVEPOST_PRECOMPUTE_CONCURRENCY",
                                "3"),
                        HOME);
        assertThat(off.precompute()).isEqualTo(new Config.Precompute(false, 3));
        assertThatThrownBy(
                        () -> Config.parse(List.of(), Map.of("LIVEPOST_PRECOMPUTE", "yes"), HOME))
                .hasMessage("LIVEPOST_PRECOMPUTE must be 'true' or 'false', not 'yes'");
        assertThatThrownBy(
                        () ->
                                Config.parse(
                                        List.of(),
                                        Map.of("LIVEPOST_PRECOMPUTE_CONCURRENCY", "0"),
                                        HOME))
                .hasMessage("LIVEPOST_PRECOMPUTE_CONCURRENCY must be 1..64, not 0");
    }

    @Test
    void webDefencesHaveDefaultsAndBadValuesNameTheirVariable() {
        var web = Config.parse(List.of(), Map.of(), HOME).web();
        assertThat(web.connectionsPerClient()).isEqualTo(100);
        assertThat(web.requestReadTimeout()).isEqualTo(Duration.ofSeconds(10));
        var set =
                Config.parse(
                                List.of(),
                                Map.of(
                                        "LIVEPOST_CONNECTIONS_PER_CLIENT",
                                        "8",
                                        "LIVEPOST_REQUEST_READ_TIMEOUT",
                                        "3"),
                                HOME)
                        .web();
        assertThat(set.connectionsPerClient()).isEqualTo(8);
        assertThat(set.requestReadTimeout()).isEqualTo(Duration.ofSeconds(3));
        for (var bad :
                List.of(
                        Map.of("LIVEPOST_CONNECTIONS_PER_CLIENT", "0"),
                        Map.of("LIVEPOST_CONNECTIONS_PER_CLIENT", "many"),
                        Map.of("LIVEPOST_REQUEST_READ_TIMEOUT", "0"),
                        Map.of("LIVEPOST_REQUEST_READ_TIMEOUT", "301"),
                        Map.of("LIVEPOST_MAX_CONNECTIONS", "-1"),
                        Map.of("LIVEPOST_MAX_REQUESTS_PER_CLIENT", "0"))) {
            String name = bad.keySet().iterator().next();
            assertThatThrownBy(() -> Config.parse(List.of(), bad, HOME))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(name + " must be");
        }
    }
}
