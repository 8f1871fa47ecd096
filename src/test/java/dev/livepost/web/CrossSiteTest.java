package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Adversarial
class CrossSiteTest {
    @ParameterizedTest
    @CsvSource({
        "https://Blog.Example, https://blog.example:443",
        "https://blog.example:443/, https://blog.example:443",
        "http://127.0.0.1:8080, http://127.0.0.1:8080",
        "http://[::1]:8080, http://[::1]:8080",
        "http://blog.example, http://blog.example:80",
        "null, null",
    })
    void originsAreComparedAsSchemeHostAndPort(String origin, String normalized) {
        assertThat(CrossSite.normalize(origin)).isEqualTo(normalized);
    }
}
