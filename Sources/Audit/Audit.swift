// The audit rules of SPEC §5 (one rule per file).
