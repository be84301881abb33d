# Shared by the DayFusion AWS scripts (sourced, not run): argument parsing,
# validation, `run` (prints every aws command; with --dry-run only prints it)
# and `render` (fills the ${Placeholders} of the policy documents).
# shellcheck shell=bash

# Read by the scripts that source this file.
# shellcheck disable=SC2034
AWS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IAM_DIR="$AWS_DIR/iam"

# Defaults; the DAYFUSION_AWS_* variables the kiosk reads are honoured too.
# shellcheck disable=SC2034
REGION="${DAYFUSION_AWS_REGION:-${AWS_REGION:-}}"
BUCKET="${DAYFUSION_AWS_BUCKET:-}"
PREFIX="${DAYFUSION_AWS_PREFIX-dayfusion/}"
ACCOUNT_ID=""
KMS_KEY_ID="${DAYFUSION_AWS_KMS_KEY_ID:-}"
TABLE="dayfusion_transactions"
KIOSK_ROLE_NAME="dayfusion-kiosk"
WEBVIEW_ROLE_NAME="dayfusion-webview-liveness"
KIOSK_PRINCIPAL_ARN=""
KIOSK_ID=""
TRUST_ANCHOR_ARN=""
DRY_RUN=0

COMMON_USAGE="Options:
  --region REGION            AWS region (DAYFUSION_AWS_REGION)
  --bucket NAME              evidence bucket (DAYFUSION_AWS_BUCKET)
  --prefix PREFIX            key prefix, empty or ending in / (DAYFUSION_AWS_PREFIX, default dayfusion/)
  --account-id ID            12-digit AWS account id
  --kms-key-id ID            KMS key id, key ARN or alias for SSE-KMS (DAYFUSION_AWS_KMS_KEY_ID);
                             without it the bucket uses SSE-S3
  --kiosk-role-name NAME     kiosk role (default dayfusion-kiosk)
  --webview-role-name NAME   webview liveness role (default dayfusion-webview-liveness)
  --trust-anchor-arn ARN     IAM Roles Anywhere trust anchor of the kiosks' certificates
                             (the kiosk role then trusts rolesanywhere.amazonaws.com for it,
                             and a Roles Anywhere profile for the role is created); each
                             certificate's subject CN is its kiosk id
  --kiosk-principal-arn ARN  or, for one kiosk without Roles Anywhere: the IAM user or role
                             that may assume the kiosk role (never the account root) ...
  --kiosk-id ID              ... and that kiosk's id, tagged on the role as x509Subject/CN
  --dry-run                  print the aws commands instead of running them
  -h, --help                 this help"

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf 'Usage: %s [options]\n%s\n\n%s\n' "$(basename "$0")" "${SCRIPT_PURPOSE:-}" "$COMMON_USAGE"
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --region) REGION="${2:?--region needs a value}"; shift 2 ;;
      --bucket) BUCKET="${2:?--bucket needs a value}"; shift 2 ;;
      --prefix) PREFIX="${2?--prefix needs a value}"; shift 2 ;;
      --account-id) ACCOUNT_ID="${2:?--account-id needs a value}"; shift 2 ;;
      --kms-key-id) KMS_KEY_ID="${2?--kms-key-id needs a value}"; shift 2 ;;
      --kiosk-role-name) KIOSK_ROLE_NAME="${2:?--kiosk-role-name needs a value}"; shift 2 ;;
      --webview-role-name) WEBVIEW_ROLE_NAME="${2:?--webview-role-name needs a value}"; shift 2 ;;
      --kiosk-principal-arn) KIOSK_PRINCIPAL_ARN="${2:?--kiosk-principal-arn needs a value}"; shift 2 ;;
      --kiosk-id) KIOSK_ID="${2:?--kiosk-id needs a value}"; shift 2 ;;
      --trust-anchor-arn) TRUST_ANCHOR_ARN="${2:?--trust-anchor-arn needs a value}"; shift 2 ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
}

# require NAME...: each of region, bucket, prefix, account-id must be set and well formed.
require() {
  local what
  for what in "$@"; do
    case "$what" in
      region)
        [[ "$REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "--region: '$REGION' is not a region like us-east-1"
        ;;
      bucket)
        [[ "$BUCKET" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "--bucket: '$BUCKET' is not a valid bucket name"
        ;;
      prefix)
        [[ -z "$PREFIX" || ( "$PREFIX" =~ ^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/$ && "$PREFIX" != *..* ) ]] ||
          die "--prefix: '$PREFIX' must be empty or like dayfusion/ (letters, digits, . _ - and /)"
        ;;
      account-id)
        [[ "$ACCOUNT_ID" =~ ^[0-9]{12}$ ]] || die "--account-id: '$ACCOUNT_ID' is not a 12-digit account id"
        ;;
      identity)
        # The kiosk role's trust names an explicit identity, never the
        # account root.
        if [[ -n "$TRUST_ANCHOR_ARN" ]]; then
          [[ "$TRUST_ANCHOR_ARN" =~ ^arn:aws[a-z-]*:rolesanywhere:[a-z0-9-]+:[0-9]{12}:trust-anchor/[A-Za-z0-9-]+$ ]] ||
            die "--trust-anchor-arn: '$TRUST_ANCHOR_ARN' is not a Roles Anywhere trust anchor ARN"
          [[ -z "$KIOSK_PRINCIPAL_ARN" ]] || die "--kiosk-principal-arn is for kiosks without Roles Anywhere"
        else
          [[ -n "$KIOSK_PRINCIPAL_ARN" ]] ||
            die "give --trust-anchor-arn (Roles Anywhere) or --kiosk-principal-arn with --kiosk-id"
          [[ "$KIOSK_PRINCIPAL_ARN" =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/.+$ ]] ||
            die "--kiosk-principal-arn: '$KIOSK_PRINCIPAL_ARN' is not an IAM user or role ARN (the account root is refused)"
          [[ "$KIOSK_ID" =~ ^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$ && "$KIOSK_ID" != *..* ]] ||
            die "--kiosk-id: '$KIOSK_ID' must be the kiosk's id (1-64 letters, digits, . _ -, no ..)"
        fi
        ;;
      *) die "internal: unknown requirement $what" ;;
    esac
  done
  [[ "$KIOSK_ROLE_NAME" =~ ^[A-Za-z0-9+=,.@_-]{1,64}$ ]] || die "--kiosk-role-name: invalid role name"
  [[ "$WEBVIEW_ROLE_NAME" =~ ^[A-Za-z0-9+=,.@_-]{1,64}$ ]] || die "--webview-role-name: invalid role name"
  command -v aws >/dev/null 2>&1 || [[ $DRY_RUN -eq 1 ]] || die "the aws CLI (v2) is not installed"
}

