#!/usr/bin/env bash
# Creates (or updates) the two IAM roles of the kiosk:
# - the kiosk role (default dayfusion-kiosk), assumed by the kiosk's own
#   identity, never the account root: IAM Roles Anywhere with
#   --trust-anchor-arn (one role for the fleet; each certificate's subject
#   CN is its kiosk id and scopes its S3 folder; a Roles Anywhere profile
#   for the role is created too), or --kiosk-principal-arn with --kiosk-id
#   for one kiosk (the role is tagged x509Subject/CN=<kiosk id>); with the
#   least-privilege inline policy iam/kiosk-role-policy.json;
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
require region bucket prefix account-id identity

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
  log "kiosk role trusted by $KIOSK_PRINCIPAL_ARN for kiosk $KIOSK_ID"
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

if [[ -z "$TRUST_ANCHOR_ARN" ]]; then
  # The same principal tag a Roles Anywhere certificate would give: the
  # policy scopes the kiosk's objects to ${Prefix}<this id>/.
  log "kiosk role tag x509Subject/CN=$KIOSK_ID"
  run aws iam tag-role --role-name "$KIOSK_ROLE_NAME" \
    --tags "Key=x509Subject/CN,Value=$KIOSK_ID" --region "$REGION"
fi

ensure_role "$WEBVIEW_ROLE_NAME" "$WORK_DIR/webview-trust.json" \
  "DayFusion webview: rekognition:StartFaceLivenessSession only, assumed by $KIOSK_ROLE_NAME"
log "webview role inline policy $WEBVIEW_POLICY_NAME"
run aws iam put-role-policy --role-name "$WEBVIEW_ROLE_NAME" \
  --policy-name "$WEBVIEW_POLICY_NAME" \
  --policy-document "file://$WORK_DIR/webview-policy.json" \
  --region "$REGION"

profile_arn=""
if [[ -n "$TRUST_ANCHOR_ARN" ]]; then
  # The Roles Anywhere profile naming the kiosk role (default attribute
  # mapping: the certificate subject's RDNs, CN among them, as principal
  # tags). Found by name, created when missing.
  kiosk_role_arn="arn:aws:iam::$ACCOUNT_ID:role/$KIOSK_ROLE_NAME"
  if [[ $DRY_RUN -eq 0 ]]; then
    profile_arn="$(aws rolesanywhere list-profiles --region "$REGION" \
      --query "profiles[?name=='$KIOSK_ROLE_NAME'].profileArn | [0]" --output text)"
    [[ "$profile_arn" != "None" ]] || profile_arn=""
  fi
  if [[ -n "$profile_arn" ]]; then
    log "Roles Anywhere profile $KIOSK_ROLE_NAME exists: $profile_arn"
    run aws rolesanywhere update-profile --profile-id "${profile_arn##*/}" \
      --role-arns "$kiosk_role_arn" --duration-seconds 3600 --region "$REGION" >/dev/null
  else
    log "creating Roles Anywhere profile $KIOSK_ROLE_NAME"
    if [[ $DRY_RUN -eq 1 ]]; then
      run aws rolesanywhere create-profile --name "$KIOSK_ROLE_NAME" --role-arns "$kiosk_role_arn" \
        --duration-seconds 3600 --enabled --tags key=project,value=dayfusion --region "$REGION"
      profile_arn="arn:aws:rolesanywhere:$REGION:$ACCOUNT_ID:profile/PROFILE-ID"
    else
      profile_arn="$(run aws rolesanywhere create-profile --name "$KIOSK_ROLE_NAME" \
        --role-arns "$kiosk_role_arn" --duration-seconds 3600 --enabled \
        --tags key=project,value=dayfusion --region "$REGION" \
        --query profile.profileArn --output text)"
    fi
  fi
fi

log "roles ready:"
printf 'kiosk role:   arn:aws:iam::%s:role/%s\n' "$ACCOUNT_ID" "$KIOSK_ROLE_NAME"
printf 'DAYFUSION_AWS_WEBVIEW_ROLE_ARN=arn:aws:iam::%s:role/%s\n' "$ACCOUNT_ID" "$WEBVIEW_ROLE_NAME"
if [[ -n "$TRUST_ANCHOR_ARN" ]]; then
  printf 'aws_signing_helper credential-process --trust-anchor-arn %s --profile-arn %s --role-arn %s --certificate CERT --private-key KEY\n' \
    "$TRUST_ANCHOR_ARN" "$profile_arn" "arn:aws:iam::$ACCOUNT_ID:role/$KIOSK_ROLE_NAME"
fi
