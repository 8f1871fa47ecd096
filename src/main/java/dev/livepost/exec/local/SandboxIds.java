package dev.livepost.exec.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;

/**
 * Which host uid each sandbox runs as, decided once at startup from what the server may do:
 *
 * <ul>
 *   <li>{@code root}: the server is root and gives each sandbox a uid of its own from a random
 *       range at 200000 and above, by {@code setuid} (zygote) or {@code setpriv} (bubblewrap);
 *   <li>{@code subordinate}: the server is not root, but {@code /etc/subuid} and {@code
 *       /etc/subgid} give its user a range and {@code newuidmap}/{@code newgidmap} are installed:
 *       the zygote maps that range into a user namespace of its own (0 is the server's uid, 1..n
 *       the range), and each sandbox gets one of those ids. Only the zygote can do this;
 *       bubblewrap's sandboxes keep the server's uid;
 *   <li>{@code shared}: neither; every sandbox runs as the server's uid, kept apart from it and
 *       from each other by namespaces alone, and a sandbox's process count is capped by its cgroup
 *       only (RLIMIT_NPROC counts per uid, so it would count every sandbox together).
 * </ul>
 *
 * A sandbox is numbered by its slot ({@code 0..slots()-1}); the id it gets comes from here.
 * Immutable.
 */
final class SandboxIds {
    enum Mode {
        ROOT,
        SUBORDINATE,
        SHARED
    }

    private static final int ROOT_BASE = 200_000;

    /** Enough for an audience (a thousand sessions and their pool), one uid each. */
    static final int MAX_SLOTS = 2048;

    private static final Path NEWUIDMAP = Path.of("/usr/bin/newuidmap");
    private static final Path NEWGIDMAP = Path.of("/usr/bin/newgidmap");

    private final Mode mode;
    private final int base;
    private final int slots;
    private final Range uids;
    private final Range gids;

    /** A range of subordinate ids: {@code count} ids from {@code first}. */
    record Range(long first, long count) {}

    private SandboxIds(Mode mode, int base, int slots, Range uids, Range gids) {
        this.mode = mode;
        this.base = base;
        this.slots = slots;
        this.uids = uids;
        this.gids = gids;
    }

    /** Root's ids, or the subordinate ids of the server's user, or the server's uid alone. */
    static SandboxIds detect() {
        long uid = SandboxLauncher.effectiveUid();
        if (uid == 0) {
            // Several servers on one machine get different ranges (by chance: 1 in 4000 to
            // collide), so their sandboxes' process counts (RLIMIT_NPROC is per uid) do not add up.
            return new SandboxIds(
                    Mode.ROOT,
                    ROOT_BASE + new SecureRandom().nextInt(4000) * MAX_SLOTS,
                    MAX_SLOTS,
                    null,
                    null);
        }
        String user = System.getProperty("user.name", "");
        Range subUids = subordinate(Path.of("/etc/subuid"), user, uid);
        Range subGids = subordinate(Path.of("/etc/subgid"), user, uid);
        if (subUids != null
                && subGids != null
                && Files.isExecutable(NEWUIDMAP)
                && Files.isExecutable(NEWGIDMAP)) {
            int slots = (int) Math.min(MAX_SLOTS, Math.min(subUids.count(), subGids.count()));
            return new SandboxIds(Mode.SUBORDINATE, 1, slots, subUids, subGids);
        }
        return new SandboxIds(Mode.SHARED, 0, MAX_SLOTS, null, null);
    }

