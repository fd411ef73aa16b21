package io.jocclum.sgx.cgroup;

/**
 * The memory-cgroup OOM killer hook: called when a charge (or a {@code memory.max} write) finds
 * {@code memcg} over its limit with nothing reclaimable. The implementation chooses a victim in
 * {@code memcg}'s subtree, starts killing it and returns it, or returns {@code null} if nothing was
 * killed. Killing is asynchronous in the model: the victim's memory comes back when it actually
 * exits, so the charge that triggered the OOM still fails with ENOMEM. The default kills nothing.
 */
@FunctionalInterface
public interface OomKiller {
    /** Kills a task of {@code memcg}'s subtree and returns it, or returns {@code null}. */
    HostTask kill(MemCgroup memcg);
}
