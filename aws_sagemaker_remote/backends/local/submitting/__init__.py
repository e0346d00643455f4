"""The caller's side: refusals before a job is recorded, runners started and watched, disk space."""
