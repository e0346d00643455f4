"""How an instance is kept apart: namespaces or mapped paths, its sandbox (nsinit), its network."""
