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
        assertThat(proxies.of("::1", "[2001:db8::3]")).isEqualTo("2001:db8::3");
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
    void behindATrustedProxyTheForwardedHeaderNamesTheClient() {
        assertThat(proxies.of("10.0.0.5", null, "for=198.51.100.1;proto=https"))
                .isEqualTo("198.51.100.1");
        // Quoted IPv6 with a port, a port on IPv4, several elements, several header lines joined.
        assertThat(proxies.of("10.0.0.5", null, "for=\"[2001:db8:cafe::17]:4711\""))
                .isEqualTo("2001:db8:cafe::17");
        assertThat(proxies.of("10.0.0.5", null, "for=\"198.51.100.2:8443\";by=10.0.0.5"))
                .isEqualTo("198.51.100.2");
        assertThat(
                        proxies.of(
                                "10.0.0.5",
                                null,
                                "for=6.6.6.6, For=198.51.100.3;proto=http,for=\"[fd00::9]\","
                                        + " for=10.0.0.7"))
                .isEqualTo("198.51.100.3");
        // Names and values are case-insensitive and may carry escapes in quotes.
        assertThat(proxies.of("::1", null, "FOR=\"198.51.100.\\4\"")).isEqualTo("198.51.100.4");
    }

    @Adversarial
    @Test
    void aForgedForwardedHeaderFromAnUntrustedPeerIsIgnored() {
        assertThat(proxies.of("203.0.113.9", null, "for=1.2.3.4")).isEqualTo("203.0.113.9");
        assertThat(none.of("10.0.0.5", null, "for=1.2.3.4")).isEqualTo("10.0.0.5");
    }

    @Adversarial
    @Test
    void xForwardedForWinsOverForwardedWhichTheProxyMayHavePassedOnUntouched() {
        // nginx appends to X-Forwarded-For and leaves a Forwarded header the reader wrote.
        assertThat(proxies.of("10.0.0.5", "198.51.100.1", "for=6.6.6.6")).isEqualTo("198.51.100.1");
    }

    @Adversarial
    @Test
    void unknownAndObfuscatedHopsEndTheWalkSoTheForgedLeftPartIsNeverReached() {
        assertThat(proxies.of("10.0.0.5", null, "for=6.6.6.6, for=unknown")).isEqualTo("unknown");
        assertThat(proxies.of("10.0.0.5", null, "for=6.6.6.6, for=_hidden7, for=10.0.0.1"))
                .isEqualTo("_hidden7");
        // A hop whose proxy named no client at all is as unknown.
        assertThat(proxies.of("10.0.0.5", null, "for=6.6.6.6, proto=https")).isEqualTo("unknown");
        assertThat(proxies.of("10.0.0.5", "6.6.6.6, unknown")).isEqualTo("unknown");
        String longId = "_" + "x".repeat(500);
        assertThat(proxies.of("10.0.0.5", null, "for=" + longId)).hasSize(64);
        // A bracketed address that is not IPv6, or a port that is not one, is not an address.
        assertThat(proxies.of("10.0.0.5", null, "for=6.6.6.6, for=\"[1.2.3.4]\""))
                .isEqualTo("[1.2.3.4]");
        assertThat(proxies.of("10.0.0.5", null, "for=6.6.6.6, for=\"1.2.3.4:http\""))
                .isEqualTo("1.2.3.4:http");
    }

    @Adversarial
    @Test
    void aPortDoesNotMakeANewClient() {
        assertThat(proxies.of("10.0.0.5", "198.51.100.1:40001"))
                .isEqualTo(proxies.of("10.0.0.5", "198.51.100.1:40002"))
                .isEqualTo("198.51.100.1");
        assertThat(proxies.of("10.0.0.5", "[2001:db8::5]:40001")).isEqualTo("2001:db8::5");
        assertThat(proxies.of("10.0.0.5", null, "for=\"198.51.100.1:_p1\""))
                .isEqualTo("198.51.100.1");
    }

    @Test
    void emptyForwardedElementsAreNoHops() {
        assertThat(proxies.of("10.0.0.5", null, " , for=198.51.100.1 , , "))
                .isEqualTo("198.51.100.1");
        assertThat(proxies.of("10.0.0.5", null, " , ")).isEqualTo("10.0.0.5");
        assertThat(proxies.of("10.0.0.5", null, "for=10.0.0.1, for=10.0.0.2"))
                .isEqualTo("10.0.0.1");
    }

    @Adversarial
    @Test
    void hostileForwardedHeadersAreParsedQuicklyAndSafely() {
        // An unterminated quote swallows the rest: one hop, not an address.
        assertThat(proxies.of("10.0.0.5", null, "for=\"198.51.100.1, for=10.0.0.1"))
                .isEqualTo("198.51.100.1, for=10.0.0.1");
        assertThat(ForwardedHeader.parse("for=\"\\")).hasSize(1);
        assertThat(ForwardedHeader.parse(";;;==,=;\"")).isNotNull();
        String huge = "for=1.1.1.1;".repeat(20_000) + ",".repeat(100_000) + "\"".repeat(50_000);
        long start = System.nanoTime();
        // The quotes after the commas are a hop of garbage, which names no client.
        assertThat(ForwardedHeader.parse(huge)).hasSize(2);
        assertThat(proxies.of("10.0.0.5", null, huge)).isEqualTo("unknown");
        assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
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
