/**
 * Black-box tests of the running LibOS: guest programs written as test code run through the same
 * machinery as {@code jocclum run} (a built instance booted on the simulated platform), with the
 * invariant checker of the whole stack after every test. See {@link io.jocclum.libos.os.OsTestBase}.
 */
package io.jocclum.libos.os;
