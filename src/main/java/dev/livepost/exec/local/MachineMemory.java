package dev.livepost.exec.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the kernel says about this machine's memory: what is available, and whether it stalls. */
final class MachineMemory {
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path PRESSURE = Path.of("/proc/pressure/memory");

    /** Tasks stalled on memory for more than this share of the last 10 s: the machine is short. */
    private static final double STALLED_PERCENT = 10.0;

    private MachineMemory() {}

    /** {@code MemAvailable} in bytes, or -1 where unknown. */
    static long availableBytes() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return -1;
    }

    /** Whether memory pressure (PSI, where the kernel has it) says tasks are stalling. */
    static boolean underPressure() {
        try {
            for (String line : Files.readAllLines(PRESSURE)) {
                if (line.startsWith("some ")) {
                    for (String field : line.split(" ")) {
                        if (field.startsWith("avg10=")) {
                            return Double.parseDouble(field.substring(6)) > STALLED_PERCENT;
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no PSI on this kernel: availability alone decides
        }
        return false;
    }
}
