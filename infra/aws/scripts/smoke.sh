#!/usr/bin/env bash
# End-to-end smoke test of a provisioned kiosk against a REAL AWS account.
# Never run in CI (it costs money, needs a person at the kiosk screen for the
# AWS liveness check, and writes biometric test data to the account).
#
# Run it on the kiosk (or a laptop set up like one: aws.toml with region,
# bucket, prefix, table, webview role, the kiosk id in its settings, and the
# kiosk's credentials, e.g. the Roles Anywhere credential_process profile
# of infra/README.md), with the aws CLI v2 and jq:
#
#   infra/aws/scripts/smoke.sh --region sa-east-1 --bucket BUCKET --prefix dayfusion/ \
#     --kiosk-id kiosk-042 --document id-card.jpg --selfie-video selfie.webm \
#     [--table dayfusion_transactions] [--check-profile PROFILE] \
#     [--admin-profile ADMIN] [--policy POLICY] [--skip-aws-verify] [--keep]
#
# Steps, each checked in S3 (aws s3api head-object) and DynamoDB
# (aws dynamodb get-item):
#   1. dayfusion doctor                          (exit 0: settings, identity, bucket, table, roles)
#   2. dayfusion verify (embedded) + dayfusion sync
#                                                 -> the item exists with its Status, its
#                                                    DocumentKey is a real object under
#                                                    {prefix}{kiosk}/
#   3. dayfusion verify --backend aws            (the customer's part: the liveness check on
#                                                 the kiosk screen) -> item and objects
#   4. a review of a REVIEW transaction          (dayfusion review resolve ID --verdict APPROVED
#                                                 --by smoke-staff --reason ...; skipped with a
#                                                 note when this dayfusion has no `review` or no
#                                                 transaction ended in REVIEW: pass --policy with
#                                                 one that sends to review) -> ReviewStatus
#   5. dayfusion purge (0 days, both stores)     -> EvidenceDeletedAt on the items, the
#                                                    objects gone (404)
#   6. cleanup with --admin-profile               the smoke items and every version of their
#                                                 objects (the kiosk role may not delete items;
#                                                 without --admin-profile the ids are printed
#                                                 for an administrator). --keep skips it.
# The transactions stay in the kiosk's local log (operator smoke-test): the
# audit chain is append-only.
set -euo pipefail

REGION="${DAYFUSION_AWS_REGION:-}"
BUCKET="${DAYFUSION_AWS_BUCKET:-}"
PREFIX="${DAYFUSION_AWS_PREFIX-dayfusion/}"
TABLE="${DAYFUSION_AWS_TABLE:-dayfusion_transactions}"
KIOSK_ID=""
DOCUMENT=""
SELFIE=""
POLICY=""
CHECK_PROFILE=""
ADMIN_PROFILE=""
SKIP_AWS_VERIFY=0
KEEP=0
DAYFUSION="${DAYFUSION:-}"

usage() { sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; }
die() {
  printf 'smoke: FAILED: %s\n' "$*" >&2
  exit 1
}
step() { printf '\n==> %s\n' "$*" >&2; }
ok() { printf '    ok: %s\n' "$*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --region) REGION="${2:?}"; shift 2 ;;
    --bucket) BUCKET="${2:?}"; shift 2 ;;
    --prefix) PREFIX="${2?}"; shift 2 ;;
    --table) TABLE="${2:?}"; shift 2 ;;
    --kiosk-id) KIOSK_ID="${2:?}"; shift 2 ;;
    --document) DOCUMENT="${2:?}"; shift 2 ;;
    --selfie-video) SELFIE="${2:?}"; shift 2 ;;
    --policy) POLICY="${2:?}"; shift 2 ;;
    --check-profile) CHECK_PROFILE="${2:?}"; shift 2 ;;
    --admin-profile) ADMIN_PROFILE="${2:?}"; shift 2 ;;
    --skip-aws-verify) SKIP_AWS_VERIFY=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

