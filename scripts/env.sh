# Sourced by scripts/demo and scripts/test after scripts/bootstrap: runs Pulumi offline,
# with the CLI bootstrap installed and state in a local file backend inside the project.
# Every variable keeps a value the caller already exported, so a pipeline can point
# PULUMI_BACKEND_URL at its own backend (see README, "Credentials for pipelines").
# It sets no PULUMI_CONFIG_PASSPHRASE: a real stack's secrets deserve one of your own
# (scripts/demo sets the sandbox stack's documented one for itself).
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$_root/.cache/pulumi/bin:$_root/.venv/bin:$PATH"
export PULUMI_HOME=${PULUMI_HOME:-$_root/.pulumi/home}
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$_root/.pulumi/state}
export PULUMI_SKIP_UPDATE_CHECK=true
# Rotated refresh tokens are kept here between runs (README: "Credentials for pipelines").
export BITRIX24_TOKEN_STORE=${BITRIX24_TOKEN_STORE:-$_root/.pulumi/tokens}
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# 64 steps at once, not the engine's 4 per core, so up to 50 writes share one request
# (README, "At 2,000 lines").
export PULUMI_PARALLEL=${PULUMI_PARALLEL:-64}
mkdir -p "$PULUMI_HOME"
[[ $PULUMI_BACKEND_URL == file://* ]] && mkdir -p "${PULUMI_BACKEND_URL#file://}"
unset _root
