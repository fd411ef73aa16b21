package io.jocclum.libos.replay;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StraceReaderTest {
    private static StraceReader read(int filePid, String... lines) throws IOException {
        return new StraceReader().read(new BufferedReader(new StringReader(String.join("\n", lines))), filePid);
    }

    private static TraceEvent.Call call(TraceEvent e) {
        assertThat(e).isInstanceOf(TraceEvent.Call.class);
        return (TraceEvent.Call) e;
    }

    @Test
    void unfinishedAndResumedHalvesAreJoinedPerThreadAcrossOtherThreadsLines() throws IOException {
        StraceReader r = read(0,
                "100   12:00:00.000001 read(3,  <unfinished ...>",
                "101   12:00:00.000002 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>",
                "100   12:00:00.000003 <... read resumed>\"abc\", 10) = 3 <0.000020>",
                "101   12:00:00.000004 <... mmap resumed>) = 0x7f0000000000 <0.000010>");
        List<TraceEvent> ev = r.events();
        assertThat(ev).hasSize(2);
        TraceEvent.Call read = call(ev.get(0));
        assertThat(read.line()).isEqualTo(3);
        assertThat(read.tid()).isEqualTo(100);
        assertThat(read.name()).isEqualTo("read");
        assertThat(read.args()).containsExactly("3", "\"abc\"", "10");
        assertThat(read.result()).isEqualTo(3);
        TraceEvent.Call mmap = call(ev.get(1));
        assertThat(mmap.tid()).isEqualTo(101);
        assertThat(mmap.line()).isEqualTo(4);
        assertThat(mmap.args()).hasSize(6);
        assertThat(mmap.number(1)).isEqualTo(4096);
        assertThat(mmap.result()).isEqualTo(0x7f0000000000L);
        assertThat(r.truncated()).isZero();
        assertThat(r.lines()).isEqualTo(4);
    }

    @Test
    void signalsAndStraceMessagesAreSkippedAndCounted() throws IOException {
        StraceReader r = read(0,
                "strace: Process 201 attached",
                "200   12:00:00.000001 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=201} ---",
                "201   12:00:00.000002 --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---",
                "200   12:00:00.000003 brk(NULL) = 0x5000 <0.000001>");
        assertThat(r.skipped()).containsEntry("signal", 2).containsEntry("strace message", 1);
        assertThat(r.skipped().keySet()).containsExactly("signal", "strace message");
        assertThat(r.events()).hasSize(1);
        assertThat(call(r.events().getFirst()).line()).isEqualTo(4);
    }

    @Test
    void exitsAndKillsAreEvents() throws IOException {
        List<TraceEvent> ev = read(0,
                "300   12:00:00.000001 exit_group(3) = ?",
                "300   12:00:00.000002 +++ exited with 3 +++",
                "301   12:00:00.000003 +++ killed by SIGKILL +++",
                "302   12:00:00.000004 +++ killed by SIGSEGV (core dumped) +++").events();
        assertThat(ev).hasSize(4);
        assertThat(call(ev.get(0)).result()).isNull();
        assertThat(call(ev.get(0)).succeeded()).isFalse();
        assertThat(ev.get(1)).isEqualTo(new TraceEvent.Exited(2, 300, 3));
        assertThat(ev.get(2)).isEqualTo(new TraceEvent.Killed(3, 301, "SIGKILL"));
        assertThat(ev.get(3)).isEqualTo(new TraceEvent.Killed(4, 302, "SIGSEGV"));
    }

    @Test
    void epochTimestampsNoTimestampsAndThePidPrefixFormAreRead() throws IOException {
        List<TraceEvent> ev = read(0,
                "400   1700000000.123456 brk(NULL) = 0x5000 <0.000010>",
                "[pid  401] munmap(0x7f0000000000, 8192) = 0",
                "[pid 402] 12:00:00 mprotect(0x7f0000000000, 4096, PROT_READ) = 0").events();
        assertThat(ev).extracting(TraceEvent::tid).containsExactly(400, 401, 402);
        assertThat(ev).extracting(e -> call(e).name()).containsExactly("brk", "munmap", "mprotect");
        List<TraceEvent> ff = read(7, "brk(NULL)                               = 0x5000",
                "mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000").events();
        assertThat(ff).extracting(TraceEvent::tid).containsExactly(7, 7);
        assertThat(call(ff.get(1)).result()).isEqualTo(0x7f0000001000L);
    }

    @Test
    void aCallReadInPlaceAfterItsPrefixesIsTheCallWithoutThem() throws IOException {
        List<String> calls = List.of("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000",
                "openat(AT_FDCWD, \"/a(b\", O_RDONLY /* x */) = -1 ENOENT (No such file or directory) <0.000011>",
                "exit_group(0) = ?", "brk(NULL) = 0x5000 <0.000001>", "wait4(-1, 0x7ffd, 0, NULL) = 12 (x) <0.2>");
        List<String> prefixes = List.of("", "500 ", "[pid  500] ", "500   12:00:00.000001 ", "[pid 500] 1700000000.5 ");
        for (String c : calls) {
            TraceEvent.Call plain = call(read(500, c).events().getFirst());
            for (String p : prefixes) {
                TraceEvent.Call got = call(read(500, p + c).events().getFirst());
                assertThat(List.of(got.tid(), got.name(), List.copyOf(got.args()), String.valueOf(got.result()), String.valueOf(got.errno())))
                        .as(p + c).isEqualTo(List.of(500, plain.name(), List.copyOf(plain.args()), String.valueOf(plain.result()),
                                String.valueOf(plain.errno())));
            }
        }
    }

    @Test
    void aFailedCallKeepsItsErrno() throws IOException {
        TraceEvent.Call c = call(read(0, "9 openat(AT_FDCWD, \"/x\", O_RDONLY) = -1 ENOENT (No such file or directory) <0.1>")
                .events().getFirst());
        assertThat(c.result()).isEqualTo(-1);
        assertThat(c.errno()).isEqualTo("ENOENT");
        assertThat(c.succeeded()).isFalse();
    }

    @Test
    void aResumedHalfOfAnotherCallIsAnErrorWithItsLine() {
        assertThatThrownBy(() -> read(0,
                "100 read(3, <unfinished ...>",
                "101 brk(NULL) = 0x5000",
                "100 <... write resumed>\"x\", 1) = 1",
                "100 brk(NULL) = 0x5000"))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(3))
                .hasMessageContaining("line 3").hasMessageContaining("write resumed").hasMessageContaining("line 1");
    }

    @Test
    void aSecondUnfinishedCallOnOneThreadIsAnErrorWithItsLine() {
        assertThatThrownBy(() -> read(0,
                "100 read(3, <unfinished ...>",
                "100 write(1, \"x\", 1 <unfinished ...>",
                "100 brk(NULL) = 0x5000"))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("thread 100 starts write while its read (line 1) is unfinished");
    }

    @Test
    void garbageIsAnErrorWithItsLineButAGarbledLastLineIsATruncation() throws IOException {
        assertThatThrownBy(() -> read(0, "100 brk(NULL) = 0x5000", "hello world", "100 brk(NULL) = 0x5000"))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("not a line of strace output");
        assertThatThrownBy(() -> read(0, "100 brk(NULL) = 0x5000", "100 brk(NULL) = banana", "100 exit(0) = ?"))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(2))
                .hasMessageContaining("brk has no result");
        assertThatThrownBy(() -> read(0, "100 brk(NULL) = 0x5000", "100 +++ exited oddly +++", "100 exit(0) = ?"))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(2));
        StraceReader r = read(0, "100 brk(NULL) = 0x5000", "hello world");
        assertThat(r.events()).hasSize(1);
        assertThat(r.truncated()).isEqualTo(1);
    }

    @Test
    void aLastLineCutShortAndCallsLeftUnfinishedAreCountedAsTruncated() throws IOException {
        StraceReader cut = read(0, "100 brk(NULL) = 0x5000", "100 12:00:00.1 mmap(NULL, 4096, PROT_RE");
        assertThat(cut.events()).hasSize(1);
        assertThat(cut.truncated()).isEqualTo(1);
        StraceReader noResult = read(0, "100 brk(NULL) = 0x5000", "100 munmap(0x7f0000000000, 4096) =");
        assertThat(noResult.truncated()).isEqualTo(1);
        StraceReader pending = read(0, "100 read(3, <unfinished ...>", "101 wait4(-1,  <unfinished ...>",
                "102 brk(NULL) = 0x5000");
        assertThat(pending.events()).hasSize(1);
        assertThat(pending.truncated()).isEqualTo(2);
        assertThatThrownBy(() -> read(0, "100 mmap(NULL, 4096, PROT_RE", "100 brk(NULL) = 0x5000"))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(1))
                .hasMessageContaining("argument list does not end");
    }

    @Test
    void argumentsSplitOnlyAtTopLevelCommasOutsideStringsAndWithoutComments() {
        assertThat(Syntax.splitArgs("3, \"a,b(c]\\\"d,\", [1, 2], {x=1, y=[3, 4]}, 0x10 /* 16, entries */"))
                .containsExactly("3", "\"a,b(c]\\\"d,\"", "[1, 2]", "{x=1, y=[3, 4]}", "0x10");
        assertThat(Syntax.splitArgs("\"./mt\", [\"./mt\"], 0x7ffc41f92008 /* 39 vars */"))
                .containsExactly("\"./mt\"", "[\"./mt\"]", "0x7ffc41f92008");
        assertThat(Syntax.splitArgs("")).isEmpty();
        assertThat(Syntax.splitArgs("NULL")).containsExactly("NULL");
        assertThat(Syntax.splitArgs("1, ")).containsExactly("1", "");
    }

    @Test
    void numbersAndFlagsAreReadAsStracePrintsThem() {
        assertThat(Syntax.number("0x7f00", 1, "x")).isEqualTo(0x7f00);
        assertThat(Syntax.number("0644", 1, "x")).isEqualTo(0644);
        assertThat(Syntax.number("NULL", 1, "x")).isZero();
        assertThat(Syntax.number("-1", 1, "x")).isEqualTo(-1);
        assertThatThrownBy(() -> Syntax.number("12z", 5, "len"))
                .isInstanceOfSatisfying(TraceFormatException.class, e -> assertThat(e.line()).isEqualTo(5))
                .hasMessage("line 5: len '12z' is not a number");
        assertThat(Syntax.flags("PROT_READ|PROT_WRITE|0x100|PROT_UNKNOWN", Replay.PROT, 1, "prot"))
                .isEqualTo(io.jocclum.api.Mman.PROT_READ | io.jocclum.api.Mman.PROT_WRITE | 0x100);
    }
}
