"""The ORS SCXML dialect: what Genesys ORS and Composer documents need beyond W3C SCXML."""
