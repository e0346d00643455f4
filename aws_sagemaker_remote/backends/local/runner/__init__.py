"""The detached process that runs one job: its instances, inputs, outputs, logs and containers."""
