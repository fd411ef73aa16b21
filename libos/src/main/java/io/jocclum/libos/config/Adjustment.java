package io.jocclum.libos.config;

/**
 * A value the resolution rules changed compared with what Occlum.json says: raised to an EDMM
 * default, lowered by the TCS-init cap, or replaced because the non-EDMM path uses another key.
 *
 * @param quantity what changed, e.g. "kernel heap Max"
 * @param key      the Occlum.json key whose value the file gave for it
 * @param written  that value (bytes, or a count when {@code bytes} is false)
 * @param resolved the value the build uses
 * @param reason   why, completing "...: REASON."
 */
public record Adjustment(String quantity, String key, long written, long resolved, boolean bytes, String reason) {

    public Adjustment {
        if (written == resolved) {
            throw new IllegalArgumentException("an adjustment must change the value of " + key);
        }
    }

    public boolean raised() {
        return resolved > written;
    }

    @Override
    public String toString() {
        return quantity + (raised() ? " raised" : " lowered") + " from " + show(written) + " (" + key + ") to "
                + show(resolved) + ": " + reason + ".";
    }

    private String show(long v) {
        return bytes ? Sizes.format(v) : Long.toString(v);
    }
}
