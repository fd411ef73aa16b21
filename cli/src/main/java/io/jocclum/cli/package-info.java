/** jocclum cli module. */
package io.jocclum.cli;
