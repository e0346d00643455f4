"""What the engine keeps between jobs, sealed and checked at each use: pythons, venvs, bytecode."""
