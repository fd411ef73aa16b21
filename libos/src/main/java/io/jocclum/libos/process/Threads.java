package io.jocclum.libos.process;

import io.jocclum.api.Errno;
import io.jocclum.api.Signal;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.HostPagePool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The threads of the process layer (Linux {@code kernel/fork.c} copy_thread side,
 * {@code kernel/exit.c} do_exit; Occlum {@code process/do_spawn} and {@code thread/}): a virtual
 * thread per guest thread on a TCS of its own, its end, and pthread_join. A thread's end that is
 * its process's last goes to {@link Kernel#processExited}.
 */
final class Threads {
    private static final System.Logger LOG = System.getLogger(Threads.class.getName());

    /** A thread's code: a program's main, or a ThreadFunction. */
    @FunctionalInterface
    interface Body {
        long run(GuestThread t) throws Exception;
    }

    private final Kernel kernel;
    private final AtomicLong created = new AtomicLong();

    Threads(Kernel kernel) {
        this.kernel = kernel;
    }

    /** Threads created with pthread_create so far. */
    long created() {
        return created.get();
    }

    /** pthread_create: a new thread of {@code caller}'s process; EAGAIN when no TCS or tid is free. */
    int create(GuestThread caller, io.jocclum.api.ThreadFunction fn) {
        GuestProcess p = caller.process;
        TcsPool.Slot slot = kernel.tcs.acquire();
        int tid;
        try {
            kernel.kernelHeap.charge(KernelHeap.Kind.THREAD);
        } catch (RuntimeException e) {
            kernel.tcs.release(slot);
            throw e;
        }
        try {
            tid = kernel.pids.allocate();
        } catch (RuntimeException e) {
            kernel.kernelHeap.credit(KernelHeap.Kind.THREAD);
            kernel.tcs.release(slot);
            throw e;
        }
        created.incrementAndGet();
        start(p, tid, slot, false, caller.signals.mask(), t -> fn.run(t.sys));
        return tid;
    }

    void start(GuestProcess p, int tid, TcsPool.Slot slot, boolean main, long mask, Body body) {
        GuestThread t = new GuestThread(kernel, p, tid, main, mask);
        t.tcs = slot;
        t.sys = kernel.facades.apply(t);
        if (!p.addThread(t)) {
            kernel.kernelHeap.credit(KernelHeap.Kind.THREAD);
            kernel.tcs.release(slot);
            if (!main) {
                kernel.pids.free(tid);
            }
            throw Errno.EAGAIN.exception(p + " is exiting");
        }
        t.vthread = Thread.ofVirtual().name("guest-" + p.pid + "-" + tid).unstarted(() -> run(t, body));
        if (kernel.gate != null) {
            kernel.gate.admit(t.vthread, p.pid, tid);
        }
        GuestThread.starting();
        try {
            t.vthread.start();
        } catch (RuntimeException | Error e) {
            GuestThread.leaving();
            throw e;
        }
    }

    private void run(GuestThread t, Body body) {
        if (kernel.gate != null) {
            try {
                kernel.gate.enter();
            } catch (RuntimeException | Error e) {
                GuestThread.leaving();
                throw e;
            }
        }
        try {
            runGated(t, body);
        } finally {
            if (kernel.gate != null) {
                kernel.gate.leave();
            }
        }
    }

