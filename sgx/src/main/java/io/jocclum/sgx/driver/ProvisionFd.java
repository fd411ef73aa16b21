package io.jocclum.sgx.driver;

/** An open {@code /dev/sgx_provision}: passing it to SGX_IOC_ENCLAVE_PROVISION allows ATTRIBUTES.PROVISIONKEY. */
public final class ProvisionFd implements AutoCloseable {
    private volatile boolean open = true;

    ProvisionFd() {
    }

    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