[[ -n "${CI:-}" ]] && die "not in CI: this talks to a real AWS account"
[[ "$REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "--region"
[[ -n "$BUCKET" ]] || die "--bucket"
[[ "$KIOSK_ID" =~ ^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$ ]] || die "--kiosk-id (the kiosk's id, also its certificate CN)"
[[ -f "$DOCUMENT" ]] || die "--document: a photo of an ID document"
[[ -f "$SELFIE" ]] || die "--selfie-video: a video of the same person (embedded step)"
command -v aws >/dev/null || die "the aws CLI v2 is needed"
command -v jq >/dev/null || die "jq is needed"
if [[ -z "$DAYFUSION" ]]; then
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
  DAYFUSION="$(command -v dayfusion || echo "$root/target/debug/dayfusion")"
fi
[[ -x "$DAYFUSION" ]] || die "no dayfusion binary (cargo build -p dayfusion-cli, or DAYFUSION=...)"

check=(--region "$REGION")
[[ -n "$CHECK_PROFILE" ]] && check+=(--profile "$CHECK_PROFILE")
created=()

# item ID: the DynamoDB item as JSON ({} when absent).
item() {
  aws dynamodb get-item "${check[@]}" --table-name "$TABLE" --consistent-read \
    --key "{\"TransactionId\":{\"S\":\"$1\"}}" --output json | jq '.Item // {}'
}
# attr ITEM NAME: a string attribute of an item, empty when absent.
attr() { jq -r --arg n "$2" '.[$n].S // .[$n].N // empty' <<<"$1"; }
# object_exists KEY: head-object answers 200.
object_exists() { aws s3api head-object "${check[@]}" --bucket "$BUCKET" --key "$1" >/dev/null 2>&1; }
# keys ITEM: every object key the item names.
keys() { jq -r '[.DocumentKey.S, .ReferenceKey.S, (.AuditKeys.L // [] | .[].S)] | .[] | select(. != null)' <<<"$1"; }

# check_synced ID: the item exists, its Status is the log's, its keys are
# real objects under the kiosk's folder.
check_synced() {
  local id="$1" status="$2" it key n=0
  it="$(item "$id")"
  [[ "$(attr "$it" TransactionId)" == "$id" ]] || die "$id: no DynamoDB item"
  [[ "$(attr "$it" Status)" == "$status" ]] || die "$id: Status $(attr "$it" Status), log says $status"
  while read -r key; do
    [[ -z "$key" ]] && continue
    [[ "$key" == "$PREFIX$KIOSK_ID/"* ]] || die "$id: $key is outside $PREFIX$KIOSK_ID/"
    object_exists "$key" || die "$id: s3://$BUCKET/$key missing"
    n=$((n + 1))
  done < <(keys "$it")
  ok "$id: item Status=$status, $n objects under s3://$BUCKET/$PREFIX$KIOSK_ID/"
}

verify() {
  local out
  local args=(verify --document "$DOCUMENT" --kiosk-id "$KIOSK_ID" --operator smoke-test --json "$@")
  [[ -n "$POLICY" ]] && args+=(--policy "$POLICY")
  out="$("$DAYFUSION" "${args[@]}")" || die "dayfusion ${args[*]}"
  jq -r '(.transactionId // .transaction.transactionId) + " " + (.status // .transaction.status)' <<<"$out"
}

step "1. dayfusion doctor"
"$DAYFUSION" doctor --lang en || die "doctor reports a failed check"
ok "doctor"

step "2. embedded verification, then dayfusion sync"
result="$(verify --selfie-video "$SELFIE")"
read -r embedded_id embedded_status <<<"$result"
created+=("$embedded_id")
ok "embedded $embedded_id: $embedded_status"
"$DAYFUSION" sync --retry-now --lang en || die "sync"
check_synced "$embedded_id" "$embedded_status"

aws_id=""
if [[ $SKIP_AWS_VERIFY -eq 0 ]]; then
  step "3. AWS verification: complete the liveness check on the kiosk screen"
  result="$(verify --backend aws)"
  read -r aws_id aws_status <<<"$result"
  created+=("$aws_id")
  ok "aws $aws_id: $aws_status"
  # The CLI syncs right after an AWS decision; once more in case of backoff.
  "$DAYFUSION" sync --retry-now --lang en || die "sync"
  check_synced "$aws_id" "$aws_status"
else
  step "3. AWS verification skipped (--skip-aws-verify)"
fi

step "4. review"
review_id=""
[[ "$embedded_status" == REVIEW ]] && review_id="$embedded_id"
[[ -n "$aws_id" && "${aws_status:-}" == REVIEW ]] && review_id="$aws_id"
if ! "$DAYFUSION" help review >/dev/null 2>&1; then
  printf '    skipped: this dayfusion has no review command\n' >&2
elif [[ -z "$review_id" ]]; then
  printf '    skipped: no transaction ended in REVIEW (pass --policy with one that sends to review)\n' >&2
else
  "$DAYFUSION" review resolve "$review_id" --verdict APPROVED --by smoke-staff \
    --reason "smoke test $(date -u +%FT%TZ)" || die "review resolve"
  "$DAYFUSION" sync --retry-now --lang en || die "sync"
  it="$(item "$review_id")"
  [[ "$(attr "$it" ReviewStatus)" == APPROVED ]] || die "$review_id: ReviewStatus $(attr "$it" ReviewStatus)"
  [[ "$(attr "$it" ReviewedBy)" == smoke-staff ]] || die "$review_id: ReviewedBy"
  [[ "$(attr "$it" Status)" == APPROVED ]] || die "$review_id: Status after review"
  ok "$review_id: ReviewStatus=APPROVED in DynamoDB"
fi

step "5. purge (0 days)"
# The objects and liveness sessions of the smoke transactions, for the
# checks below and the cleanup.
before=()
sessions=()
for id in "${created[@]}"; do
  it="$(item "$id")"
  while read -r key; do [[ -n "$key" ]] && before+=("$key"); done < <(keys "$it")
  session="$(attr "$it" SessionId)"
  [[ -n "$session" ]] && sessions+=("$session")
done
if "$DAYFUSION" purge --help 2>/dev/null | grep -q -- '--older-than-days'; then
  "$DAYFUSION" purge --older-than-days 0 --lang en || die "purge"
else
  "$DAYFUSION" purge --older-than 0 --lang en || die "purge"
fi
"$DAYFUSION" sync --retry-now --lang en || die "sync"
for id in "${created[@]}"; do
  [[ -n "$(attr "$(item "$id")" EvidenceDeletedAt)" ]] || die "$id: no EvidenceDeletedAt after the purge"
done
for key in "${before[@]}"; do
  ! object_exists "$key" || die "s3://$BUCKET/$key still there after the purge"
done
ok "EvidenceDeletedAt on ${#created[@]} items, ${#before[@]} objects gone"

step "6. cleanup"
if [[ $KEEP -eq 1 ]]; then
  printf '    kept (--keep): %s\n' "${created[*]}" >&2
elif [[ -z "$ADMIN_PROFILE" ]]; then
  printf '    no --admin-profile: an administrator deletes items %s and the versions under s3://%s/%s%s/\n' \
    "${created[*]}" "$BUCKET" "$PREFIX" "$KIOSK_ID" >&2
else
  admin=(--region "$REGION" --profile "$ADMIN_PROFILE")
  # Every version and delete marker of the smoke objects: the keys the
  # items named, and whatever carries a smoke transaction or session id
  # (Rekognition's liveness output).
  needles="$(printf '%s\n' "${before[@]}" "${created[@]}" "${sessions[@]}" | jq -R . | jq -s .)"
  aws s3api list-object-versions "${admin[@]}" --bucket "$BUCKET" --prefix "$PREFIX$KIOSK_ID/" --output json |
    jq -r --argjson needles "$needles" '[(.Versions // []), (.DeleteMarkers // [])] | add | .[]
      | select(.Key as $k | $needles | any(. != "" and ($k | contains(.))))
      | [.Key, .VersionId] | @tsv' |
    while IFS=$'\t' read -r key version; do
      aws s3api delete-object "${admin[@]}" --bucket "$BUCKET" --key "$key" --version-id "$version" >/dev/null
      printf '    deleted s3://%s/%s (%s)\n' "$BUCKET" "$key" "$version" >&2
    done
  for id in "${created[@]}"; do
    aws dynamodb delete-item "${admin[@]}" --table-name "$TABLE" --key "{\"TransactionId\":{\"S\":\"$id\"}}"
    ok "$id: item deleted"
  done
fi

printf '\nsmoke: PASSED (%s)\n' "${created[*]}"
