"""Event sources beyond the HTTP ingest API (which lives in `exporter.server`).

`filetail` follows NDJSON files with checkpoints. Extra collectors (such as a Kiro
workspace discovery) register through `Exporter.register_collector` or the config's
`collectors:` list of `module:factory` entries, each factory called with the Exporter.
"""
