package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livepost.Config;
import dev.livepost.testing.Adversarial;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientAddressTest {
    private final ClientAddress none = ClientAddress.trusting(List.of());
    private final ClientAddress proxies =
            ClientAddress.trusting(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"));

    @Adversarial
    @Test
    void withoutTrustedProxiesThePeerIsTheClientWhateverTheHeaderSays() {
        assertThat(none.of("203.0.113.9", "198.51.100.1")).isEqualTo("203.0.113.9");
        assertThat(none.of("10.1.2.3", "198.51.100.1")).isEqualTo("10.1.2.3");
        assertThat(none.of("203.0.113.9", null)).isEqualTo("203.0.113.9");
    }

    @Adversarial
    @Test
    void aForgedHeaderFromAnUntrustedPeerIsIgnored() {
        assertThat(proxies.of("203.0.113.9", "1.2.3.4")).isEqualTo("203.0.113.9");
    }

    @Adversarial
    @Test
    void behindATrustedProxyTheRightMostUntrustedHopIsTheClient() {
        assertThat(proxies.of("10.0.0.5", "198.51.100.1")).isEqualTo("198.51.100.1");
        // The reader forged the left part; our proxies appended the rest.
        assertThat(proxies.of("10.0.0.5", "6.6.6.6, 198.51.100.1, 192.168.1.7, 10.9.9.9"))
                .isEqualTo("198.51.100.1");
        assertThat(proxies.of("192.168.1.7", " 2001:db8::1 ")).isEqualTo("2001:db8::1");
    }

    @Test
    void ipv6ProxiesAndBracketsAreUnderstood() {
        assertThat(proxies.of("fd12:3456::1", "2001:db8::2")).isEqualTo("2001:db8::2");
        assertThat(proxies.of("::1", "[2001:db8::3]")).isEqualTo("[2001:db8::3]");
        assertThat(proxies.of("fe80::1", "2001:db8::2")).isEqualTo("fe80::1");
        assertThat(proxies.isTrusted("::ffff:10.1.1.1")).isTrue(); // IPv4-mapped
    }

    @Test
    void aRangeMatchesExactlyItsPrefix() {
        var r = ClientAddress.trusting(List.of("172.16.0.0/12"));
        assertThat(r.isTrusted("172.16.0.1")).isTrue();
        assertThat(r.isTrusted("172.31.255.255")).isTrue();
        assertThat(r.isTrusted("172.32.0.0")).isFalse();
        assertThat(r.isTrusted("172.15.255.255")).isFalse();
        assertThat(ClientAddress.trusting(List.of("0.0.0.0/0")).isTrusted("8.8.8.8")).isTrue();
        assertThat(r.isTrusted("not-an-address")).isFalse();
    }

    @Test
    void whenEveryHopIsTrustedTheLeftMostIsTheClient() {
        assertThat(proxies.of("10.0.0.5", "10.0.0.1, 10.0.0.2")).isEqualTo("10.0.0.1");
        assertThat(proxies.of("10.0.0.5", " , ")).isEqualTo("10.0.0.5");
    }

    @Test
    void configRefusesABadEntryAtStartup() {
        var env = Map.of("LIVEPOST_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.0/40");
        assertThatThrownBy(() -> Config.parse(List.of(), env, Path.of(".")))
                .hasMessageContaining("LIVEPOST_TRUSTED_PROXIES")
                .hasMessageContaining("'10.0.0.0/40'");
        var ok = Map.of("LIVEPOST_TRUSTED_PROXIES", "10.0.0.1, fd00::/8");
        assertThat(Config.parse(List.of(), ok, Path.of(".")).web().trustedProxies())
                .containsExactly("10.0.0.1", "fd00::/8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"proxy.example", "10.0.0.0/33", "10.0.0.1/x", "::1/129", "1.2.3"})
    void aBadEntryIsNamedWithTheSetting(String entry) {
        assertThatThrownBy(() -> ClientAddress.trusting(List.of("10.0.0.1", entry)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LIVEPOST_TRUSTED_PROXIES")
                .hasMessageContaining("'" + entry + "'");
    }
}
