package dev.livepost.exec.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.core.JsonValue;
import com.anthropic.core.http.Headers;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.RateLimitException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ApiErrorsTest {
    private static JsonValue body(String type, String message) {
        return JsonValue.from(
                Map.of("type", "error", "error", Map.of("type", type, "message", message)));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "400|Container 'container_01' has expired|false|true",
                "404|container_id container_01 not found|false|true",
                "404|Not found|false|true",
                "400|container: container_01 does not exist|false|true",
                "500|Internal server error|true|true",
                "500|Internal server error|false|false",
                "404|File not found: file_01|true|false",
                "404|model: claude-nope not found|false|false",
                "400|max_tokens: must be at least 1|false|false",
                "400|The skill 'pdfx' is invalid|false|false",
            })
    void aGoneContainerIsToldApartFromOtherRequestErrors(
            int status, String message, boolean withUpload, boolean gone) {
        RuntimeException e =
                switch (status) {
                    case 404 ->
                            NotFoundException.builder()
                                    .headers(Headers.builder().build())
                                    .body(body("not_found_error", message))
                                    .build();
                    case 500 ->
                            InternalServerException.builder()
                                    .statusCode(500)
                                    .headers(Headers.builder().build())
                                    .body(body("api_error", message))
                                    .build();
                    default ->
                            BadRequestException.builder()
                                    .headers(Headers.builder().build())
                                    .body(body("invalid_request_error", message))
                                    .build();
                };

        assertThat(ApiErrors.containerGone(e, withUpload)).isEqualTo(gone);
        assertThat(ApiErrors.fileGone(e)).isEqualTo(message.startsWith("File not found"));
    }

    @Test
    void retryAfterIsReadInSecondsAndOtherwiseIgnored() {
        var seconds =
                RateLimitException.builder()
                        .headers(Headers.builder().put("retry-after", "1.5").build())
                        .body(body("rate_limit_error", "slow"))
                        .build();
        var date =
                RateLimitException.builder()
                        .headers(
                                Headers.builder()
                                        .put("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT")
                                        .build())
                        .body(body("rate_limit_error", "slow"))
                        .build();

        assertThat(ApiErrors.retryAfter(seconds)).hasValue(Duration.ofMillis(1500));
        assertThat(ApiErrors.retryAfter(date)).isEmpty();
        assertThat(ApiErrors.translate(seconds).code()).isEqualTo("rate_limited");
        assertThat(ApiErrors.translate(seconds).getMessage()).contains("try again in 1 s");
    }

    @Test
    void anIoFailureIsADisconnect() {
        var e = ApiErrors.translate(new AnthropicIoException("connection reset", null));

        assertThat(e.code()).isEqualTo("upstream_disconnected");
        assertThat(e.getMessage()).doesNotContain("connection reset").contains("try again");
    }
}
