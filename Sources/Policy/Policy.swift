// Effective-dated policy parameters loaded from Fixtures/policy (SPEC §4).
