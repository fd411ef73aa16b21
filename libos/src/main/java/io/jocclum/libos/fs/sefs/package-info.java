/**
 * SEFS, Occlum's encrypted file system, as the LibOS stores it on the host: a directory holding
 * one sealed {@code metadata} file (the inode table) and one sealed data file per inode, named by
 * 32 hex digits. {@link io.jocclum.libos.fs.sefs.Sealer} seals one host file (AES-GCM, or a GMAC
 * over plaintext in integrity-only mode), {@link io.jocclum.libos.fs.sefs.SefsKey} says how a
 * SEFS is protected (Occlum's four key modes), {@link io.jocclum.libos.fs.sefs.SefsStore} is the
 * file system itself (inodes, directories, contents, write-back, the root MAC) and
 * {@link io.jocclum.libos.fs.sefs.SefsImage} builds an image SEFS from a host directory.
 * {@link io.jocclum.libos.fs.sefs.ImageKey} reads and writes Occlum's key and MAC text format.
 * See docs/filesystem.md.
 */
package io.jocclum.libos.fs.sefs;
