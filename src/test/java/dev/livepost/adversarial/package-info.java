/**
 * The adversarial suite's end-to-end cases: attacks an anonymous reader could make through the real
 * server (forged protocol messages, output floods, slow clients, secrets in logs) and faults from
 * outside (a sandbox or the server killed, a session deleted mid-run), each measured from the host.
 * The suite also holds cases that live beside the classes they try ({@code SandboxIsolationIT},
 * {@code HtmlSanitizerTest}, ...): every case is tagged {@link dev.livepost.testing.Adversarial},
 * and the README's table "Threats tried, and what happens" names them all ({@link ThreatListTest}).
 */
package dev.livepost.adversarial;
