#!/usr/bin/env bash
# Provisions everything the DayFusion kiosk needs in one AWS account:
# create-bucket.sh, create-table.sh, create-roles.sh, in that order, with the
# same arguments; then prints the kiosk's DAYFUSION_AWS_* settings.
# Example:
#   infra/aws/scripts/bootstrap.sh --region sa-east-1 --bucket bank-dayfusion-evidence \
#     --prefix dayfusion/ --account-id 123456789012 [--kms-key-id alias/dayfusion] [--dry-run]
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
SCRIPT_PURPOSE="Creates the DayFusion bucket, table and roles (create-bucket.sh, create-table.sh, create-roles.sh)."
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
parse_args "$@"
require region bucket prefix account-id identity

here="$(dirname "${BASH_SOURCE[0]}")"
log "1/3 evidence bucket"
"$here/create-bucket.sh" "$@"
log "2/3 transaction table"
"$here/create-table.sh" "$@"
log "3/3 IAM roles"
"$here/create-roles.sh" "$@"

if [[ -n "$KMS_KEY_ID" ]]; then sse="sse-kms"; else sse="sse-s3"; fi
log "done. Kiosk settings (aws.toml or environment):"
cat <<SETTINGS
DAYFUSION_AWS_REGION=$REGION
DAYFUSION_AWS_BUCKET=$BUCKET
DAYFUSION_AWS_PREFIX=$PREFIX
DAYFUSION_AWS_TABLE=$TABLE
DAYFUSION_AWS_WEBVIEW_ROLE_ARN=arn:aws:iam::$ACCOUNT_ID:role/$WEBVIEW_ROLE_NAME
DAYFUSION_AWS_SSE=$sse
SETTINGS
if [[ -n "$KMS_KEY_ID" ]]; then
  printf 'DAYFUSION_AWS_KMS_KEY_ID=arn:aws:kms:%s:%s:key/%s\n' "$REGION" "$ACCOUNT_ID" "$(kms_key_id)"
fi
