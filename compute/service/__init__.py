"""Running requests where a limit can stop them: worker processes, the wire format, job lanes,
the formula pool and a byte-bounded cache. The only part of ``compute`` that manages processes."""
