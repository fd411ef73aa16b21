package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Enclave#epcmAt} while the page it looks at is evicted: it reads the page's frame without
 * the enclave lock, so the frame may lose the page (EWB) and be given to another page before the
 * entry is read. It must then answer null (the page was out of the EPC at an instant in between),
 * never another page's entry nor the invalid entry of a free frame; and the page's own entry if
 * the page came back to that frame meanwhile (it is resident in it then).
 *
 * <p>Deterministic interleaving: the test holds the frame's monitor (under which every EPCM update
 * and every snapshot of an entry happens; it is reentrant, so the test thread's own reclaim and
 * loads go on), starts a reader, waits until the reader is blocked on that monitor (it has read
 * the frame), changes the frame, and lets the reader go on.
 */
@ExtendWith(SgxInvariantsExtension.class)
class EpcmAtTest {
    private static final long HEAP = BASE + 0x2000;
    private static final int PAGES = 256;
    private static final int TARGET_INDEX = 5;
    private static final long TARGET = HEAP + TARGET_INDEX * 4096L;

    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(128).build());
    private final EnclaveFd fd = SgxTestSupport.load(p, p.newTask("epcm-at"), SgxTestSupport.image(1 << 21, PAGES));
    private final EnclaveContext ctx = fd.context();
    private final Enclave encl = fd.enclave();

    private static long page(int i) {
        return HEAP + i * 4096L;
    }

    private EnclavePage target() {
        return encl.pages().get(Pages.index(TARGET - encl.base()));
    }

    /**
     * {@code epcmAt(TARGET)} by another thread that has read the page's frame {@code f} and waits
     * for its monitor while {@code change} runs (on this thread, holding the monitor): the
     * reader's answer, the string "null" for null.
     */
    private Object readAcross(Consumer<EpcFrame> change) throws InterruptedException {
        fill();
        EpcFrame f = target().frame;
        assertThat(f).isNotNull();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread reader;
        synchronized (f) {
            reader = Thread.ofPlatform().name("epcmAt reader").start(() -> {
                EpcmEntry e = encl.epcmAt(TARGET);
                result.set(e == null ? "null" : e);
            });
            awaitBlockedOn(reader, f);
            change.accept(f);
        }
        reader.join();
        return result.get();
    }

    /**
     * Waits (spinning, no sleep) until {@code reader} is blocked on the monitor of {@code f}; fails
     * after a minute instead of spinning for ever should the reader block anywhere else.
     */
    private static void awaitBlockedOn(Thread reader, EpcFrame f) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
        for (;;) {
            assertThat(System.nanoTime() - deadline).as("the reader never blocked on the frame's monitor").isNegative();
            assertThat(reader.getState()).as("the reader must wait for the frame").isNotEqualTo(Thread.State.TERMINATED);
            ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(reader.threadId());
            if (info != null && info.getThreadState() == Thread.State.BLOCKED && info.getLockInfo() != null
                    && info.getLockInfo().getIdentityHashCode() == System.identityHashCode(f)) {
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Runs global reclaim until the target page is out of the EPC. */
    private void evictTarget() {
        for (int round = 0; target().frame != null; round++) {
            assertThat(round).as("the page was never evicted").isLessThan(10_000);
            p.controller().reclaimGlobal(null);
        }
    }

    private void fill() {
        for (int i = 0; i < PAGES; i++) {
            ctx.writeLong(page(i), 1000L + i);
        }
        ctx.readLong(TARGET);
        assertThat(encl.epcmAt(TARGET)).isNotNull(); // also loads what the reader runs
    }

    @Test
    void aFrameGivenToAnotherPageMeanwhileGivesNull() throws InterruptedException {
        long[] other = new long[1];
        Object result = readAcross(f -> {
            evictTarget();
            for (int i = 0, round = 0; !f.isValid() || f.linearAddress() == TARGET; i = (i + 1) % PAGES, round++) {
                assertThat(round).as("the frame was never given to another page").isLessThan(100 * PAGES);
                if (page(i) != TARGET) {
                    ctx.readLong(page(i));
                }
            }
            other[0] = f.linearAddress();
        });
        assertThat(other[0]).isNotEqualTo(TARGET);
        assertThat(target().frame).as("still evicted").isNull();
        assertThat(result).as("the entry of page 0x%x in the frame the target page had", other[0]).isEqualTo("null");
    }

    @Test
    void aFrameLeftFreeMeanwhileGivesNull() throws InterruptedException {
        Object result = readAcross(f -> {
            evictTarget();
            assertThat(f.isValid()).as("nothing took the frame yet").isFalse();
        });
        assertThat(result).as("the invalid entry of a free frame").isEqualTo("null");
    }

    @Test
    void aPageThatStaysGivesItsEntry() throws InterruptedException {
        Object result = readAcross(f -> { });
        EpcmEntry now = target().frame.epcmEntry();
        assertThat(now.linaddr()).isEqualTo(TARGET);
        assertThat(result).isEqualTo(now);
    }

    @Test
    void aFrameThatLeftThePageAndGotItBackGivesThePagesEntry() throws InterruptedException {
        EpcFrame[] frame = new EpcFrame[1];
        Object result = readAcross(f -> {
            frame[0] = f;
            boolean other = false;
            for (int round = 0; target().frame != f || !other; round++) {
                assertThat(round).as("the page never came back to the frame after another page").isLessThan(100 * PAGES);
                if (f.isValid() && f.linearAddress() != TARGET) {
                    other = true;
                }
                if (target().frame != null) {
                    evictTarget(); // out again (or out for the first time)
                } else if (!other) {
                    ctx.readLong(page(round % PAGES == TARGET_INDEX ? TARGET_INDEX + 1 : round % PAGES)); // another page may take the frame
                } else if (f.isValid()) {
                    p.controller().reclaimGlobal(null); // until the other page leaves the frame
                } else {
                    ctx.readLong(TARGET); // ELDU into the first free frame
                }
            }
        });
        EpcmEntry now = frame[0].epcmEntry();
        assertThat(now.linaddr()).isEqualTo(TARGET);
        assertThat(result).as("the page's entry, resident again in the same frame").isEqualTo(now);
    }
}
