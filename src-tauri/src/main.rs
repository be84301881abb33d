//! DayFusion Kiosk desktop app entry point.

// No console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    dayfusion_kiosk::run()
}
