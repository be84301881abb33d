//! The companies a kiosk's consent names as processing the customer's data
//! for the controller (LGPD art. 5 VII): AWS when the backend is AWS (the
//! face check, the comparison and the evidence) or when an embedded kiosk
//! syncs its records to AWS (storage only), with the region and whether
//! the data leaves Brazil (art. 33). An embedded kiosk without AWS names
//! nobody: everything stays on it.

use dayfusion_ipc::{BackendMode, DataProcessor, ProcessorPurpose};

use crate::config::AwsSettings;
use crate::regions::{in_brazil, region_name};

/// The name the consent gives AWS.
pub const AWS_NAME: &str = "Amazon Web Services (AWS)";

/// The processors of a kiosk on `backend` with AWS settings `aws` (`None`:
/// none, or unreadable: an embedded kiosk then syncs nothing).
pub fn for_kiosk(backend: BackendMode, aws: Option<&AwsSettings>) -> Vec<DataProcessor> {
    let purpose = match backend {
        BackendMode::Aws => ProcessorPurpose::FaceCheckAndStorage,
        BackendMode::Embedded if aws.is_some_and(AwsSettings::is_configured) => {
            ProcessorPurpose::Storage
        }
        BackendMode::Embedded => return Vec::new(),
    };
    let region = aws.and_then(|a| a.region.clone()).unwrap_or_default();
    vec![DataProcessor {
        name: AWS_NAME.to_owned(),
        purpose,
        region_name: region_name(&region).map(str::to_owned),
        // A region nobody set is not known to be in Brazil: say it may leave.
        international_transfer: !in_brazil(&region),
        region,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(region: Option<&str>, bucket: Option<&str>) -> AwsSettings {
        AwsSettings {
            region: region.map(str::to_owned),
            bucket: bucket.map(str::to_owned),
            ..AwsSettings::default()
        }
    }

    #[test]
    fn the_backend_and_the_region_decide_who_is_named_and_whether_data_leaves_brazil() {
        let virginia = aws(Some("us-east-1"), Some("evidence"));
        let sao_paulo = aws(Some("sa-east-1"), Some("evidence"));
        let on_aws = for_kiosk(BackendMode::Aws, Some(&virginia));
        assert_eq!(on_aws.len(), 1);
        assert_eq!(on_aws[0].purpose, ProcessorPurpose::FaceCheckAndStorage);
        assert_eq!(on_aws[0].region, "us-east-1");
        assert_eq!(
            on_aws[0].region_name.as_deref(),
            Some("US East (N. Virginia)")
        );
        assert!(on_aws[0].international_transfer);
        assert!(!for_kiosk(BackendMode::Aws, Some(&sao_paulo))[0].international_transfer);

        // An embedded kiosk that syncs: AWS keeps a copy.
        let syncing = for_kiosk(BackendMode::Embedded, Some(&sao_paulo));
        assert_eq!(syncing[0].purpose, ProcessorPurpose::Storage);
        assert!(!syncing[0].international_transfer);
        // Without a bucket (no sync) or AWS settings: nobody.
        assert!(for_kiosk(BackendMode::Embedded, Some(&aws(Some("us-east-1"), None))).is_empty());
        assert!(for_kiosk(BackendMode::Embedded, None).is_empty());
        // No region set: the transfer cannot be ruled out.
        assert!(for_kiosk(BackendMode::Aws, Some(&aws(None, None)))[0].international_transfer);
    }
}
