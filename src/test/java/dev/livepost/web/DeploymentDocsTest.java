package dev.livepost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Nginx;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's Deployment section shows what the tests run. */
class DeploymentDocsTest {
    @Test
    void theReadmesNginxSiteIsTheOneNginxProxyItRuns() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).contains("## Deployment");
        assertThat(readme)
                .contains(
                        "```nginx\n" + Nginx.site("80", "blog.example", "127.0.0.1:8080") + "```");
    }
}
