package io.jocclum.libos.scenario;

/** A scenario cannot run (an input that validation cannot see, such as an unreadable instance): one sentence. */
public final class ScenarioException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ScenarioException(String message) {
        super(message, null, false, false);
    }
}
