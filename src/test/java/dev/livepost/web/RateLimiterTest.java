package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.LivepostException;
import dev.livepost.testing.Adversarial;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

@Adversarial
class RateLimiterTest {
    private final AtomicLong now = new AtomicLong();
    private final RateLimiter limiter = new RateLimiter("runs", 60, now::get);

    @Test
    void aBurstUpToTheLimitPassesThenTheClientWaits() {
        for (int i = 0; i < 60; i++) {
            limiter.acquire("10.0.0.1");
        }
        assertThatThrownBy(() -> limiter.acquire("10.0.0.1"))
                .isInstanceOfSatisfying(
                        LivepostException.class,
                        e -> {
                            assertThat(e.status()).isEqualTo(429);
                            assertThat(e.code()).isEqualTo("rate_limited");
                            assertThat(e.retryAfterSeconds()).isEqualTo(1);
                            assertThat(e.getMessage()).contains("runs");
                        });
    }

    @Test
    void tokensComeBackWithTimeAndClientsAreCountedApart() {
        for (int i = 0; i < 60; i++) {
            limiter.acquire("a");
        }
        limiter.acquire("b"); // another address has its own bucket
        now.addAndGet(2_000_000_000L); // two seconds at 60 a minute: two more runs
        limiter.acquire("a");
        limiter.acquire("a");
        assertThatThrownBy(() -> limiter.acquire("a")).isInstanceOf(LivepostException.class);
    }
}
