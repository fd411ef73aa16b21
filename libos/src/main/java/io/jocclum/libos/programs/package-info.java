/**
 * Programs of the LibOS: how a path becomes something a process can run. Built-in programs are
 * registered under {@code /bin} ({@link io.jocclum.libos.programs.ProgramRegistry}); user programs
 * are jar files of the image read through the LibOS file system, whose entry class is named by the
 * {@code Jocclum-Main-Class} manifest attribute and defined by a class loader of their own
 * ({@link io.jocclum.libos.programs.JarProgram}). The built-ins ({@code hello}, {@code memtest},
 * {@code spawntest}, {@code pipebench}, {@code epollecho}) are ordinary guest programs: they use only {@code io.jocclum.api}.
 */
package io.jocclum.libos.programs;
