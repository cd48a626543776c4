"""Worker-data wing: a council's own CSWW census returns and payroll extracts.

This is the personal-data boundary. Raw identifiers (SWENo, names, birth dates) exist only inside
this package (and the synthetic generator): ``returns`` and ``payroll`` read them, ``pseudonymise``
replaces them with keyed hashes and age bands at read time, ``validation`` accepts or quarantines
every record with a reason, ``linking`` joins a worker's records into spells and ``ingest`` runs
the lot. What leaves this package is the pseudonymised ``episodes`` and ``worker_years`` tables.
"""
