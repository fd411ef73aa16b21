package io.jocclum.dcap;

/**
 * Collateral that cannot be read: a missing item, JSON that does not parse, a field of the TCB info
 * or QE identity with the wrong type or value, a version that is not supported, or a certificate,
 * chain or CRL that does not decode. {@link #field()} names the collateral item (for example
 * {@code tcb_info} or {@code pck_crl}) and {@link #location()} says where in it: a JSON path such as
 * {@code $.tcbInfo.tcbLevels[2].tcbStatus}, or a file name and byte offset.
 */
public final class CollateralFormatException extends DcapFormatException {
    private final String location;

    /**
     * @param item     the collateral item, e.g. {@code tcb_info}
     * @param location JSON path or file/offset inside the item's source
     * @param problem  what is wrong and what is allowed
     */
    public CollateralFormatException(String item, String location, String problem) {
        this(item, location, problem, null);
    }

    public CollateralFormatException(String item, String location, String problem, Throwable cause) {
        super(item, problem + " (" + item + (location.isEmpty() ? "" : " at " + location) + ")", cause);
        this.location = location;
    }

    /** Where in the item: a JSON path, or a file name and offset; empty for the item as a whole. */
    public String location() {
        return location;
    }
}
