package dev.livepost.exec.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;

/**
 * The sandbox's system call filter, a classic BPF program for {@code bwrap --seccomp}: calls that
 * only widen the kernel's attack surface (kernel keyrings, BPF, perf, io_uring, mounts, new
 * namespaces, ptrace, modules, clocks) fail with {@code EPERM}; everything else is allowed. Written
 * at startup, so no library is needed; x86-64 only (elsewhere the sandbox runs without it, and
 * {@code /healthz} says so).
 */
final class Seccomp {
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int NR_CLONE = 56;
    private static final int NR_CLONE3 = 435;

    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
    private static final int CLONE_NEW_ANY = 0x7E020000;

    /** x86-64 numbers of the denied calls (asm/unistd_64.h). */
    private static final int[] DENIED = {
        250,
        248,
        249, // keyctl, add_key, request_key
        101,
        310,
        311,
        312, // ptrace, process_vm_readv, process_vm_writev, kcmp
        298,
        321,
        323, // perf_event_open, bpf, userfaultfd
        246,
        320,
        175,
        313,
        176, // kexec_load, kexec_file_load, init/finit/delete_module
        165,
        166,
        155,
        161, // mount, umount2, pivot_root, chroot
        428,
        429,
        430,
        431,
        432,
        433,
        442, // open_tree, move_mount, fs*, mount_setattr
        167,
        168,
        169,
        153, // swapon, swapoff, reboot, vhangup
        308,
        272, // setns, unshare
        304,
        303,
        179,
        103,
        163, // open/name_to_handle_at, quotactl, syslog, acct
        164,
        227,
        305,
        159, // settimeofday, clock_settime, clock_adjtime, adjtimex
        172,
        173,
        212, // iopl, ioperm, lookup_dcookie
        279,
        237,
        238,
        256, // move_pages, mbind, set_mempolicy, migrate_pages
        300,
        180,
        134,
        136,
        139,
        156, // fanotify_init, nfsservctl, uselib, ustat, sysfs, _sysctl
        425,
        426,
        427, // io_uring_setup, io_uring_enter, io_uring_register
        170,
        171,
        438 // sethostname, setdomainname, pidfd_getfd
    };

    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short JSET_K = 0x45;
    private static final short RET_K = 0x06;
    private static final int RET_ALLOW = 0x7FFF0000;
    private static final int RET_KILL_PROCESS = 0x80000000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;

    private Seccomp() {}

    /** Writes the compiled filter into {@code dir} and returns it, or null on other machines. */
    static Path write(Path dir) {
        if (!"amd64".equals(System.getProperty("os.arch"))) {
            return null;
        }
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("seccomp.bpf");
            Files.write(file, program());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the seccomp filter to " + dir, e);
        }
    }

    /** The program as {@code struct sock_filter[]} in the machine's (little-endian) order. */
    static byte[] program() {
        var code = new ArrayList<int[]>(); // {code, jt, jf, k}; jumps to labels patched below
        // Labels are negative placeholders: -1 ALLOW, -2 EPERM, -3 ENOSYS.
        code.add(new int[] {LD_W_ABS, 0, 0, 4}); // arch
        code.add(new int[] {JEQ_K, 1, 0, AUDIT_ARCH_X86_64});
        code.add(new int[] {RET_K, 0, 0, RET_KILL_PROCESS});
        code.add(new int[] {LD_W_ABS, 0, 0, 0}); // syscall number
        code.add(new int[] {JGE_K, -2, 0, X32_SYSCALL_BIT});
        code.add(new int[] {JEQ_K, 0, 2, NR_CLONE});
        code.add(new int[] {LD_W_ABS, 0, 0, 16}); // clone's flags (low half of args[0])
        code.add(new int[] {JSET_K, -2, -1, CLONE_NEW_ANY});
        code.add(new int[] {JEQ_K, -3, 0, NR_CLONE3}); // libc falls back to clone
        for (int nr : DENIED) {
            code.add(new int[] {JEQ_K, -2, 0, nr});
        }
        int allow = code.size();
        code.add(new int[] {RET_K, 0, 0, RET_ALLOW});
        code.add(new int[] {RET_K, 0, 0, RET_ERRNO | EPERM});
        code.add(new int[] {RET_K, 0, 0, RET_ERRNO | ENOSYS});
        var out = ByteBuffer.allocate(code.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int pc = 0; pc < code.size(); pc++) {
            int[] ins = code.get(pc);
            out.putShort((short) ins[0]);
            out.put((byte) jump(ins[1], pc, allow));
            out.put((byte) jump(ins[2], pc, allow));
            out.putInt(ins[3]);
        }
        return out.array();
    }

    private static int jump(int target, int pc, int allow) {
        if (target >= 0) {
            return target;
        }
        int offset = allow + (-target - 1) - (pc + 1);
        if (offset > 255) {
            throw new IllegalStateException("seccomp program too long for a jump");
        }
        return offset;
    }
}
