package dev.livepost.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load generator runs, small, against a server it starts; its figures come from bench. */
class LoadIT {
    @TempDir Path home;

    @Test
    void aFewReadersWhoStayAreServedWithoutErrors() throws Exception {
        var report =
                Load.run(
                        Load.Options.parse(
                                List.of(
                                        "--readers",
                                        "3",
                                        "--seconds",
                                        "8",
                                        "--every",
                                        "2",
                                        "--within",
                                        "2",
                                        "--warm-up",
                                        "0",
                                        "--pool",
                                        "2")),
                        home);

        assertThat(report.errors()).isEmpty();
        assertThat(report.newSessionMs()).hasSize(3);
        assertThat(report.warmRunMs()).isNotEmpty();
        assertThat(report.table())
                .contains("| readers | 3 |", "first output of a warm run, p99 (ms)", "evictions");
    }

    @Test
    void aBurstOpensOneSessionPerReader() throws Exception {
        var report =
                Load.run(
                        Load.Options.parse(
                                List.of(
                                        "--burst",
                                        "4",
                                        "--within",
                                        "1",
                                        "--warm-up",
                                        "3",
                                        "--pool",
                                        "4")),
                        home);

        assertThat(report.errors()).isEmpty();
        assertThat(report.newSessionMs()).hasSize(4);
        assertThat(report.server()).containsEntry("sessions held at the end", "4");
    }

    @Test
    void itStaysOnLoopbackAndWithinItsBounds() {
        assertThatThrownBy(() -> Load.Options.parse(List.of("--server", "http://example.com")))
                .hasMessageContaining("loopback");
        assertThatThrownBy(() -> Load.Options.parse(List.of("--readers", "100000")))
                .hasMessageContaining("at most");
        assertThatThrownBy(
                        () ->
                                Load.Options.parse(
                                        List.of("--server", "http://127.0.0.1:1", "--pool", "9")))
                .hasMessageContaining("not with --server");
        assertThat(Load.address(258)).isEqualTo("10.0.1.2");
    }
}
