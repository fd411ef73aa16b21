package io.jocclum.sgx.driver;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The driver's ioctl argument checks and errnos (arch/x86/kernel/cpu/sgx/ioctl.c). */
@ExtendWith(SgxInvariantsExtension.class)
class IoctlTest {
    private static final long SIZE = 1 << 20;
    private static final SecInfo RW = SecInfo.reg(SecInfo.R | SecInfo.W);
    private static final MemorySegment PAGES = MemorySegment.ofArray(new byte[8 * 4096]);

    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(1024).build());
    private final HostTask task = p.newTask("ioctl");

    private static void errno(Errno e, Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(ErrnoException.class, x -> assertThat(x.errno()).isEqualTo(e));
    }

    private EnclaveFd created() {
        EnclaveFd fd = p.openEnclave(task);
        fd.create(Secs.forCreate(BASE, SIZE, 1, 0, SgxTestSupport.attributes()).toBytes());
        return fd;
    }

    private static SgxIoctl.AddPages add(long offset, long length, SecInfo si) {
        return new SgxIoctl.AddPages(PAGES, offset, length, si, SgxIoctl.SGX_PAGE_MEASURE);
    }

    @Test
    void ioctlNumbersMatchTheUapi() {
        assertThat(SgxIoctl.SGX_IOC_ENCLAVE_CREATE).isEqualTo(0x4008a400);
        assertThat(SgxIoctl.SGX_IOC_ENCLAVE_ADD_PAGES).isEqualTo(0xc030a401);
        assertThat(SgxIoctl.SGX_IOC_ENCLAVE_INIT).isEqualTo(0x4008a402);
        assertThat(SgxIoctl.SGX_IOC_ENCLAVE_PROVISION).isEqualTo(0x4004a403);
        assertThat(SgxIoctl.SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS).isEqualTo(0xc028a405);
        assertThat(SgxIoctl.SGX_IOC_ENCLAVE_MODIFY_TYPES).isEqualTo(0xc028a406);
        assertThat(SgxIoctl.SGX_IOC_ENCLAVE_REMOVE_PAGES).isEqualTo(0xc018a407);
    }

    @Test
    void unknownCommandWrongArgumentAndConcurrentIoctl() {
        EnclaveFd fd = created();
        errno(Errno.ENOTTY, () -> fd.ioctl(0xdead, null));
        errno(Errno.EFAULT, () -> fd.ioctl(SgxIoctl.SGX_IOC_ENCLAVE_ADD_PAGES, "not a struct"));
        assertThat(fd.enclave().tryBeginIoctl()).isTrue();
        errno(Errno.EBUSY, () -> fd.addPages(add(0, 4096, RW)));
        fd.enclave().endIoctl();
        fd.addPages(add(0, 4096, RW));
        fd.close();
        errno(Errno.EBADF, () -> fd.addPages(add(0x1000, 4096, RW)));
    }

    @Test
    void create() {
        EnclaveFd fd = p.openEnclave(task);
        errno(Errno.EINVAL, () -> fd.create(Secs.forCreate(BASE, 3 * 4096, 1, 0, SgxTestSupport.attributes()).toBytes()));
        errno(Errno.EIO, () -> fd.create(Secs.forCreate(BASE + 4096, SIZE, 1, 0, SgxTestSupport.attributes()).toBytes()));
        errno(Errno.EFAULT, () -> fd.create(new byte[100]));
        fd.create(Secs.forCreate(BASE, SIZE, 1, 0, SgxTestSupport.attributes()).toBytes());
        assertThat(fd.enclave().vaPageCount()).isEqualTo(1);
        assertThat(fd.enclave().isSecsResident()).isTrue();
        errno(Errno.EINVAL, () -> fd.create(Secs.forCreate(BASE, SIZE, 1, 0, SgxTestSupport.attributes()).toBytes()));
        fd.close();
        EnclaveFd never = p.openEnclave(task);
        errno(Errno.EINVAL, () -> never.addPages(add(0, 4096, RW)));
        errno(Errno.EINVAL, () -> never.init(new byte[1808]));
        never.close();
    }

    @Test
    void addPagesArgumentChecks() {
        EnclaveFd fd = created();
        errno(Errno.EINVAL, () -> fd.addPages(add(8, 4096, RW)));
        errno(Errno.EINVAL, () -> fd.addPages(add(0, 0, RW)));
        errno(Errno.EINVAL, () -> fd.addPages(add(0, 100, RW)));
        errno(Errno.EINVAL, () -> fd.addPages(add(SIZE, 4096, RW)));
        errno(Errno.EINVAL, () -> fd.addPages(add(-4096, 8192, RW)));
        errno(Errno.EINVAL, () -> fd.addPages(add(0, 4096, SecInfo.of(PageType.VA, 0))));
        errno(Errno.EINVAL, () -> fd.addPages(add(0, 4096, SecInfo.reg(SecInfo.W))));
        errno(Errno.EINVAL, () -> fd.addPages(add(0, 4096, SecInfo.of(PageType.TCS, SecInfo.R))));
        errno(Errno.EINVAL, () -> fd.addPages(add(0, 4096, new SecInfo(RW.flags() | SecInfo.PENDING))));
        errno(Errno.EFAULT, () -> fd.addPages(add(0, 4096, null)));
        MemorySegment unaligned = Arena.ofAuto().allocate(2 * 4096, 4096).asSlice(16, 4096);
        errno(Errno.EINVAL, () -> fd.addPages(new SgxIoctl.AddPages(unaligned, 0, 4096, RW, 0)));
        SgxIoctl.AddPages bad = add(0, 4096, SecInfo.reg(SecInfo.W));
        bad.count = 77;
        errno(Errno.EINVAL, () -> fd.addPages(bad));
        assertThat(bad.count).as("argument errors do not write the struct back").isEqualTo(77);
        assertThat(fd.enclave().pageCount()).isZero();
    }

    @Test
    void addPagesProgressAndDuplicates() {
        EnclaveFd fd = created();
        SgxIoctl.AddPages a = add(0x2000, 3 * 4096, RW);
        fd.addPages(a);
        assertThat(a.count).isEqualTo(3 * 4096);
        SgxIoctl.AddPages dup = add(0, 4 * 4096, RW);
        errno(Errno.EBUSY, () -> fd.addPages(dup));
        assertThat(dup.count).as("pages before the duplicate were added").isEqualTo(0x2000);
        SgxIoctl.AddPages shortSrc = new SgxIoctl.AddPages(MemorySegment.ofArray(new byte[4096]), 0x10000, 2 * 4096, RW, 0);
        errno(Errno.EFAULT, () -> fd.addPages(shortSrc));
        assertThat(shortSrc.count).isEqualTo(4096);
        assertThat(fd.enclave().pageCount()).isEqualTo(6);
        fd.close();
    }

    @Test
    void addPagesSignals() {
        EnclaveFd fd = created();
        task.kill();
        SgxIoctl.AddPages first = add(0, 2 * 4096, RW);
        errno(Errno.EINTR, () -> fd.addPages(first));
        assertThat(first.count).isZero();
        task.clearSignal();
        task.signalAfter(2);
        SgxIoctl.AddPages partial = add(0, 5 * 4096, RW);
        fd.addPages(partial);
        assertThat(partial.count).as("a signal after two pages returns success with a partial count").isEqualTo(2 * 4096);
        task.clearSignal();
        fd.close();
    }

    @Test
    void initChecks() {
        EnclaveFd fd = created();
        fd.addPages(add(0, 4096, RW));
        SigStruct wrong = SigStruct.unsigned(0, 0, 0, new byte[16], SgxTestSupport.attributes(),
                Attributes.SDK_DEFAULT_MASK, new byte[32], new byte[16], 1, 1).sign(SgxTestSupport.signingKey());
        errno(Errno.EPERM, () -> fd.init(wrong.toBytes()));
        byte[] vendor = wrong.toBytes();
        vendor[16] = 1;
        errno(Errno.EINVAL, () -> fd.init(vendor));
        errno(Errno.EFAULT, () -> fd.init(new byte[10]));
        SigStruct reserved = SigStruct.unsigned(0, 0, 0, new byte[16],
                new Attributes(SgxTestSupport.attributes().flags() | (1L << 3), 3), new Attributes(-1, -1),
                new byte[32], new byte[16], 1, 1).sign(SgxTestSupport.signingKey());
        errno(Errno.EINVAL, () -> fd.init(reserved.toBytes()));
        assertThat(fd.enclave().isInitialized()).isFalse();
        fd.close();

        EnclaveFd ok = SgxTestSupport.load(p, task, SgxTestSupport.image(SIZE, 1));
        errno(Errno.EINVAL, () -> ok.init(new byte[1808]));
        errno(Errno.EINVAL, () -> ok.addPages(add(0x8000, 4096, RW)));
        ok.close();
    }

    @Test
    void provisionKeyNeedsTheProvisionIoctl() {
        EnclaveImage img = new EnclaveImage(BASE, SIZE, 1, SgxTestSupport.attributes().with(Attributes.PROVISIONKEY), 0,
                SgxTestSupport.image(SIZE, 1).segments());
        SigStruct sig = img.sign(SgxTestSupport.signingKey(), 1, 1);
        errno(Errno.EACCES, () -> EnclaveLoader.load(p, task, img, sig));
        EnclaveFd fd = p.openEnclave(task);
        new EnclaveLoader(fd).add(img);
        ProvisionFd closed = p.openProvision(task);
        closed.close();
        errno(Errno.EINVAL, () -> fd.provision(closed));
        fd.provision(p.openProvision(task));
        fd.init(sig.toBytes());
        assertThat(fd.enclave().control().attributes().has(Attributes.PROVISIONKEY)).isTrue();
        fd.close();
    }

    @Test
    void sgx2IoctlsNeedSgx2AndAnInitialisedEnclave() {
        SgxPlatform p1 = SgxTestSupport.platform(SgxTestSupport.config(256).sgx2(false).build());
        EnclaveFd fd1 = SgxTestSupport.load(p1, p1.newTask("sgx1"), SgxTestSupport.image(SIZE, 2));
        errno(Errno.ENODEV, () -> fd1.restrictPermissions(new SgxIoctl.RestrictPermissions(0x2000, 4096, SecInfo.R)));
        errno(Errno.ENODEV, () -> fd1.modifyTypes(new SgxIoctl.ModifyTypes(0x2000, 4096, PageType.TRIM.encoding())));
        errno(Errno.ENODEV, () -> fd1.removePages(new SgxIoctl.RemovePages(0x2000, 4096)));
        fd1.close();

        EnclaveFd notInit = created();
        errno(Errno.EINVAL, () -> notInit.restrictPermissions(new SgxIoctl.RestrictPermissions(0, 4096, SecInfo.R)));
        notInit.close();
    }

    @Test
    void restrictPermissions() {
        EnclaveFd fd = SgxTestSupport.load(p, task, SgxTestSupport.image(SIZE, 4));
        errno(Errno.EINVAL, () -> fd.restrictPermissions(new SgxIoctl.RestrictPermissions(0x2000, 4096, SecInfo.W)));
        errno(Errno.EINVAL, () -> fd.restrictPermissions(new SgxIoctl.RestrictPermissions(0x2000, 4096, 8)));
        errno(Errno.EINVAL, () -> fd.restrictPermissions(new SgxIoctl.RestrictPermissions(0x2001, 4096, SecInfo.R)));
        SgxIoctl.RestrictPermissions dirty = new SgxIoctl.RestrictPermissions(0x2000, 4096, SecInfo.R);
        dirty.count = 1;
        errno(Errno.EINVAL, () -> fd.restrictPermissions(dirty));
        SgxIoctl.RestrictPermissions tcs = new SgxIoctl.RestrictPermissions(0, 2 * 4096, SecInfo.R);
        errno(Errno.EINVAL, () -> fd.restrictPermissions(tcs));
        assertThat(tcs.count).as("the TCS page is not PT_REG").isZero();
        SgxIoctl.RestrictPermissions missing = new SgxIoctl.RestrictPermissions(0x2000, 8 * 4096, SecInfo.R);
        errno(Errno.EFAULT, () -> fd.restrictPermissions(missing));
        assertThat(missing.count).as("stops at the first absent page").isEqualTo(4 * 4096);
        EnclaveContext ctx = fd.context();
        assertThat(fd.enclave().epcmAt(BASE + 0x2000).pr()).isTrue();
        assertThat(ctx.eaccept(BASE + 0x2000, SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR))).isZero();
        // an EAUGed page that is still PENDING: EMODPR reports SGX_PAGE_NOT_MODIFIABLE in result
        assertThatThrownBy(() -> ctx.readByte(BASE + 0x20000))
                .isInstanceOfSatisfying(io.jocclum.sgx.cpu.EnclaveFault.class,
                        f -> assertThat(f.kind()).isEqualTo(io.jocclum.sgx.cpu.EnclaveFault.Kind.PAGE_FAULT));
        SgxIoctl.RestrictPermissions pending = new SgxIoctl.RestrictPermissions(0x20000, 4096, SecInfo.R);
        errno(Errno.EFAULT, () -> fd.restrictPermissions(pending));
        assertThat(pending.result).isEqualTo(20); // SGX_PAGE_NOT_MODIFIABLE
        assertThat(pending.count).isZero();
        fd.close();
    }

    @Test
    void modifyTypesAndRemovePages() {
        EnclaveFd fd = SgxTestSupport.load(p, task, SgxTestSupport.image(SIZE, 4));
        EnclaveContext ctx = fd.context();
        errno(Errno.EINVAL, () -> fd.modifyTypes(new SgxIoctl.ModifyTypes(0x2000, 4096, PageType.REG.encoding())));
        errno(Errno.EINVAL, () -> fd.modifyTypes(new SgxIoctl.ModifyTypes(0x2000, 4096, 0x104)));
        errno(Errno.EINVAL, () -> fd.modifyTypes(new SgxIoctl.ModifyTypes(0, 4096, PageType.TCS.encoding()))); // TCS -> TCS
        errno(Errno.EPERM, () -> fd.modifyTypes(new SgxIoctl.ModifyTypes(0x1000, 4096, PageType.TCS.encoding()))); // RX page
        errno(Errno.EPERM, () -> fd.removePages(new SgxIoctl.RemovePages(0x2000, 4096)));   // not trimmed
        SgxIoctl.ModifyTypes trim = new SgxIoctl.ModifyTypes(0x2000, 2 * 4096, PageType.TRIM.encoding());
        fd.modifyTypes(trim);
        assertThat(trim.count).isEqualTo(2 * 4096);
        errno(Errno.EPERM, () -> fd.removePages(new SgxIoctl.RemovePages(0x2000, 4096)));   // not yet accepted
        errno(Errno.EINVAL, () -> fd.modifyTypes(new SgxIoctl.ModifyTypes(0x2000, 4096, PageType.TRIM.encoding())));
        assertThat(ctx.eaccept(BASE + 0x2000, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
        assertThat(ctx.eaccept(BASE + 0x3000, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
        long free = p.epcManager().allocator().freePages();
        SgxIoctl.RemovePages rm = new SgxIoctl.RemovePages(0x2000, 2 * 4096);
        fd.removePages(rm);
        assertThat(rm.count).isEqualTo(2 * 4096);
        assertThat(p.epcManager().allocator().freePages()).isEqualTo(free + 2);
        assertThat(fd.enclave().hasPage(BASE + 0x2000)).isFalse();
        SgxIoctl.RemovePages dirty = new SgxIoctl.RemovePages(0x4000, 4096);
        dirty.count = 4096;
        errno(Errno.EINVAL, () -> fd.removePages(dirty));
        errno(Errno.EFAULT, () -> fd.removePages(new SgxIoctl.RemovePages(0x2000, 4096)));   // gone
        fd.close();
    }
}
