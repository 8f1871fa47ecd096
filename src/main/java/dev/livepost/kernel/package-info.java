/**
 * Code that runs inside a sandbox, not in the server: the JShell driver behind {@code lang=java}
 * artifacts. The server sends these classes' bytes to a sandbox's kernel ({@code kernel/langs.py}),
 * which starts them with the host's JDK, seen read-only. They use the JDK only.
 */
package dev.livepost.kernel;
