package io.jocclum.libos.config;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JSON reader's complaint in a user's words: where (line and column) and what is wrong with the
 * text, without the parser's internals (its class and setting names, source descriptions, character
 * codes). Used for Occlum.json and for platform files.
 */
public final class JsonErrors {
    private static final Pattern UNEXPECTED = Pattern.compile("Unexpected character \\('(.+?)' \\(code \\d+\\)\\)");
    private static final Pattern TOKEN = Pattern.compile("Unrecognized token '([^']*)'.*");
    private static final Pattern CTRL = Pattern.compile("Illegal unquoted character \\(\\(CTRL-CHAR, code (\\d+)\\)\\).*");
    private static final Pattern DEPTH = Pattern.compile(".*nesting depth \\((\\d+)\\) exceeds the maximum allowed \\((\\d+).*");
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate Object property \"(.*)\".*");
    private static final Pattern NON_STANDARD = Pattern.compile("Non-standard token '([^']*)'.*");
    private static final Pattern LENGTH = Pattern.compile("(String|Number|Name) (?:value )?length \\((\\d+)\\) exceeds the maximum"
            + " allowed \\((\\d+).*");
    private static final String IN_NUMBER = "in numeric value: ";
    private static final Pattern TRAILING = Pattern.compile("Trailing token .* found after value.*");

    private JsonErrors() {
    }

    /** " at line L, column C", or "" when the parser gave no location. */
    public static String where(JacksonException e) {
        TokenStreamLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    /** What is wrong, in plain words (no trailing full stop). */
    public static String problem(JacksonException e) {
        return problem(e.getOriginalMessage());
    }

    static String problem(String message) {
        String why = message == null ? "" : message;
        int nl = why.indexOf('\n');
        if (nl >= 0) {
            why = why.substring(0, nl);
        }
        why = why.replaceAll("\\s*\\(start marker at \\[[^\\]]*\\]\\)", "")
                .replaceAll(":?\\s*enable `[^`]*` to allow", "")
                .replaceAll("\\s*\\[Source: [^\\]]*\\]", "")
                .strip();
        if (why.startsWith("Unexpected end-of-input: expected close marker for Object")
                || why.startsWith("Unexpected end-of-input within/between Object entries")) {
            return "the file ends inside an object (a closing '}' is missing)";
        }
        if (why.startsWith("Unexpected end-of-input: expected close marker for Array")
                || why.startsWith("Unexpected end-of-input within/between Array entries")) {
            return "the file ends inside an array (a closing ']' is missing)";
        }
        if (why.startsWith("Unexpected end-of-input in VALUE_STRING") || why.startsWith("Unexpected end-of-input in field name")) {
            return "the file ends inside a string (a closing '\"' is missing)";
        }
        if (why.startsWith("Unexpected end-of-input")) {
            return "the file ends too early";
        }
        if (why.startsWith("Invalid UTF-8") || why.startsWith("Invalid UTF-32") || why.contains("Invalid UTF-8")) {
            return "the file is not UTF-8 text (an invalid byte sequence)";
        }
        Matcher m = DEPTH.matcher(why);
        if (m.matches()) {
            return "values are nested more than " + m.group(2) + " levels deep";
        }
        m = LENGTH.matcher(why);
        if (m.matches()) {
            String what = switch (m.group(1)) {
                case "String" -> "a string";
                case "Number" -> "a number";
                default -> "a key";
            };
            return what + " is " + m.group(2) + " characters long; at most " + m.group(3) + " are allowed";
        }
        m = DUPLICATE.matcher(why);
        if (m.matches()) {
            return "the key \"" + m.group(1) + "\" appears twice in one object";
        }
        m = NON_STANDARD.matcher(why);
        if (m.matches()) {
            return "'" + m.group(1) + "' is not a JSON number";
        }
        m = CTRL.matcher(why);
        if (m.matches()) {
            return "a string holds a control character (code " + m.group(1) + "); write it with a backslash escape such as \\n";
        }
        m = TOKEN.matcher(why);
        if (m.matches()) {
            return "'" + m.group(1) + "' is not a JSON value (strings need double quotes; the literals are true, false and null)";
        }
        if (TRAILING.matcher(why).matches()) {
            return "something follows the end of the first value; a JSON file holds one value";
        }
        m = UNEXPECTED.matcher(why);
        if (m.find()) {
            String rest = why.substring(m.end()).replaceFirst("^:?\\s*", "");
            if (rest.startsWith(IN_NUMBER)) {
                String detail = rest.substring(IN_NUMBER.length());
                return "unexpected character '" + m.group(1) + "' in a number: " + Character.toLowerCase(detail.charAt(0))
                        + detail.substring(1);
            }
            rest = rest.replace("was expecting double-quote to start field name", "a key must be a string in double quotes")
                    .replace("was expecting double-quote to start property name", "a key must be a string in double quotes")
                    .replace("was expecting comma to separate Object entries", "a ',' or '}' was expected")
                    .replace("was expecting comma to separate Array entries", "a ',' or ']' was expected")
                    .replace("was expecting a colon to separate field name and value", "a ':' was expected after the key")
                    .replace("was expecting a colon to separate property name and value", "a ':' was expected after the key")
                    .replaceAll("hexadecimal number literals require enabling `[^`]*`",
                            "hexadecimal numbers are not JSON; write the number in decimal")
                    .replaceAll("expected a valid value \\(.*\\)", "a value was expected");
            return "unexpected character '" + m.group(1) + "'" + (rest.isEmpty() ? "" : ": " + rest);
        }
        return why.isEmpty() ? "the parser gave up here" : Character.toLowerCase(why.charAt(0)) + why.substring(1);
    }
}
