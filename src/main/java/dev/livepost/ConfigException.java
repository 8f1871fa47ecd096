package dev.livepost;

import java.util.List;

/**
 * Bad configuration: every problem found at startup, each naming the flag or variable the user set
 * and what it accepts. The message holds one problem a line, so the command line can print them all
 * at once (and exit with status 2) instead of stopping at the first.
 */
public final class ConfigException extends IllegalArgumentException {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /** One message per problem, in the order the settings are read. */
    public List<String> problems() {
        return problems;
    }
}
