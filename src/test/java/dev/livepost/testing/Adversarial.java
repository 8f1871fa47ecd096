package dev.livepost.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * A case of the adversarial suite: an attack a reader could try, or a fault from outside, with the
 * real parts (sandboxes, server, loopback sockets) and its effect measured where it lands. Each
 * case is one row of the README's threat table ({@code dev.livepost.adversarial.ThreatListTest}
 * keeps the two in step), and is bounded: 3 minutes at most, whatever the code under attack does
 * (the sandboxes bound memory, processes and disk; sockets have timeouts). Run the suite alone with
 * {@code ./livepost test -Dgroups=adversarial}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("adversarial")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public @interface Adversarial {}
