package dev.livepost.exec.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * {@link FakeAnthropic} for tests of other packages (the web layer, the browser): the fake API on
 * loopback, its recorded message requests, the rules it saw broken and its containers. Thread-safe.
 */
public final class FakeAnthropicApi implements AutoCloseable {
    private final FakeAnthropic fake = new FakeAnthropic();

    /** The environment that points a server's {@code anthropic} executor at this fake. */
    public Map<String, String> env() {
        return Map.of(
                "LIVEPOST_EXECUTOR",
                "anthropic",
                "ANTHROPIC_API_KEY",
                FakeAnthropic.KEY,
                "ANTHROPIC_BASE_URL",
                fake.baseUrl().toString());
    }

    public URI baseUrl() {
        return fake.baseUrl();
    }

    /** The bodies of the {@code /v1/messages} requests, in order. */
    public List<JsonNode> messageBodies() {
        return fake.messageRequests().stream().map(FakeAnthropic.Recorded::body).toList();
    }

    /** What the requests did that the real API refuses or that Livepost must not do. */
    public List<String> violations() {
        return List.copyOf(fake.violations);
    }

    /** The ids of the containers made so far (live ones). */
    public List<String> containerIds() {
        return fake.containerIds();
    }

    @Override
    public void close() {
        fake.close();
    }
}