# quote ARG...: the words as a shell would read them back (single quotes
# only where needed).
quote() {
  local arg words=()
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then
      words+=("$arg")
    else
      words+=("'${arg//\'/\'\\\'\'}'")
    fi
  done
  printf '%s' "${words[*]}"
}

# run CMD...: prints the command; runs it unless --dry-run.
run() {
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '[dry-run] %s\n' "$(quote "$@")"
  else
    printf '+ %s\n' "$(quote "$@")" >&2
    "$@"
  fi
}

# exists CMD...: true when the read-only check CMD succeeds. In a dry run it
# is only printed and counts as "does not exist", so every step is shown.
exists() {
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '[dry-run] %s  # existence check\n' "$(quote "$@")"
    return 1
  fi
  "$@" >/dev/null 2>&1
}

# kms_key_id: the bare key id of --kms-key-id (resolving an alias or ARN).
kms_key_id() {
  local key="$KMS_KEY_ID"
  case "$key" in
    "") return 0 ;;
    arn:*:kms:*:key/*) printf '%s\n' "${key##*:key/}" ;;
    alias/* | arn:*:kms:*:alias/*)
      if [[ $DRY_RUN -eq 1 ]]; then
        printf '[dry-run] %s\n' "aws kms describe-key --key-id $key --region $REGION --query KeyMetadata.KeyId --output text" >&2
        printf '%s\n' "KEY-ID-OF-${key##*/}"
      else
        aws kms describe-key --key-id "$key" --region "$REGION" --query KeyMetadata.KeyId --output text
      fi
      ;;
    *)
      [[ "$key" =~ ^(mrk-)?[0-9a-fA-F-]{32,36}$ ]] || die "--kms-key-id: '$key' is not a key id, key ARN or alias"
      printf '%s\n' "$key"
      ;;
  esac
}

# sed_escape VALUE: VALUE safe on the right of a sed s||| command.
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# render FILE OUT: FILE with every ${Placeholder} filled in, written to OUT.
# Without a KMS key, the EvidenceKmsThroughS3 statement is dropped.
render() {
  local file="$1" out="$2" key_id
  key_id="$(kms_key_id)"
  sed \
    -e "s|\${Bucket}|$(sed_escape "$BUCKET")|g" \
    -e "s|\${Prefix}|$(sed_escape "$PREFIX")|g" \
    -e "s|\${Region}|$(sed_escape "$REGION")|g" \
    -e "s|\${AccountId}|$(sed_escape "$ACCOUNT_ID")|g" \
    -e "s|\${KioskRoleName}|$(sed_escape "$KIOSK_ROLE_NAME")|g" \
    -e "s|\${WebviewRoleName}|$(sed_escape "$WEBVIEW_ROLE_NAME")|g" \
    -e "s|\${KmsKeyId}|$(sed_escape "$key_id")|g" \
    -e "s|\${KioskPrincipalArn}|$(sed_escape "$KIOSK_PRINCIPAL_ARN")|g" \
    -e "s|\${TrustAnchorArn}|$(sed_escape "$TRUST_ANCHOR_ARN")|g" \
    -e "s|\${SseAlgorithm}|$(if [[ -n "$key_id" ]]; then echo aws:kms; else echo AES256; fi)|g" \
    "$file" >"$out.tmp"
  if [[ -z "$key_id" ]] && grep -q '"EvidenceKmsThroughS3"' "$out.tmp"; then
    command -v jq >/dev/null 2>&1 || die "jq is needed to drop the KMS statement (or pass --kms-key-id)"
    jq 'del(.Statement[] | select(.Sid == "EvidenceKmsThroughS3"))' "$out.tmp" >"$out"
    rm -f "$out.tmp"
  else
    mv "$out.tmp" "$out"
  fi
  # IAM's own variables (${aws:PrincipalTag/...}) stay.
  # shellcheck disable=SC2016 # a literal ${Placeholder}
  if grep -q '\${[A-Za-z]*}' "$out"; then
    die "internal: unfilled placeholder in $out"
  fi
  if [[ $DRY_RUN -eq 1 ]]; then
    printf '[dry-run] %s would be:\n' "$(basename "$file")"
    cat "$out"
  fi
}

# A scratch folder for rendered documents, removed on exit.
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/dayfusion-aws.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT
