package io.jocclum.libos.config;

import java.util.OptionalLong;

/**
 * The {@code resource_limits} section as written (sizes in bytes). The three EDMM additions of
 * the guide are optional: {@code kernel_space_heap_max_size}, {@code user_space_max_size},
 * {@code init_num_of_threads}.
 */
public record ResourceLimits(
        long kernelSpaceStackSize,
        long kernelSpaceHeapSize,
        OptionalLong kernelSpaceHeapMaxSize,
        long userSpaceSize,
        OptionalLong userSpaceMaxSize,
        OptionalLong initNumOfThreads,
        long maxNumOfThreads) {
}
