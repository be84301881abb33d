#!/usr/bin/env bash
# Creates the guide's DynamoDB table (DAYFUSION_AWS_TABLE=dayfusion_transactions,
# key TransactionId, on-demand billing) with encryption at rest under the
# AWS managed key, deletion protection and point-in-time recovery.
# Idempotent: an existing table is kept and only PITR is (re)applied.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
SCRIPT_PURPOSE="Creates the DayFusion transaction table."
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
parse_args "$@"
require region

log "table $TABLE in $REGION"
if exists aws dynamodb describe-table --table-name "$TABLE" --region "$REGION"; then
  log "table $TABLE already exists: keeping it"
else
  log "creating table $TABLE (PAY_PER_REQUEST, SSE with the aws/dynamodb key, deletion protection)"
  run aws dynamodb create-table \
    --table-name "$TABLE" \
    --attribute-definitions AttributeName=TransactionId,AttributeType=S \
    --key-schema AttributeName=TransactionId,KeyType=HASH \
    --billing-mode PAY_PER_REQUEST \
    --sse-specification Enabled=true,SSEType=KMS \
    --deletion-protection-enabled \
    --tags Key=project,Value=dayfusion \
    --region "$REGION"
  run aws dynamodb wait table-exists --table-name "$TABLE" --region "$REGION"
fi

log "point-in-time recovery on"
run aws dynamodb update-continuous-backups \
  --table-name "$TABLE" \
  --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true \
  --region "$REGION"

log "table $TABLE ready"
