/** jocclum libos module. */
package io.jocclum.libos;
