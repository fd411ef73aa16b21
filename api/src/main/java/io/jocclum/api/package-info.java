/**
 * The stable public API of jocclum guest programs: what a Java program running as a LibOS process
 * may see and call. Errors are Linux errnos ({@link io.jocclum.api.Errno}); constants have their
 * Linux values. Compile guest programs against this module's jar alone.
 */
package io.jocclum.api;
