package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SandboxPoolTest {
    private static final long MIB = 1 << 20;

    @Test
    void anAutoPoolTakesAQuarterOfTheMemoryAvailableBesidesItself() {
        // 4 GiB available and 200 pooled at 8 MiB: 5.6 GiB without the pool, a quarter of it.
        assertThat(SandboxPool.autoSize(4096 * MIB, 200, 8 * MIB, 1024)).isEqualTo(178);
        // The same machine seen before the pool started: the same size.
        assertThat(SandboxPool.autoSize(5696 * MIB, 0, 8 * MIB, 1024)).isEqualTo(178);
    }

    @Test
    void itShrinksAsOthersTakeTheMemoryAndStopsAtItsMost() {
        int before = SandboxPool.autoSize(4096 * MIB, 200, 8 * MIB, 1024);
        int after = SandboxPool.autoSize(1024 * MIB, 200, 8 * MIB, 1024);

        assertThat(after).isLessThan(before).isEqualTo(82);
        assertThat(SandboxPool.autoSize(64 * MIB, 0, 8 * MIB, 1024)).isEqualTo(2);
        assertThat(SandboxPool.autoSize(1L << 40, 0, 8 * MIB, 1024)).isEqualTo(1024);
        assertThat(SandboxPool.autoSize(1L << 40, 0, 8 * MIB, 300)).isEqualTo(300);
    }

    @Test
    void untilASandboxIsMeasuredItHoldsAFew() {
        assertThat(SandboxPool.autoSize(4096 * MIB, 0, -1, 1024)).isEqualTo(SandboxPool.AUTO_FEW);
        assertThat(SandboxPool.autoSize(-1, 0, 8 * MIB, 1024)).isEqualTo(SandboxPool.AUTO_FEW);
        assertThat(SandboxPool.autoSize(-1, 0, 8 * MIB, 2)).isEqualTo(2);
    }
}
