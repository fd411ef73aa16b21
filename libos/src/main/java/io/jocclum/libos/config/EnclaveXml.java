package io.jocclum.libos.config;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import javax.xml.stream.XMLStreamWriter;
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * build/Enclave.xml: the SGX SDK enclave configuration Occlum's generator writes for the signer.
 * Root {@code EnclaveConfiguration}, one element per value in the fixed order of config-edmm.md,
 * decimal numbers except MiscMask, which Occlum writes as {@code 0xFFFFFFFF}; UserRegionSize only
 * on the EDMM path. {@link #toBytes()} is byte-identical for equal values: XML declaration, one
 * element per line indented by four spaces, LF line ends, a final newline.
 *
 * <p>Identifiers (ISVEXTPRODID_*, ISVFAMILYID_*) are unsigned 64-bit values.
 */
public record EnclaveXml(
        int prodId,
        int isvSvn,
        long stackMaxSize,
        long stackMinSize,
        long heapInitSize,
        long heapMaxSize,
        long heapMinSize,
        long tcsNum,
        long tcsMaxNum,
        long tcsMinPool,
        int tcsPolicy,
        int disableDebug,
        long miscSelect,
        long miscMask,
        long reservedMemMaxSize,
        long reservedMemMinSize,
        long reservedMemInitSize,
        int reservedMemExecutable,
        OptionalLong userRegionSize,
        int enableKss,
        long isvExtProdIdH,
        long isvExtProdIdL,
        long isvFamilyIdH,
        long isvFamilyIdL,
        int pkru,
        int amx) {

    /** Element names in the order they are written. */
    public static final List<String> ELEMENTS = List.of("ProdID", "ISVSVN", "StackMaxSize", "StackMinSize",
            "HeapInitSize", "HeapMaxSize", "HeapMinSize", "TCSNum", "TCSMaxNum", "TCSMinPool", "TCSPolicy", "DisableDebug",
            "MiscSelect", "MiscMask", "ReservedMemMaxSize", "ReservedMemMinSize", "ReservedMemInitSize",
            "ReservedMemExecutable", "UserRegionSize", "EnableKSS", "ISVEXTPRODID_H", "ISVEXTPRODID_L", "ISVFAMILYID_H",
            "ISVFAMILYID_L", "PKRU", "AMX");

    /** True on the EDMM path (the only one with a user region). */
    public boolean edmm() {
        return userRegionSize.isPresent();
    }

    /** Element name to its text, in order; UserRegionSize only when present. */
    public Map<String, String> values() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ProdID", Integer.toString(prodId));
        m.put("ISVSVN", Integer.toString(isvSvn));
        m.put("StackMaxSize", Long.toString(stackMaxSize));
        m.put("StackMinSize", Long.toString(stackMinSize));
        m.put("HeapInitSize", Long.toString(heapInitSize));
        m.put("HeapMaxSize", Long.toString(heapMaxSize));
        m.put("HeapMinSize", Long.toString(heapMinSize));
        m.put("TCSNum", Long.toString(tcsNum));
        m.put("TCSMaxNum", Long.toString(tcsMaxNum));
        m.put("TCSMinPool", Long.toString(tcsMinPool));
        m.put("TCSPolicy", Integer.toString(tcsPolicy));
        m.put("DisableDebug", Integer.toString(disableDebug));
        m.put("MiscSelect", Long.toString(miscSelect));
        // Occlum's generator writes the mask as the literal "0xFFFFFFFF" on EDMM, "0" otherwise
        m.put("MiscMask", miscMask == 0 ? "0" : String.format("0x%08X", miscMask));
        m.put("ReservedMemMaxSize", Long.toString(reservedMemMaxSize));
        m.put("ReservedMemMinSize", Long.toString(reservedMemMinSize));
        m.put("ReservedMemInitSize", Long.toString(reservedMemInitSize));
        m.put("ReservedMemExecutable", Integer.toString(reservedMemExecutable));
        userRegionSize.ifPresent(u -> m.put("UserRegionSize", Long.toString(u)));
        m.put("EnableKSS", Integer.toString(enableKss));
        m.put("ISVEXTPRODID_H", Long.toUnsignedString(isvExtProdIdH));
        m.put("ISVEXTPRODID_L", Long.toUnsignedString(isvExtProdIdL));
        m.put("ISVFAMILYID_H", Long.toUnsignedString(isvFamilyIdH));
        m.put("ISVFAMILYID_L", Long.toUnsignedString(isvFamilyIdL));
        m.put("PKRU", Integer.toString(pkru));
        m.put("AMX", Integer.toString(amx));
        return m;
    }

    /** The file's bytes (UTF-8), written with StAX. */
    public byte[] toBytes() {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            w.writeStartDocument("UTF-8", "1.0");
            w.writeCharacters("\n");
            w.writeStartElement("EnclaveConfiguration");
            for (Map.Entry<String, String> e : values().entrySet()) {
                w.writeCharacters("\n    ");
                w.writeStartElement(e.getKey());
                w.writeCharacters(e.getValue());
                w.writeEndElement();
            }
            w.writeCharacters("\n");
            w.writeEndElement();
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("StAX cannot write Enclave.xml: " + e.getMessage(), e);
        }
        return (out + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads an Enclave.xml written by {@link #toBytes()} (any element order, whitespace and
     * decimal or 0x-hex numbers); {@code IllegalArgumentException} naming the missing or bad element.
     */
    public static EnclaveXml parse(byte[] xml) {
        Map<String, String> v = new LinkedHashMap<>();
        try {
            XMLStreamReader r = inputFactory().createXMLStreamReader(new ByteArrayInputStream(xml));
            int depth = 0;
            String element = null;
            StringBuilder text = new StringBuilder();
            while (r.hasNext()) {
                int ev = r.next();
                if (ev == XMLStreamConstants.DTD) {
                    throw new IllegalArgumentException("Enclave.xml has a DOCTYPE; an Enclave.xml has none"
                            + " (entities, internal or external, are never expanded)");
                }
                if (ev == XMLStreamConstants.START_ELEMENT) {
                    depth++;
                    if (depth == 1 && !r.getLocalName().equals("EnclaveConfiguration")) {
                        throw new IllegalArgumentException("Enclave.xml's root is " + r.getLocalName()
                                + ", expected EnclaveConfiguration");
                    }
                    if (depth == 2) {
                        element = r.getLocalName();
                        text.setLength(0);
                    }
                } else if (ev == XMLStreamConstants.CHARACTERS && depth == 2) {
                    text.append(r.getText());
                } else if (ev == XMLStreamConstants.END_ELEMENT) {
                    if (depth == 2) {
                        v.put(element, text.toString().strip());
                    }
                    depth--;
                }
            }
        } catch (XMLStreamException e) {
            throw new IllegalArgumentException("Enclave.xml is not well-formed XML: " + e.getMessage(), e);
        }
        return new EnclaveXml((int) num(v, "ProdID"), (int) num(v, "ISVSVN"), num(v, "StackMaxSize"),
                num(v, "StackMinSize"), num(v, "HeapInitSize"), num(v, "HeapMaxSize"), num(v, "HeapMinSize"),
                num(v, "TCSNum"), num(v, "TCSMaxNum"), num(v, "TCSMinPool"), (int) num(v, "TCSPolicy"),
                (int) num(v, "DisableDebug"), num(v, "MiscSelect"), num(v, "MiscMask"), num(v, "ReservedMemMaxSize"),
                num(v, "ReservedMemMinSize"), num(v, "ReservedMemInitSize"), (int) num(v, "ReservedMemExecutable"),
                v.containsKey("UserRegionSize") ? OptionalLong.of(num(v, "UserRegionSize")) : OptionalLong.empty(),
                (int) num(v, "EnableKSS"), num(v, "ISVEXTPRODID_H"), num(v, "ISVEXTPRODID_L"), num(v, "ISVFAMILYID_H"),
                num(v, "ISVFAMILYID_L"), (int) num(v, "PKRU"), (int) num(v, "AMX"));
    }

    /** The StAX factory of {@link #parse}: no DTD, no external entities (XXE), whatever the JDK's defaults. */
    static XMLInputFactory inputFactory() {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        return f;
    }

    private static long num(Map<String, String> v, String name) {
        String s = v.get(name);
        if (s == null) {
            throw new IllegalArgumentException("Enclave.xml has no " + name + " element");
        }
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2), 16);
            }
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Enclave.xml's " + name + " is \"" + s + "\", not a number");
        }
    }
}
