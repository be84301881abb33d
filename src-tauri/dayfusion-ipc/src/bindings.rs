//! Generation of the TypeScript declarations the front ends import.

use ts_rs::{Config, ExportError, TS};

/// A generated TypeScript file: its name and its contents.
pub struct Binding {
    /// File name, e.g. `KioskSettings.ts`.
    pub file_name: String,
    /// Full TypeScript source.
    pub contents: String,
}

fn binding<T: TS + 'static>(config: &Config) -> Result<Binding, ExportError> {
    Ok(Binding {
        file_name: format!("{}.ts", T::name(config)),
        contents: T::export_to_string(config)?,
    })
}

/// Every exported type, in a stable order.
pub fn all() -> Result<Vec<Binding>, ExportError> {
    use crate::*;
    let config = Config::default();
    Ok(vec![
        binding::<AppInfo>(&config)?,
        binding::<AwsLivenessSession>(&config)?,
        binding::<BackendMode>(&config)?,
        binding::<BuildProfile>(&config)?,
        binding::<CameraReport>(&config)?,
        binding::<CameraState>(&config)?,
        binding::<CommandError>(&config)?,
        binding::<ErrorCode>(&config)?,
        binding::<HealthCheck>(&config)?,
        binding::<HealthCheckId>(&config)?,
        binding::<HealthReport>(&config)?,
        binding::<HealthStatus>(&config)?,
        binding::<KioskSettings>(&config)?,
        binding::<KioskMode>(&config)?,
        binding::<Language>(&config)?,
        binding::<ColourFlash>(&config)?,
        binding::<FlashColourName>(&config)?,
        binding::<LivenessCredentials>(&config)?,
        binding::<LivenessEnd>(&config)?,
        binding::<LivenessFrameFeedback>(&config)?,
        binding::<LivenessGuidance>(&config)?,
        binding::<LivenessPhase>(&config)?,
        binding::<LivenessRefusal>(&config)?,
        binding::<LivenessSessionInfo>(&config)?,
        binding::<LivenessSummary>(&config)?,
        binding::<OvalTarget>(&config)?,
        binding::<PrivacyNotice>(&config)?,
        binding::<SpeechRequest>(&config)?,
        binding::<SpokenPhrase>(&config)?,
        binding::<SyncStatus>(&config)?,
        binding::<DocumentSources>(&config)?,
        binding::<RemovableMedium>(&config)?,
        binding::<MediaEntryKind>(&config)?,
        binding::<MediaEntry>(&config)?,
        binding::<MediaFolder>(&config)?,
        binding::<VisitInfo>(&config)?,
        binding::<DataProcessor>(&config)?,
        binding::<ProcessorPurpose>(&config)?,
        binding::<QrCode>(&config)?,
        binding::<DocumentPreview>(&config)?,
        binding::<DocumentHint>(&config)?,
        binding::<DocumentFrameQuality>(&config)?,
        binding::<VisitCapture>(&config)?,
        binding::<VisitLiveness>(&config)?,
        binding::<LivenessChallenge>(&config)?,
        binding::<CustomerOutcome>(&config)?,
        binding::<VisitResult>(&config)?,
        binding::<VisitEnd>(&config)?,
        binding::<VisitRefusal>(&config)?,
        binding::<StaffStatus>(&config)?,
        binding::<StaffSession>(&config)?,
        binding::<StaffRole>(&config)?,
        binding::<SignInOutcome>(&config)?,
        binding::<ReviewItem>(&config)?,
        binding::<ReviewCheck>(&config)?,
        binding::<ReviewDetail>(&config)?,
        binding::<ReviewVerdict>(&config)?,
        binding::<StaffRefusal>(&config)?,
        binding::<AwsConnection>(&config)?,
        binding::<AwsDoctorCheck>(&config)?,
        binding::<AwsDoctorReport>(&config)?,
    ])
}
