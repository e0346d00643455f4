# Sourced inside the job before the script runs: its exports reach main().
export TEXTSTATS_LABEL="${TEXTSTATS_LABEL:-configured}"
