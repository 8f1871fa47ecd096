package dev.livepost.exec.anthropic;

import java.util.concurrent.CountDownLatch;

/**
 * Runs {@link FakeAnthropic} by hand, so that {@code ./livepost serve --executor anthropic} can be
 * tried end to end without an Anthropic account: {@code scripts/fake-anthropic [--port N]
 * [--tokens-per-second N]} (the pace of its output; default: as fast as it can). It accepts any
 * non-blank API key, prints {@code fake Anthropic API on http://127.0.0.1:PORT} and serves until
 * the process is stopped (Ctrl-C), closing its sandboxes on the way out.
 */
public final class FakeAnthropicServer {
    private FakeAnthropicServer() {}

    public static void main(String[] args) throws InterruptedException {
        int port = 0;
        double tokensPerSecond = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--tokens-per-second") && i + 1 < args.length) {
                tokensPerSecond = Double.parseDouble(args[++i]);
            } else {
                System.err.println("usage: fake-anthropic [--port N] [--tokens-per-second N]");
                System.exit(2);
            }
        }
        var fake = new FakeAnthropic(null, port);
        fake.tokensPerSecond = tokensPerSecond;
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    fake.close();
                                    stopped.countDown();
                                }));
        System.out.println("fake Anthropic API on " + fake.baseUrl());
        System.out.println(
                "try: ANTHROPIC_API_KEY=test ANTHROPIC_BASE_URL="
                        + fake.baseUrl()
                        + " ./livepost serve --executor anthropic");
        System.out.flush();
        stopped.await();
    }
}