    private void runGated(GuestThread t, Body body) {
        GuestProcess p = t.process;
        int code = 0;
        long value = 0;
        try {
            kernel.enterEnclave.accept(t.tcs.address());
            value = body.run(t);
            if (t.main) {
                code = (int) value;
                p.exitGroup(code);
            }
            t.setExit(code, value);
        } catch (GuestExit e) {
            synchronized (t) {
                code = t.exitCode;
                value = t.exitValue;
            }
        } catch (StackOverflowError e) {
            report(t, e);
            p.die(Signal.SIGSEGV);
        } catch (OutOfMemoryError e) {
            kernel.heapExhausted(); // the host's choice first: it may end the JVM without allocating
            kernel.hostMemoryExhausted(p.pid);
            p.die(Signal.SIGKILL);
        } catch (HostPagePool.HostMemoryExhausted e) {
            // no host memory for a page of the enclave: what a shmem-backed page gives when memory is gone
            kernel.hostMemoryExhausted(p.pid);
            p.die(Signal.SIGBUS);
        } catch (EnclaveFault e) {
            // entering the enclave failed: its TCS could not be brought back (no EPC)
            p.die(Signal.SIGBUS);
        } catch (Throwable e) {
            report(t, e);
            p.die(Signal.SIGABRT);
        } finally {
            GuestThread.leaving(); // before a joiner can learn of the end
            endThread(t, code, value);
        }
    }

    /** An uncaught exception of guest code, reported on the process's stderr like the JVM's default handler. */
    private void report(GuestThread t, Throwable e) {
        StringBuilder sb = new StringBuilder();
        sb.append(t.process.name()).append('[').append(t.process.pid).append("]: uncaught ").append(e);
        for (StackTraceElement f : e.getStackTrace()) {
            if (!f.getClassName().startsWith("io.jocclum.libos.") && !f.getClassName().startsWith("java.")) {
                sb.append(" (at ").append(f).append(')');
                break;
            }
        }
        sb.append('\n');
        try {
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            FileCalls.write(t.caller, 2, b);
        } catch (RuntimeException ignored) {
            // no stderr: nothing to report to
        }
        LOG.log(System.Logger.Level.DEBUG, () -> t + ": uncaught guest exception " + e);
    }

    private void endThread(GuestThread t, int code, long value) {
        kernel.tcs.release(t.tcs);
        kernel.kernelHeap.credit(KernelHeap.Kind.THREAD);
        GuestProcess p = t.process;
        synchronized (p) {
            // joinable until the process exits; a tid other than the pid stays taken until then or a join
            p.endedThreads.put(t.tid, t);
        }
        // leave the live set before joiners learn of the end: a joiner that then exits is the last thread
        boolean last = p.removeThread(t, code);
        synchronized (t) {
            t.ended = true;
            t.exitCode = code;
            t.exitValue = value;
        }
        t.joiners.wakeAll();
        if (last) {
            kernel.processExited(p);
        }
    }

    /**
     * pthread_join: waits for thread {@code tid} of the caller's process; ERESTARTSYS when a
     * signal interrupts the wait (the façade runs the handler and calls again, never EINTR).
     */
    long join(GuestThread caller, int tid) {
        GuestProcess p = caller.process;
        if (tid == caller.tid) {
            throw Errno.EDEADLK.exception("a thread cannot join itself");
        }
        GuestThread t;
        synchronized (p) {
            t = p.thread(tid);
            if (t == null) {
                t = p.endedThreads.get(tid);
            }
            if (t == null || t.main && tid != p.pid) {
                throw Errno.ESRCH.exception("no thread " + tid + " in " + p);
            }
            if (t.joined && t.joiner != caller) {
                throw Errno.EINVAL.exception("thread " + tid + " is already joined");
            }
            t.joined = true;
            t.joiner = caller;
        }
        Waiter w = caller.waiter;
        for (;;) {
            w.reset();
            WaiterQueue.Node n = t.joiners.enqueue(w);
            try {
                synchronized (t) {
                    if (t.ended) {
                        break;
                    }
                }
                if (caller.signals.interruptPending()) {
                    throw Errno.ERESTARTSYS.exception("join interrupted");
                }
                w.await(kernel.clock, WaitClock.FOREVER);
                if (caller.signals.interruptPending()) {
                    throw Errno.ERESTARTSYS.exception("join interrupted");
                }
            } finally {
                t.joiners.remove(n);
            }
        }
        synchronized (p) {
            if (p.endedThreads.remove(tid) != null && !t.main) {
                kernel.pids.free(tid);
            }
        }
        synchronized (t) {
            return t.exitValue;
        }
    }
}
