/** jocclum dcap module. */
package io.jocclum.dcap;
