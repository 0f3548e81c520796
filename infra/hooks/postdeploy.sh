#!/usr/bin/env bash
# azd postdeploy hook (azure.yaml): subscribes the deployed bulkTestEvents function to
#   1. the BulkTestPassed custom topic (CloudEvents 1.0), and
#   2. the Event Grid system topic of each workspace in runCompletedSources (RunCompleted events).
# It runs after deploy, not in main.bicep, because Event Grid checks that the function exists when the
# subscription is created, and the function exists only once the code is deployed (the Event Grid
# quickstart, Azure-Samples/functions-quickstart-javascript-azd-eventgrid-blob, does the same in its
# postdeploy hook). The endpoint type is AzureFunction with the function's resource id: Event Grid
# delivers through the Functions platform, so no function key appears anywhere (Learn: "Use a function
# in Azure as an event handler for Event Grid events"; CloudEvents delivery to an AzureFunction
# endpoint is supported since the Event Grid extension 3.2, azure-sdk-for-net#31740).
# Every command is a create-or-update, so the hook can run again after every deploy.
set -euo pipefail

log() { printf 'postdeploy: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is required: see docs/deploy.md"

# azd exports the environment's values (main.bicep outputs included) to hooks. Run by hand, read them
# from `azd env get-values` (KEY="value" lines); nothing is evaluated.
if [[ -z "${AZURE_FUNCTION_APP_ID:-}" ]]; then
  command -v azd >/dev/null 2>&1 || fail "AZURE_FUNCTION_APP_ID is not set and azd is not installed"
  while IFS='=' read -r key value; do
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    value="${value#\"}"
    value="${value%\"}"
    export "$key=$value"
  done < <(azd env get-values)
fi

: "${AZURE_FUNCTION_APP_ID:?run azd provision first (main.bicep output AZURE_FUNCTION_APP_ID)}"
: "${AZURE_FUNCTION_APP_NAME:?run azd provision first}"
: "${AZURE_RESOURCE_GROUP:?run azd provision first}"
: "${BULK_TEST_TOPIC_ID:?run azd provision first}"

function_name="bulkTestEvents" # src/functions/triggers.ts, the eventGrid entry
function_id="${AZURE_FUNCTION_APP_ID}/functions/${function_name}"
# Event subscription names: 3-64 letters, digits and hyphens; the app name is one (func-api-<token>).
subscription_name="flowdeploy-${AZURE_FUNCTION_APP_NAME}"

# After a zip deploy the host indexes the functions and syncs its triggers; wait until ARM lists it.
for attempt in $(seq 1 30); do
  if az functionapp function show --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
    --function-name "$function_name" --query id --output tsv >/dev/null 2>&1; then
    break
  fi
  if [[ "$attempt" -eq 30 ]]; then
    fail "function ${function_name} did not appear in ${AZURE_FUNCTION_APP_NAME} after 5 minutes: check the deployment logs"
  fi
  log "waiting for ${function_name} to be indexed (${attempt}/30)"
  sleep 10
done

log "subscribing ${function_name} to the BulkTestPassed topic"
# The topic's input schema is CloudEvents 1.0, so deliveries are CloudEvents too. --event-ttl (minutes)
# matches FLOWDEPLOY_EVENT_MAX_AGE_MINUTES' default: an older event would be refused anyway.
az eventgrid event-subscription create \
  --name "$subscription_name" \
  --source-resource-id "$BULK_TEST_TOPIC_ID" \
  --endpoint-type azurefunction \
  --endpoint "$function_id" \
  --event-delivery-schema cloudeventschemav1_0 \
  --included-event-types PromptFlow.BulkTestPassed \
  --max-delivery-attempts 30 \
  --event-ttl 1440 \
  --output none

# RUN_COMPLETED_SYSTEM_TOPIC_IDS: comma-separated system topic ids (main.bicep output), possibly empty.
IFS=',' read -r -a system_topics <<<"${RUN_COMPLETED_SYSTEM_TOPIC_IDS:-}"
for topic_id in "${system_topics[@]}"; do
  [[ -n "$topic_id" ]] || continue
  IFS='/' read -r -a parts <<<"$topic_id"
  # /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.EventGrid/systemTopics/<name>
  [[ "${#parts[@]}" -eq 9 ]] || fail "not a system topic id: ${topic_id}"
  log "subscribing ${function_name} to RunCompleted events of system topic ${parts[8]}"
  # Every RunCompleted event is delivered; the function ignores runs without the flowdeploy tags
  # (README "Using it"). A filter on data.runTags cannot name "flowdeploy.passed": Event Grid reads the
  # dots of an advanced-filter key as nesting.
  az eventgrid system-topic event-subscription create \
    --subscription "${parts[2]}" \
    --resource-group "${parts[4]}" \
    --system-topic-name "${parts[8]}" \
    --name "$subscription_name" \
    --endpoint-type azurefunction \
    --endpoint "$function_id" \
    --included-event-types Microsoft.MachineLearningServices.RunCompleted \
    --max-delivery-attempts 30 \
    --event-ttl 1440 \
    --output none
done

log "Event Grid subscriptions are in place"
