package io.jocclum.dcap.pki;

import javax.security.auth.x500.X500Principal;
import java.util.ArrayList;
import java.util.List;

/** Common names of X.500 distinguished names. */
public final class Names {
    private Names() {
    }

    /** The CN values of {@code p} (usually one), most significant first. */
    public static List<String> commonNames(X500Principal p) {
        List<String> cns = new ArrayList<>();
        try {
            javax.naming.ldap.LdapName n = new javax.naming.ldap.LdapName(p.getName(X500Principal.RFC2253));
            for (javax.naming.ldap.Rdn r : n.getRdns()) {
                if (r.getType().equalsIgnoreCase("CN")) {
                    cns.add(String.valueOf(r.getValue()));
                }
            }
        } catch (javax.naming.InvalidNameException | RuntimeException e) {
            return List.of();
        }
        return cns;
    }

    /** True when a CN of {@code p} contains {@code phrase}. */
    public static boolean cnContains(X500Principal p, String phrase) {
        for (String cn : commonNames(p)) {
            if (cn.contains(phrase)) {
                return true;
            }
        }
        return false;
    }

    /** The first CN, or the whole name when there is none. */
    public static String cn(X500Principal p) {
        List<String> c = commonNames(p);
        return c.isEmpty() ? p.getName() : c.getFirst();
    }
}
