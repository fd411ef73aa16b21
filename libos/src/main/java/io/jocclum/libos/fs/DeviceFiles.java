package io.jocclum.libos.fs;

import io.jocclum.api.Stat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.random.RandomGenerator;

/** Open files of the character devices of {@link DevFs} (drivers/char/mem.c, random.c). */
final class DeviceFiles {
    private DeviceFiles() {
    }

    enum Kind { NULL, ZERO, URANDOM }

    /**
     * /dev/null reads EOF and swallows writes; /dev/zero reads zeros and swallows writes;
     * /dev/urandom reads bytes of the LibOS's seeded random generator (shared, so guarded by
     * itself) and swallows writes (Linux mixes them into the pool). Seeking always yields 0.
     */
    static final class DeviceFile extends OpenFile {
        private final Kind kind;
        private final java.util.function.Supplier<Stat> stat;
        private final RandomGenerator random;

        DeviceFile(Kind kind, int flags, java.util.function.Supplier<Stat> stat, RandomGenerator random) {
            super(flags);
            this.kind = kind;
            this.stat = stat;
            this.random = random;
        }

        @Override
        protected int doRead(Caller caller, ByteBuffer dst) {
            int n = dst.remaining();
            switch (kind) {
                case NULL -> {
                    return 0;
                }
                case ZERO -> MemFs.putZeros(dst, n);
                case URANDOM -> fillRandom(dst, n);
            }
            return n;
        }

        private void fillRandom(ByteBuffer dst, int n) {
            ByteOrder saved = dst.order();
            synchronized (random) {
                int i = 0;
                dst.order(ByteOrder.LITTLE_ENDIAN);
                for (; i + 8 <= n; i += 8) {
                    dst.putLong(random.nextLong());
                }
                if (i < n) {
                    long r = random.nextLong();
                    for (; i < n; i++) {
                        dst.put((byte) r);
                        r >>>= 8;
                    }
                }
            }
            dst.order(saved);
        }

        @Override
        protected int doWrite(Caller caller, ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        protected boolean isSeekable() {
            return true;
        }

        @Override
        protected int doPread(Caller caller, ByteBuffer dst, long offset) {
            return doRead(caller, dst);
        }

        @Override
        protected int doPwrite(Caller caller, ByteBuffer src, long offset) {
            return doWrite(caller, src);
        }

        @Override
        public long lseek(long offset, int whence) {
            return 0;
        }

        @Override
        public boolean discardsWrites() {
            return kind != Kind.URANDOM;
        }

        @Override
        public boolean mapsAnonymous() {
            return kind == Kind.ZERO;
        }

        @Override
        public Stat fstat() {
            return stat.get();
        }

        @Override
        public String toString() {
            return "/dev/" + kind.name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
