package dev.livepost.exec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CapacityTest {
    private static final long MIB = 1 << 20;

    @Test
    void pooledSandboxesLeaveRoomForAsManySessions() {
        // 10 alive, 6 of them pooled, at most 10: the next 6 sessions take pooled ones.
        var full = new Capacity(10, 6, 10, 0, 0, 8 * MIB, -1, 0, false);

        assertThat(full.roomFor(6)).isTrue();
        assertThat(full.roomFor(7)).isFalse();
    }

    @Test
    void memoryKeepsTheHeadroomFree() {
        var c = new Capacity(2, 0, 100, 0, 0, 8 * MIB, 100 * MIB, 20 * MIB, false);

        assertThat(c.roomFor(10)).isTrue();
        assertThat(c.roomFor(11)).isFalse();
        assertThat(new Capacity(2, 0, 100, 0, 0, 8 * MIB, 100 * MIB, 20 * MIB, true).roomFor(1))
                .as("under pressure")
                .isFalse();
    }
}
