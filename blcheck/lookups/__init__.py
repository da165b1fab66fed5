"""The lookup engine: asks lists about subjects and judges the answers. No models.

dnsbl (pure) reads answers; resolver is the only dnspython importer; engine
asks every pair on one event loop; politeness paces each list; catalog reads
the shipped list catalogue without a database.
"""
