"""The ORS layer: Genesys functional modules, the _genesys object and the ORS SCXML dialect."""
