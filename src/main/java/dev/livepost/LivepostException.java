package dev.livepost;

/**
 * The one failure type that crosses package boundaries. It carries an HTTP status and a stable
 * snake_case code, so the web layer maps every failure to the contract's JSON error body in one
 * place.
 */
public class LivepostException extends RuntimeException {
    private final int status;
    private final String code;
    private final long retryAfterSeconds;

    public LivepostException(int status, String code, String message) {
        this(status, code, message, 0);
    }

    private LivepostException(int status, String code, String message, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public LivepostException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = 0;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** Seconds a rate-limited client should wait ({@code Retry-After}); 0 when not rate limited. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public static LivepostException rateLimited(String what, long retryAfterSeconds) {
        return new LivepostException(
                429,
                "rate_limited",
                "Too many "
                        + what
                        + " from your address; try again in "
                        + retryAfterSeconds
                        + " s.",
                Math.max(1, retryAfterSeconds));
    }

    /** A refusal the client may retry after {@code retryAfterSeconds} (sent as Retry-After). */
    public static LivepostException retryLater(
            int status, String code, String message, long retryAfterSeconds) {
        return new LivepostException(status, code, message, Math.max(1, retryAfterSeconds));
    }

    public static LivepostException badRequest(String code, String message) {
        return new LivepostException(400, code, message);
    }

    public static LivepostException notFound(String code, String message) {
        return new LivepostException(404, code, message);
    }

    public static LivepostException conflict(String code, String message) {
        return new LivepostException(409, code, message);
    }

    public static LivepostException unavailable(String message) {
        return new LivepostException(503, "executor_unavailable", message);
    }
}
