//! The companies a kiosk's consent names as processing the customer's data
//! for the controller (LGPD art. 5 VII): AWS when the backend is AWS (the
//! face check, the comparison and the evidence) or when an embedded kiosk
//! syncs its records to AWS (storage only), with the region and whether
//! the data leaves Brazil (art. 33). An embedded kiosk without AWS names
//! nobody: everything stays on it.

use dayfusion_ipc::{BackendMode, DataProcessor, ProcessorPurpose};

use crate::regions::{in_brazil, region_name};

/// The name the consent gives AWS.
pub const AWS_NAME: &str = "Amazon Web Services (AWS)";

/// The processors of a kiosk on `backend` whose records go to AWS
/// (`syncs`: `None` when its AWS settings cannot be read, taken as yes: the
/// outbox may still send them once the file is mended), in `region` (the
/// one the SDK resolved where known; `None`: not known, so the transfer
/// abroad cannot be ruled out).
pub fn for_kiosk(
    backend: BackendMode,
    syncs: Option<bool>,
    region: Option<&str>,
) -> Vec<DataProcessor> {
    let purpose = match backend {
        BackendMode::Aws => ProcessorPurpose::FaceCheckAndStorage,
        BackendMode::Embedded if syncs != Some(false) => ProcessorPurpose::Storage,
        BackendMode::Embedded => return Vec::new(),
    };
    let region = region.map(str::trim).filter(|r| !r.is_empty());
    vec![DataProcessor {
        name: AWS_NAME.to_owned(),
        purpose,
        region: region.map(str::to_owned),
        region_name: region.and_then(region_name).map(str::to_owned),
        international_transfer: !region.is_some_and(in_brazil),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_and_the_region_decide_who_is_named_and_whether_data_leaves_brazil() {
        let on_aws = for_kiosk(BackendMode::Aws, Some(true), Some("us-east-1"));
        assert_eq!(on_aws.len(), 1);
        assert_eq!(on_aws[0].purpose, ProcessorPurpose::FaceCheckAndStorage);
        assert_eq!(on_aws[0].region.as_deref(), Some("us-east-1"));
        assert_eq!(
            on_aws[0].region_name.as_deref(),
            Some("US East (N. Virginia)")
        );
        assert!(on_aws[0].international_transfer);
        assert!(
            !for_kiosk(BackendMode::Aws, Some(false), Some("sa-east-1"))[0].international_transfer
        );

        // An embedded kiosk that syncs: AWS keeps a copy.
        let syncing = for_kiosk(BackendMode::Embedded, Some(true), Some("sa-east-1"));
        assert_eq!(syncing[0].purpose, ProcessorPurpose::Storage);
        assert!(!syncing[0].international_transfer);
        // Without AWS settings: nobody.
        assert!(for_kiosk(BackendMode::Embedded, Some(false), Some("us-east-1")).is_empty());
        // Settings that cannot be read may still sync later: named, region unknown.
        let unreadable = for_kiosk(BackendMode::Embedded, None, None);
        assert_eq!(unreadable[0].purpose, ProcessorPurpose::Storage);
        assert_eq!(unreadable[0].region, None);
        assert!(unreadable[0].international_transfer);
        // No region known: the transfer cannot be ruled out.
        assert!(for_kiosk(BackendMode::Aws, Some(true), Some(" "))[0].international_transfer);
    }
}
