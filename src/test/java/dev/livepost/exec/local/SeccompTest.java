package dev.livepost.exec.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livepost.testing.Adversarial;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Runs the generated filter on a small classic-BPF interpreter, as the kernel would. */
class SeccompTest {
    private static final int X86_64 = 0xC000003E;
    private static final int ALLOW = 0x7FFF0000;
    private static final int EPERM = 0x00050001;
    private static final int ENOSYS = 0x00050026;
    private static final int KILL = 0x80000000;

    @Test
    void allowsOrdinaryCalls() {
        for (int nr : new int[] {0, 1, 2, 9, 57, 59, 61, 231, 257, 293}) {
            assertThat(verdict(X86_64, nr, 0)).as("syscall %d", nr).isEqualTo(ALLOW);
        }
    }

    @Adversarial
    @Test
    void refusesCallsThatWidenTheAttackSurface() {
        // unshare, setns, keyctl, bpf, perf_event_open, ptrace, mount, io_uring_setup
        for (int nr : new int[] {272, 308, 250, 321, 298, 101, 165, 425}) {
            assertThat(verdict(X86_64, nr, 0)).as("syscall %d", nr).isEqualTo(EPERM);
        }
    }

    @Adversarial
    @Test
    void cloneMayMakeThreadsAndProcessesButNoNamespaces() {
        assertThat(verdict(X86_64, 56, 0x3D0F00)).isEqualTo(ALLOW); // pthread_create's flags
        assertThat(verdict(X86_64, 56, 0x01200011)).isEqualTo(ALLOW); // fork's flags
        assertThat(verdict(X86_64, 56, 0x10000000)).isEqualTo(EPERM); // CLONE_NEWUSER
        assertThat(verdict(X86_64, 56, 0x40000000)).isEqualTo(EPERM); // CLONE_NEWNET
        assertThat(verdict(X86_64, 435, 0)).isEqualTo(ENOSYS); // clone3: libc falls back
    }

    @Adversarial
    @Test
    void otherAbisAreRefused() {
        assertThat(verdict(X86_64, 0x40000000 | 1, 0)).isEqualTo(EPERM); // x32
        assertThat(verdict(0x40000003, 1, 0)).isEqualTo(KILL); // i386
    }

    /** Interprets the program for one {@code struct seccomp_data}. */
    private static int verdict(int arch, int nr, int arg0Low) {
        ByteBuffer prog = ByteBuffer.wrap(Seccomp.program()).order(ByteOrder.LITTLE_ENDIAN);
        int count = prog.capacity() / 8;
        assertThat(count).isLessThanOrEqualTo(4096);
        int acc = 0;
        int pc = 0;
        while (pc < count) {
            prog.position(pc * 8);
            int code = prog.getShort() & 0xFFFF;
            int jt = prog.get() & 0xFF;
            int jf = prog.get() & 0xFF;
            int k = prog.getInt();
            switch (code) {
                case 0x20 -> {
                    acc =
                            switch (k) {
                                case 0 -> nr;
                                case 4 -> arch;
                                case 16 -> arg0Low;
                                default -> throw new AssertionError("load of offset " + k);
                            };
                    pc++;
                }
                case 0x15 -> pc += 1 + (acc == k ? jt : jf);
                case 0x35 -> pc += 1 + (Integer.compareUnsigned(acc, k) >= 0 ? jt : jf);
                case 0x45 -> pc += 1 + ((acc & k) != 0 ? jt : jf);
                case 0x06 -> {
                    return k;
                }
                default -> throw new AssertionError("unexpected instruction " + code);
            }
        }
        throw new AssertionError("program ran off its end");
    }
}
