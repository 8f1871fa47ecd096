package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.LivepostException;
import dev.livepost.testing.Adversarial;
import org.junit.jupiter.api.Test;

@Adversarial
class InFlightTest {
    @Test
    void refusesAClientBeyondItsCapAndFreesSlotsOnClose() {
        var inFlight = new InFlight(2);
        var a = inFlight.acquire("1.1.1.1");
        var b = inFlight.acquire("1.1.1.1");
        assertThatThrownBy(() -> inFlight.acquire("1.1.1.1"))
                .isInstanceOfSatisfying(
                        LivepostException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(429);
                            assertThat(e.retryAfterSeconds()).isEqualTo(1);
                        });
        // Another client is not affected.
        inFlight.acquire("2.2.2.2").close();
        a.close();
        inFlight.acquire("1.1.1.1").close();
        b.close();
        assertThat(inFlight.count("1.1.1.1")).isZero();
        assertThat(inFlight.count("2.2.2.2")).isZero();
    }
}
