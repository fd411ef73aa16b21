package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cpu.EnclaveContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The VM issues the EDMM leaves with the operands the SGX SDK's enclave memory manager uses
 * ({@code sdk/emm/ema.c}): EACCEPT of an EAUGed page with PT_REG|RW|PENDING; EACCEPTCOPY with the
 * final attributes PT_REG|prot and no state bit; EMODPE with PT_REG|prot; EACCEPT after EMODPR
 * with PT_REG|prot|PR; EMODT to PT_TRIM then EACCEPT with PT_TRIM|MODIFIED. Recorded between the
 * VM and the platform, on the fake and on the simulated SGX platform (which must accept them all).
 */
@ParameterizedClass
@EnumSource(value = Platform.class, names = {"FAKE_EDMM", "REAL_EDMM"})
class SdkSecinfoTest extends VmTestBase {
    private final List<String> calls = new ArrayList<>();

    @Override
    EnclaveContext interpose(EnclaveContext c) {
        return (EnclaveContext) Proxy.newProxyInstance(EnclaveContext.class.getClassLoader(), new Class<?>[] {EnclaveContext.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("eacceptRange") || m.getName().equals("eacceptcopyRange")
                            || m.getName().equals("emodpeRange")) {
                        // the interface's loop of single-page leaves, through this proxy, so that each page's leaf is seen
                        return InvocationHandler.invokeDefault(proxy, m, args);
                    }
                    switch (m.getName()) {
                        case "eaccept", "eacceptcopy", "emodpe" -> calls.add(m.getName() + " " + args[1]);
                        case "restrictPermissions" -> calls.add("EMODPR " + SecInfo.permString((Long) args[2]));
                        case "modifyTypes" -> calls.add("EMODT " + args[2]);
                        default -> {
                        }
                    }
                    try {
                        return m.invoke(c, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static String si(PageType t, long perms, long state) {
        return SecInfo.of(t, perms, state).toString();
    }

    @Test
    void commitPermissionChangesAndTrimUseTheSdksSecinfo() {
        long r = vm.mmap(0, 2 * MB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        assertThat(platform.layout().regionOf(r)).isEqualTo(UserMemoryKind.USER_REGION);
        calls.clear();
        mem.readByte(r);
        assertThat(calls).containsExactly("eacceptcopy " + si(PageType.REG, SecInfo.R, 0));
        calls.clear();
        vm.mprotect(r, 2 * MB, PROT_READ | PROT_WRITE);
        assertThat(calls).containsExactly("emodpe " + si(PageType.REG, SecInfo.R | SecInfo.W, 0));
        calls.clear();
        mem.writeByte(r + PAGE, (byte) 1);
        assertThat(calls).containsExactly("eaccept " + si(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING));
        calls.clear();
        vm.mprotect(r, 2 * MB, PROT_NONE);
        assertThat(calls).as("PROT_NONE is EPCM permissions 0: EMODPR allows it (only W without R is #GP)")
                .containsExactly("EMODPR ---", "eaccept " + si(PageType.REG, 0, SecInfo.PR), "eaccept " + si(PageType.REG, 0, SecInfo.PR));
        calls.clear();
        vm.munmap(r, 2 * MB);
        assertThat(calls).as("a 2 MB unmap gives its pages back (EMODT clears the permissions: no EMODPE first)")
                .containsExactly("EMODT TRIM", "eaccept " + si(PageType.TRIM, 0, SecInfo.MODIFIED), "eaccept " + si(PageType.TRIM, 0, SecInfo.MODIFIED));
    }
}
