package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import org.junit.jupiter.api.Test;

@Adversarial
class LogSafeTest {
    private static final String TOKEN = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFi";

    @Test
    void aTokenIsNamedByAShortStableHash() {
        assertThat(LogSafe.token(TOKEN)).matches("#[0-9a-f]{8}").isEqualTo(LogSafe.token(TOKEN));
        assertThat(LogSafe.token(TOKEN)).isNotEqualTo(LogSafe.token(TOKEN + "x"));
    }

    @Test
    void masksEverySessionPathInAText() {
        String hash = LogSafe.token(TOKEN);
        assertThat(LogSafe.mask("/api/sessions/" + TOKEN + "/runs"))
                .isEqualTo("/api/sessions/" + hash + "/runs");
        assertThat(LogSafe.mask("DELETE /api/sessions/" + TOKEN))
                .isEqualTo("DELETE /api/sessions/" + hash);
        assertThat(
                        LogSafe.mask(
                                "http://h/api/sessions/"
                                        + TOKEN
                                        + "/files/abc?x=1 and /api/sessions/"
                                        + TOKEN))
                .doesNotContain(TOKEN)
                .contains("/files/abc?x=1");
        assertThat(LogSafe.mask("/api/sessions")).isEqualTo("/api/sessions");
        // A conversation's id is its session's token.
        assertThat(LogSafe.mask("POST /api/chat/" + TOKEN + "/messages"))
                .isEqualTo("POST /api/chat/" + hash + "/messages");
        assertThat(LogSafe.mask("/api/chat")).isEqualTo("/api/chat");
        assertThat(LogSafe.mask(null)).isNull();
    }
}
