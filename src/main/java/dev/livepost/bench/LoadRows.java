package dev.livepost.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The capacity figures of {@code ./livepost bench}: the load generator's scenarios, each against a
 * server of its own started in this process. They have no Jupyter anchor (a kernel serves one
 * reader), so their anchor column is empty.
 */
final class LoadRows {
    private LoadRows() {}

    /**
     * Sustained arrivals with no pool (every sandbox new) always; unless quick, the same with the
     * server's own pool, the burst, and the thousand readers who stay.
     */
    static List<Bench.Row> measure(boolean quick, Path home) throws Exception {
        var rows = new ArrayList<Bench.Row>();
        int seconds = quick ? 4 : 20;
        String sustained = "50 new sessions/s for " + seconds + " s";
        arrivals(
                rows,
                sustained + ", no pool (every sandbox new)",
                new Load.Options(0, 0, 0, 50 * seconds, seconds, Load.WARM_UP_READERS, 0, null),
                home);
        if (quick) {
            return rows;
        }
        arrivals(
                rows,
                sustained + ", the pool full when they come",
                new Load.Options(0, 0, 0, 50 * seconds, seconds, Load.WARM_UP_READERS, -1, null),
                home);
        arrivals(
                rows,
                "burst of 300 in 10 s",
                new Load.Options(0, 0, 0, 300, 10, Load.WARM_UP_READERS, -1, null),
                home);
        Bench.progress(
                "load: 1000 readers, arriving within 30 s, who run every 10 s for 2 min ...");
        Load.Report stay =
                Load.run(
                        new Load.Options(1000, 120, 10, 0, 30, Load.WARM_UP_READERS, -1, null),
                        home);
        String who = "1000 readers running every 10 s for 2 min";
        rows.add(value(who + ": sessions held", stay.server().get("sessions held at the end")));
        rows.add(value(who + ": errors", String.valueOf(errors(stay))));
        rows.add(value(who + ": new session p99 (ms)", Load.Report.pct(stay.newSessionMs(), 99)));
        rows.add(value(who + ": warm run p50 (ms)", Load.Report.pct(stay.warmRunMs(), 50)));
        rows.add(value(who + ": warm run p99 (ms)", Load.Report.pct(stay.warmRunMs(), 99)));
        rows.add(value(who + ": sandboxes' PSS (MiB)", stay.server().get(Load.TOTAL_PSS)));
        return rows;
    }

    private static void arrivals(List<Bench.Row> rows, String what, Load.Options o, Path home)
            throws Exception {
        Bench.progress("load: " + what + " ...");
        Load.Report r = Load.run(o, home);
        rows.add(value(what + ": first output p50 (ms)", Load.Report.pct(r.newSessionMs(), 50)));
        rows.add(value(what + ": first output p99 (ms)", Load.Report.pct(r.newSessionMs(), 99)));
        rows.add(value(what + ": errors", String.valueOf(errors(r))));
    }

    private static int errors(Load.Report r) {
        return r.errors().values().stream().mapToInt(Integer::intValue).sum();
    }

    private static Bench.Row value(String figure, String value) {
        double v = value == null || value.equals("-") ? Double.NaN : Double.parseDouble(value);
        return new Bench.Row(figure, List.of(v), List.of());
    }
}
