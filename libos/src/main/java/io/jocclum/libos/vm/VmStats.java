package io.jocclum.libos.vm;

/**
 * A snapshot of one user space's counters and occupancy.
 *
 * @param faults                EDMM page faults handled by committing pages
 * @param spuriousFaults        faults on pages another thread had just committed
 * @param pagesCommittedOnFault user-region pages committed by faults (EAUG + EACCEPT/EACCEPTCOPY)
 * @param pagesCommittedEagerly user-region pages committed at map time (stack, file mappings, MAP_POPULATE, mremap copies, bulk accesses)
 * @param committedPages        user-region pages committed now
 * @param pagesTrimmed          pages given back (EMODT TRIM + EACCEPT + EREMOVE)
 * @param trimRuns              contiguous runs given back (2 OCALLs each)
 * @param permChangePages       pages whose EPCM permissions changed (EMODPR + EACCEPT and/or EMODPE)
 * @param bytesZeroed           bytes zeroed to keep freed memory clean
 * @param bytesWrittenBack      bytes written back to files from shared mappings
 * @param bytesFilledFromFiles  bytes read from files into mappings
 * @param chunksCreated         multi-VMA chunks taken from the global free space
 * @param chunksReleased        multi-VMA chunks given back to it
 * @param liveChunks            chunks now indexed (all kinds)
 * @param liveVmas              VMAs of all live processes
 * @param freeBytes             bytes of user space in no chunk
 * @param signals               guest accesses that ended in SIGSEGV or SIGBUS
 */
public record VmStats(long faults, long spuriousFaults, long pagesCommittedOnFault, long pagesCommittedEagerly,
                      long committedPages, long pagesTrimmed, long trimRuns, long permChangePages, long bytesZeroed,
                      long bytesWrittenBack, long bytesFilledFromFiles, long chunksCreated, long chunksReleased,
                      long liveChunks, long liveVmas, long freeBytes, long signals) {
}
