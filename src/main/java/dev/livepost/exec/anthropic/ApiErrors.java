package dev.livepost.exec.anthropic;

import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.errors.SseException;
import com.anthropic.errors.UnauthorizedException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/** Turns the SDK's exceptions into what the reader is told. Stateless. */
final class ApiErrors {
    private ApiErrors() {}

    /**
     * Whether a failed request that named a container failed because that container is gone
     * (expired, unknown): a 404 (unless about a file or the model), a 400 saying so, or a 500 on a
     * request that also carried an upload, as Anthropic's API has answered for a dead container.
     */
    static boolean containerGone(RuntimeException e, boolean withUpload) {
        if (!(e instanceof AnthropicServiceException s) || e instanceof SseException) {
            return false;
        }
        int status = s.statusCode();
        String message = message(s);
        if (fileGone(e) || message.contains("model")) {
            return false;
        }
        if (status == 404 || (status == 500 && withUpload)) {
            return true;
        }
        return status == 400
                && message.contains("container")
                && (message.contains("expired")
                        || message.contains("not found")
                        || message.contains("does not exist")
                        || message.contains("unknown")
                        || message.contains("invalid"));
    }

    /** Whether the API answered with a bare 500 (an internal error, or a dead container). */
    static boolean serverError(RuntimeException e) {
        return e instanceof AnthropicServiceException s
                && !(e instanceof SseException)
                && s.statusCode() == 500;
    }

    /** Whether a request failed because a file it named (an upload) is not known to the API. */
    static boolean fileGone(Throwable e) {
        if (!(e instanceof AnthropicServiceException s) || e instanceof SseException) {
            return false;
        }
        String message = message(s);
        return (s.statusCode() == 404 || s.statusCode() == 400)
                && message.contains("file")
                && !message.contains("container")
                && (message.contains("not found")
                        || message.contains("does not exist")
                        || message.contains("deleted")
                        || message.contains("invalid"));
    }

    private static String message(AnthropicServiceException s) {
        return s.apiMessage().orElse("").toLowerCase(Locale.ROOT);
    }

    /** How long a 429 asks us to wait, if it says. */
    static Optional<Duration> retryAfter(RuntimeException e) {
        if (!(e instanceof RateLimitException r)) {
            return Optional.empty();
        }
        var values = r.headers().values("retry-after");
        if (values.isEmpty()) {
            return Optional.empty();
        }
        try {
            double seconds = Double.parseDouble(values.get(0).trim());
            return Optional.of(Duration.ofMillis((long) (seconds * 1000)));
        } catch (NumberFormatException ex) {
            return Optional.empty(); // an HTTP date: treat as long
        }
    }

    /** The reader-facing failure for any exception thrown while talking to the API. */
    static UpstreamException translate(RuntimeException e) {
        if (e instanceof UpstreamException u) {
            return u;
        }
        if (e instanceof SseException s) {
            return fromErrorType(s.type().map(t -> t.asString()).orElse(""), s, e);
        }
        if (e instanceof UnauthorizedException || e instanceof PermissionDeniedException) {
            return new UpstreamException(
                    "upstream_unauthorized",
                    "The Anthropic API key was rejected (HTTP "
                            + ((AnthropicServiceException) e).statusCode()
                            + "); check ANTHROPIC_API_KEY.",
                    e);
        }
        if (e instanceof RateLimitException) {
            String wait = retryAfter(e).map(d -> " in " + d.toSeconds() + " s").orElse(" later");
            return new UpstreamException(
                    "rate_limited",
                    "Anthropic's API is rate limiting this server; try again" + wait + ".",
                    e);
        }
        if (e instanceof AnthropicServiceException s) {
            int status = s.statusCode();
            if (status == 529 || status >= 500) {
                return new UpstreamException(
                        "upstream_overloaded",
                        "Anthropic's API is overloaded or failing (HTTP "
                                + status
                                + "); try again in a minute.",
                        e);
            }
            return new UpstreamException(
                    "upstream_rejected",
                    "Anthropic's API refused the request (HTTP "
                            + status
                            + "): "
                            + s.apiMessage().orElse("no details"),
                    e);
        }
        if (e instanceof AnthropicIoException) {
            return disconnected(e);
        }
        return new UpstreamException(
                "upstream_error", "Talking to Anthropic's API failed: " + e.getMessage(), e);
    }

    static UpstreamException disconnected(Throwable cause) {
        return new UpstreamException(
                "upstream_disconnected",
                "The connection to Anthropic's API was lost before the run finished; try again.",
                cause);
    }

    private static UpstreamException fromErrorType(
            String type, SseException s, RuntimeException e) {
        String detail = s.apiMessage().map(m -> ": " + m).orElse("");
        switch (type) {
            case "overloaded_error":
            case "api_error":
                return new UpstreamException(
                        "upstream_overloaded",
                        "Anthropic's API is overloaded or failing" + detail + "; try again soon.",
                        e);
            case "rate_limit_error":
                return new UpstreamException(
                        "rate_limited",
                        "Anthropic's API is rate limiting this server" + detail + ".",
                        e);
            default:
                return new UpstreamException(
                        "upstream_error",
                        "Anthropic's API reported an error mid-answer" + detail + ".",
                        e);
        }
    }
}
