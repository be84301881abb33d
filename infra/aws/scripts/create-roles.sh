#!/usr/bin/env bash
# Creates (or updates) the two IAM roles of the kiosk:
# - the kiosk role (default dayfusion-kiosk), assumed by the kiosk's own
#   identity (--kiosk-principal-arn, or IAM Roles Anywhere with
#   --trust-anchor-arn), with the least-privilege inline policy
#   iam/kiosk-role-policy.json;
# - the webview role (default dayfusion-webview-liveness,
#   DAYFUSION_AWS_WEBVIEW_ROLE_ARN), which only the kiosk role may assume and
#   whose only permission is rekognition:StartFaceLivenessSession
#   (iam/webview-session-policy.json; the kiosk passes the same document as
#   the session policy of every AssumeRole).
# Idempotent: existing roles get their trust and inline policies replaced.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
SCRIPT_PURPOSE="Creates the DayFusion kiosk and webview IAM roles."
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
parse_args "$@"
require region bucket prefix account-id

KIOSK_POLICY_NAME="dayfusion-kiosk-least-privilege"
WEBVIEW_POLICY_NAME="dayfusion-webview-liveness-only"

# ensure_role NAME TRUST_FILE DESCRIPTION: creates the role or replaces its trust policy.
ensure_role() {
  local name="$1" trust="$2" description="$3" attempt errors="$WORK_DIR/create-role.err"
  if exists aws iam get-role --role-name "$name" --region "$REGION"; then
    log "role $name exists: replacing its trust policy"
    run aws iam update-assume-role-policy --role-name "$name" --policy-document "file://$trust" \
      --region "$REGION"
    return 0
  fi
  log "creating role $name"
  # A role named as principal right after its creation may not be visible to
  # IAM yet ("Invalid principal"): a few tries for that error only.
  for attempt in 1 2 3 4 5; do
    if run aws iam create-role --role-name "$name" \
      --assume-role-policy-document "file://$trust" \
      --description "$description" \
      --max-session-duration 3600 \
      --tags Key=project,Value=dayfusion \
      --region "$REGION" 2>"$errors"; then
      cat "$errors" >&2
      run aws iam wait role-exists --role-name "$name" --region "$REGION"
      return 0
    fi
    cat "$errors" >&2
    grep -q 'Invalid principal' "$errors" || die "could not create role $name"
    [[ $attempt -lt 5 ]] || die "could not create role $name"
    log "retrying in 10 s (IAM is eventually consistent)"
    sleep 10
  done
}

if [[ -n "$TRUST_ANCHOR_ARN" ]]; then
  log "kiosk role trusted through IAM Roles Anywhere anchor $TRUST_ANCHOR_ARN"
  kiosk_trust_template="$IAM_DIR/kiosk-role-trust-rolesanywhere.json"
else
  KIOSK_PRINCIPAL_ARN="${KIOSK_PRINCIPAL_ARN:-arn:aws:iam::$ACCOUNT_ID:root}"
  log "kiosk role trusted by $KIOSK_PRINCIPAL_ARN"
  kiosk_trust_template="$IAM_DIR/kiosk-role-trust.json"
fi

render "$kiosk_trust_template" "$WORK_DIR/kiosk-trust.json"
render "$IAM_DIR/kiosk-role-policy.json" "$WORK_DIR/kiosk-policy.json"
render "$IAM_DIR/webview-role-trust.json" "$WORK_DIR/webview-trust.json"
render "$IAM_DIR/webview-session-policy.json" "$WORK_DIR/webview-policy.json"

ensure_role "$KIOSK_ROLE_NAME" "$WORK_DIR/kiosk-trust.json" \
  "DayFusion kiosk: Rekognition liveness and faces, evidence under s3://$BUCKET/$PREFIX, table $TABLE"
log "kiosk role inline policy $KIOSK_POLICY_NAME"
run aws iam put-role-policy --role-name "$KIOSK_ROLE_NAME" \
  --policy-name "$KIOSK_POLICY_NAME" \
  --policy-document "file://$WORK_DIR/kiosk-policy.json" \
  --region "$REGION"

ensure_role "$WEBVIEW_ROLE_NAME" "$WORK_DIR/webview-trust.json" \
  "DayFusion webview: rekognition:StartFaceLivenessSession only, assumed by $KIOSK_ROLE_NAME"
log "webview role inline policy $WEBVIEW_POLICY_NAME"
run aws iam put-role-policy --role-name "$WEBVIEW_ROLE_NAME" \
  --policy-name "$WEBVIEW_POLICY_NAME" \
  --policy-document "file://$WORK_DIR/webview-policy.json" \
  --region "$REGION"

log "roles ready:"
printf 'kiosk role:   arn:aws:iam::%s:role/%s\n' "$ACCOUNT_ID" "$KIOSK_ROLE_NAME"
printf 'DAYFUSION_AWS_WEBVIEW_ROLE_ARN=arn:aws:iam::%s:role/%s\n' "$ACCOUNT_ID" "$WEBVIEW_ROLE_NAME"
