"""The contact center as its own service: the wire protocol (protocol.py, docs/platform-protocol.md),
the platform side that serves nodes (hub.py, service.py) and the node side (client.py:
`RemotePlatform`, the `Platform` the ORS layer uses when the contact center runs elsewhere)."""
