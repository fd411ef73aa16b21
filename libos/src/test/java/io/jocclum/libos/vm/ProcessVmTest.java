package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Process memory at spawn and exit, brk, and small mappings of several processes sharing chunks. */
@ParameterizedClass
@EnumSource(Platform.class)
class ProcessVmTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    @Test
    void spawnBuildsImagesHeapAndStack() {
        byte[] code = new byte[5000];
        for (int i = 0; i < code.length; i++) {
            code[i] = (byte) (i * 7);
        }
        ByteArrayFile exe = ByteArrayFile.of(code);
        ProcessVm p = space.createProcess(9, new ProcessVmSpec(MB, 64 * 1024, List.of(
                new ProcessVmSpec.ImageSpec("prog", 3 * PAGE + 5, PROT_READ | PROT_WRITE | PROT_EXEC, exe, 0, code.length))));
        GuestMemory m = p.memory(AccessMode.USER);
        List<Mapping> maps = p.mappings();
        Mapping img = maps.stream().filter(x -> x.kind().equals("image")).findFirst().orElseThrow();
        assertThat(img.size()).isEqualTo(4 * PAGE);
        byte[] got = new byte[code.length];
        m.read(img.start(), got, 0, got.length);
        assertThat(got).isEqualTo(code);
        assertThat(m.readLong(img.end() - 8)).isZero();
        Mapping stack = maps.stream().filter(x -> x.kind().equals("stack")).findFirst().orElseThrow();
        assertThat(stack.end()).isEqualTo(p.stackEnd());
        assertThat(stack.flags() & MAP_GROWSDOWN).isNotZero();
        m.writeLong(p.stackEnd() - 8, 5);
        assertThat(p.currentBrk()).isEqualTo(p.heapStart());
        assertThat(signal(() -> m.readByte(p.heapStart())).code()).as("nothing above brk").isEqualTo(GuestSignal.SEGV_MAPERR);
        p.exit();
        assertThat(p.exited()).isTrue();
    }

    @Test
    void spawnThatDoesNotFitFailsWithEnomemAndLeavesNothing() {
        long free = space.stats().freeBytes();
        long huge = platform.layout().totalSize();
        assertThat(errno(() -> space.createProcess(5, new ProcessVmSpec(PAGE, huge, List.of())))).isEqualTo(Errno.ENOMEM);
        assertThat(space.process(5)).isNull();
        assertThat(space.stats().freeBytes()).isEqualTo(free);
        assertThat(space.createProcess(5, spec())).isNotNull();
    }

    @Test
    void brkGrowsAndShrinksWithLinuxSemantics() {
        long start = vm.heapStart();
        assertThat(vm.brk(start + 10)).isEqualTo(start + 10);
        mem.writeByte(start + PAGE - 1, (byte) 1);
        assertThat(signal(() -> mem.readByte(start + PAGE)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
        assertThat(vm.brk(start + 3 * PAGE)).isEqualTo(start + 3 * PAGE);
        mem.writeByte(start + 3 * PAGE - 1, (byte) 2);
        assertThat(mappingAt(start).end()).as("one heap VMA").isEqualTo(start + 3 * PAGE);
        assertThat(mappingAt(start).kind()).isEqualTo("heap");
        assertThat(vm.brk(start + PAGE)).isEqualTo(start + PAGE);
        assertThat(signal(() -> mem.readByte(start + PAGE)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
        assertThat(vm.brk(start + 3 * PAGE)).isEqualTo(start + 3 * PAGE);
        assertThat(mem.readByte(start + 3 * PAGE - 1)).as("a regrown heap is zero").isZero();
        // a mapping placed inside the reservation stops brk from growing into it
        long fixed = vm.mmap(start + 8 * PAGE, PAGE, RW, ANON | MAP_FIXED, null, 0);
        assertThat(fixed).isEqualTo(start + 8 * PAGE);
        assertThat(vm.brk(start + 10 * PAGE)).isEqualTo(start + 3 * PAGE);
        assertThat(vm.brk(start + 8 * PAGE)).as("no room for the guard page (mm/mmap.c brk)").isEqualTo(start + 3 * PAGE);
        assertThat(vm.brk(start + 7 * PAGE)).isEqualTo(start + 7 * PAGE);
        // shrinking below the mapping unmaps whatever lies there, like Linux
        assertThat(vm.brk(start)).isEqualTo(start);
        assertThat(mappingAt(start)).isNull();
        assertThat(mappingAt(fixed)).isNotNull();
    }

    @Test
    void smallMappingsOfSeveralProcessesShareChunksAndExitFreesOnlyTheExitingOnes() {
        ProcessVm p2 = space.createProcess(2, spec());
        ProcessVm p3 = space.createProcess(3, spec());
        long a1 = anon(PAGE);
        long a2 = p2.mmap(0, PAGE, RW, ANON, null, 0);
        long a3 = p3.mmap(0, PAGE, RW, ANON, null, 0);
        p2.memory(AccessMode.USER).writeInt(a2, 2);
        p3.memory(AccessMode.USER).writeInt(a3, 3);
        checkAll();
        long chunks = space.stats().liveChunks();
        p2.exit();
        assertThat(p3.memory(AccessMode.USER).readInt(a3)).isEqualTo(3);
        assertThat(mappingAt(a1)).isNotNull();
        // the exited process's pages are free and clean; survivors can map there
        long again = p3.mmap(a2, PAGE, RW, ANON | MAP_FIXED, null, 0);
        assertThat(p3.memory(AccessMode.USER).readInt(again)).isZero();
        assertThat(space.stats().liveChunks()).isLessThan(chunks);
    }

    @Test
    void exitedProcessesRejectFurtherCalls() {
        ProcessVm p = space.createProcess(4, spec());
        p.exit();
        p.exit();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.mmap(0, PAGE, RW, ANON, null, 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("process 4");
        assertThat(signal(() -> p.memory(AccessMode.USER).readInt(p.stackStart())).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> space.createProcess(1, spec())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void map32bitFailsWhenNoUserSpaceLiesBelowTwoGigabytes() {
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, ANON | MAP_32BIT, null, 0))).isEqualTo(Errno.ENOMEM);
    }
}
