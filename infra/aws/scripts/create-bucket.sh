#!/usr/bin/env bash
# Creates (or brings up to date) the evidence bucket: no public access, ACLs
# off, default encryption (SSE-KMS with a bucket key when --kms-key-id is
# given, SSE-S3 otherwise), versioning, a lifecycle rule for abandoned
# multipart uploads, and a bucket policy that refuses requests without TLS,
# uploads without the bucket's encryption header and uploads without
# If-None-Match (write-once; Rekognition's own writes excepted).
# Every step is idempotent: run it again after changing an option.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
SCRIPT_PURPOSE="Creates the DayFusion evidence bucket (DAYFUSION_AWS_BUCKET)."
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
parse_args "$@"
require region bucket prefix account-id

owner=(--expected-bucket-owner "$ACCOUNT_ID")

log "bucket s3://$BUCKET in $REGION (account $ACCOUNT_ID)"
if exists aws s3api head-bucket --bucket "$BUCKET" "${owner[@]}" --region "$REGION"; then
  log "bucket $BUCKET already exists: updating its settings"
else
  log "creating bucket $BUCKET"
  if [[ "$REGION" == "us-east-1" ]]; then
    run aws s3api create-bucket --bucket "$BUCKET" --region "$REGION"
  else
    run aws s3api create-bucket --bucket "$BUCKET" --region "$REGION" \
      --create-bucket-configuration "LocationConstraint=$REGION"
  fi
  run aws s3api wait bucket-exists --bucket "$BUCKET" "${owner[@]}" --region "$REGION"
fi

log "blocking every kind of public access"
run aws s3api put-public-access-block --bucket "$BUCKET" "${owner[@]}" --region "$REGION" \
  --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true

log "disabling ACLs (bucket owner enforced)"
run aws s3api put-bucket-ownership-controls --bucket "$BUCKET" "${owner[@]}" --region "$REGION" \
  --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'

key_id="$(kms_key_id)"
if [[ -n "$key_id" ]]; then
  log "default encryption: SSE-KMS with key $key_id and a bucket key (DAYFUSION_AWS_SSE=sse-kms)"
  encryption="{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"arn:aws:kms:$REGION:$ACCOUNT_ID:key/$key_id\"},\"BucketKeyEnabled\":true}]}"
else
  log "default encryption: SSE-S3 (DAYFUSION_AWS_SSE=sse-s3)"
  encryption='{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":false}]}'
fi
run aws s3api put-bucket-encryption --bucket "$BUCKET" "${owner[@]}" --region "$REGION" \
  --server-side-encryption-configuration "$encryption"

log "versioning on"
run aws s3api put-bucket-versioning --bucket "$BUCKET" "${owner[@]}" --region "$REGION" \
  --versioning-configuration Status=Enabled

# Rekognition's liveness output now lands in each kiosk's own folder
# ({prefix}{kiosk}/liveness-output/), which no lifecycle prefix can name for
# every kiosk: the kiosk's purge deletes it.
log "lifecycle: abandoned uploads under '$PREFIX' removed after 7 days, deleted evidence versions after 30 (LGPD)"
lifecycle="{\"Rules\":[{\"ID\":\"dayfusion-abort-incomplete-uploads\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"$PREFIX\"},\"AbortIncompleteMultipartUpload\":{\"DaysAfterInitiation\":7}},{\"ID\":\"dayfusion-expire-deleted-evidence\",\"Status\":\"Enabled\",\"Filter\":{\"Prefix\":\"$PREFIX\"},\"NoncurrentVersionExpiration\":{\"NoncurrentDays\":30}}]}"
run aws s3api put-bucket-lifecycle-configuration --bucket "$BUCKET" "${owner[@]}" --region "$REGION" \
  --lifecycle-configuration "$lifecycle"

log "bucket policy: requests without TLS, uploads without the bucket's encryption or without If-None-Match are refused"
render "$AWS_DIR/s3/bucket-policy.json" "$WORK_DIR/bucket-policy.json"
run aws s3api put-bucket-policy --bucket "$BUCKET" "${owner[@]}" --region "$REGION" \
  --policy "file://$WORK_DIR/bucket-policy.json"

log "bucket $BUCKET ready"
