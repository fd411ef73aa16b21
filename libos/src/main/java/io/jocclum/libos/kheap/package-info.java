/**
 * The LibOS's kernel heap account ({@link io.jocclum.libos.kheap.KernelHeap}): what Occlum's own
 * heap (the SGX SDK heap, HeapInitSize/HeapMaxSize of Enclave.xml) would hold for the LibOS's
 * kernel objects. Uses nothing else of the LibOS.
 */
package io.jocclum.libos.kheap;