    /**
     * The first range of {@code file} ({@code name:first:count} lines) for the user, by name or by
     * number; null when there is none, or it is too small to be worth it (fewer than 8 ids).
     */
    static Range subordinate(Path file, String user, long uid) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return null;
        }
        for (String line : lines) {
            String[] f = line.trim().split(":");
            if (f.length != 3 || !(f[0].equals(user) || f[0].equals(String.valueOf(uid)))) {
                continue;
            }
            try {
                long first = Long.parseLong(f[1]);
                long count = Long.parseLong(f[2]);
                if (first > 0 && count >= 8) {
                    return new Range(first, count);
                }
            } catch (NumberFormatException e) {
                // a malformed line is newuidmap's to refuse; look on
            }
        }
        return null;
    }

    Mode mode() {
        return mode;
    }

    /** How many sandboxes can have an id at once. */
    int slots() {
        return slots;
    }

    /** Whether each sandbox has a uid of its own, when forked by the zygote or not. */
    boolean ownUidPerSandbox(boolean zygote) {
        return mode == Mode.ROOT || (zygote && mode == Mode.SUBORDINATE);
    }

    /**
     * The uid a zygote child of {@code slot} becomes: a host uid (root), an id of the zygote's user
     * namespace (subordinate), or 0 there, the server's uid (shared).
     */
    int zygoteUid(int slot) {
        return mode == Mode.SHARED ? 0 : base + slot;
    }

    /**
     * The uid {@code setpriv} gives a bubblewrap sandbox of {@code slot}, or -1 (keep the
     * server's).
     */
    int bubblewrapUid(int slot) {
        return mode == Mode.ROOT ? base + slot : -1;
    }

    /** Processes the server user keeps for itself: sandboxes together never take these. */
    static final long SERVER_PROCESS_RESERVE = 512;

    /**
     * What the zygote needs to make its user namespace, or null when it stays in the host's (root):
     * the maps {@code newuidmap}/{@code newgidmap} write ({@code inside outside count} triples),
     * or, without subordinate ids, the one line the zygote may write itself; and the process count
     * ({@code nproc}) of the zygote and every sandbox together. The kernel counts the processes of
     * a user namespace against its creator's uid, the server's, with the creator's {@code
     * RLIMIT_NPROC} at the time as the cap: a lower one leaves the server room to make threads
     * however many processes the sandboxes make.
     */
    java.util.Map<String, Object> zygoteNamespace(long serverUid, long serverGid) {
        if (mode == Mode.ROOT) {
            return null;
        }
        var ns = new java.util.LinkedHashMap<String, Object>();
        ns.put("nproc", Math.max(SERVER_PROCESS_RESERVE, processLimit() - SERVER_PROCESS_RESERVE));
        if (mode == Mode.SUBORDINATE) {
            ns.put("uidMap", List.of(0, serverUid, 1, 1, uids.first(), slots));
            ns.put("gidMap", List.of(0, serverGid, 1, 1, gids.first(), slots));
            ns.put("newuidmap", NEWUIDMAP.toString());
            ns.put("newgidmap", NEWGIDMAP.toString());
        } else {
            ns.put("uidMap", List.of(0, serverUid, 1));
            ns.put("gidMap", List.of(0, serverGid, 1));
        }
        return ns;
    }

    /**
     * The server's {@code RLIMIT_NPROC}, from {@code /proc/self/limits}, or the kernel's thread cap
     * when that is unlimited or unreadable.
     */
    static long processLimit() {
        long threads = 32_768;
        try {
            threads =
                    Long.parseLong(
                            Files.readString(Path.of("/proc/sys/kernel/threads-max")).strip());
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max processes")) {
                    String soft = line.substring("Max processes".length()).strip().split("\\s+")[0];
                    return soft.equals("unlimited")
                            ? threads
                            : Math.min(threads, Long.parseLong(soft));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the kernel's default cap then
        }
        return threads;
    }

    /** For {@code /healthz} and the log: what sandboxes started by the zygote or not run as. */
    String describe(boolean zygote) {
        if (!ownUidPerSandbox(zygote)) {
            return mode == Mode.SUBORDINATE
                    ? "the server's uid (subordinate ids are used by the zygote only)"
                    : "the server's uid (no subordinate ids in /etc/subuid)";
        }
        return switch (mode) {
            case ROOT -> "a uid of its own (" + base + "+)";
            case SUBORDINATE ->
                    "a uid of its own (" + uids.first() + "+, the server user's subordinate ids)";
            case SHARED -> throw new IllegalStateException();
        };
    }
}
