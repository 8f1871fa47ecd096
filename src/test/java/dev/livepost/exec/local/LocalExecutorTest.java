package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalExecutorTest {

    @Test
    void namespaceFailureNamesTheFix() {
        String line =
                LocalExecutor.explain(
                        "the sandbox did not start: bwrap: Creating new namespace failed: Operation"
                                + " not permitted");
        assertThat(line)
                .doesNotContain("\n")
                .contains("Creating new namespace failed")
                .contains("kernel.unprivileged_userns_clone=1")
                .contains("--security-opt seccomp=unconfined")
                .contains("systempaths=unconfined");
    }

    @Test
    void procMountFailureNamesTheFix() {
        assertThat(
                        LocalExecutor.explain(
                                "the sandbox did not start: bwrap: Can't mount proc on /newroot/proc: Operation not permitted"))
                // Docker masks parts of /proc, and the kernel then refuses a /proc of its own.
                .contains("systempaths=unconfined");
    }

    @Test
    void missingLibraryNamesThePackages() {
        assertThat(LocalExecutor.explain("ModuleNotFoundError: No module named 'numpy'"))
                .contains("apt-get install python3-numpy");
    }
}
