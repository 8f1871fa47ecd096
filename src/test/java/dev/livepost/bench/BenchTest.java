package dev.livepost.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchTest {

    @Test
    void medianOfOddAndEvenSamples() {
        assertThat(Bench.median(List.of(5.0, 1.0, 3.0))).isEqualTo(3.0);
        assertThat(Bench.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(Bench.median(List.of())).isNaN();
    }

    @Test
    void theTableHasTheContractsColumns() {
        String table =
                Bench.table(
                        List.of(
                                new Bench.Row(
                                        "first output (ms)", List.of(20.0), List.of(1000.0))));
        assertThat(table.lines().findFirst()).hasValue("| figure | livepost | anchor | ratio |");
        assertThat(table).contains("| first output (ms) | 20.0 | 1000 | 0.02x |");
    }
}
