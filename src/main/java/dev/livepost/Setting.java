package dev.livepost;

/**
 * Every setting the server reads: its environment variable and, for some, the {@code serve} flag
 * that wins over it. The closed list that {@link Config#parse} reads, {@code serve --print-config}
 * prints and the README's Configuration table documents ({@code SettingsDocTest} keeps the three in
 * step). What each accepts is checked where it is read, in {@link Config#parse}.
 */
public enum Setting {
    HOST("LIVEPOST_HOST", "--host"),
    PORT("LIVEPOST_PORT", "--port"),
    POSTS("LIVEPOST_POSTS", "--posts"),
    DATA("LIVEPOST_DATA", "--data"),
    EXECUTOR("LIVEPOST_EXECUTOR", "--executor"),
    MODEL("LIVEPOST_MODEL", "--model"),
    ANTHROPIC_API_KEY("ANTHROPIC_API_KEY", null, true),
    ANTHROPIC_BASE_URL("ANTHROPIC_BASE_URL", null),
    ANTHROPIC_VERSION("LIVEPOST_ANTHROPIC_VERSION", null),
    ANTHROPIC_TOOL("LIVEPOST_ANTHROPIC_TOOL", null),
    ANTHROPIC_DAILY_BUDGET("LIVEPOST_ANTHROPIC_DAILY_BUDGET", null),
    RUN_TIMEOUT("LIVEPOST_RUN_TIMEOUT", null),
    MEMORY_MB("LIVEPOST_MEMORY_MB", null),
    SESSIONS_PER_MINUTE("LIVEPOST_SESSIONS_PER_MINUTE", null),
    RUNS_PER_MINUTE("LIVEPOST_RUNS_PER_MINUTE", null),
    SESSIONS_PER_CLIENT("LIVEPOST_SESSIONS_PER_CLIENT", null),
    SESSION_IDLE("LIVEPOST_SESSION_IDLE", null),
    POOL_SIZE("LIVEPOST_POOL_SIZE", null),
    ZYGOTE("LIVEPOST_ZYGOTE", null),
    RELOAD("LIVEPOST_RELOAD", null),
    PRECOMPUTE("LIVEPOST_PRECOMPUTE", null),
    PRECOMPUTE_CONCURRENCY("LIVEPOST_PRECOMPUTE_CONCURRENCY", null),
    ALLOWED_ORIGINS("LIVEPOST_ALLOWED_ORIGINS", null),
    TRUSTED_PROXIES("LIVEPOST_TRUSTED_PROXIES", null),
    MAX_CONNECTIONS("LIVEPOST_MAX_CONNECTIONS", null),
    MAX_REQUESTS_PER_CLIENT("LIVEPOST_MAX_REQUESTS_PER_CLIENT", null),
    CONNECTIONS_PER_CLIENT("LIVEPOST_CONNECTIONS_PER_CLIENT", null),
    REQUEST_READ_TIMEOUT("LIVEPOST_REQUEST_READ_TIMEOUT", null),
    CHAT_SKILLS("LIVEPOST_CHAT_SKILLS", null),
    CHAT_MAX_MESSAGES("LIVEPOST_CHAT_MAX_MESSAGES", null),
    CHAT_MAX_TOKENS("LIVEPOST_CHAT_MAX_TOKENS", null),
    CHAT_MESSAGES_PER_MINUTE("LIVEPOST_CHAT_MESSAGES_PER_MINUTE", null);

    private final String variable;
    private final String flag;
    private final boolean secret;

    Setting(String variable, String flag) {
        this(variable, flag, false);
    }

    Setting(String variable, String flag, boolean secret) {
        this.variable = variable;
        this.flag = flag;
        this.secret = secret;
    }

    /** The environment variable, e.g. {@code LIVEPOST_PORT}. */
    public String variable() {
        return variable;
    }

    /** The {@code serve} flag that wins over the variable, e.g. {@code --port}; null if none. */
    public String flag() {
        return flag;
    }

    /** Whether the value is never shown (only whether it is set). */
    public boolean secret() {
        return secret;
    }
}
